/**
 * @netloom/controller: the server, for tests, benchmarks and end-to-end runs. Clients import
 * the router's types from `@netloom/controller/types` instead.
 */

export { createServer, type NetloomServer, type ServerOptions } from "./server";
export type { AppRouter, NetloomErrorData, RouterInputs, RouterOutputs } from "./types";
