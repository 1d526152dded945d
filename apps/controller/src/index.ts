/**
 * @netloom/controller: the tRPC router's types for clients (web, CLI), and the server for
 * tests, benchmarks and end-to-end runs.
 */
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "./router/index";

export type { NetloomErrorData } from "./errors";
export type { AppRouter } from "./router/index";
/** Inputs of every procedure: `RouterInputs["networks"]["create"]`. */
export type RouterInputs = inferRouterInputs<AppRouter>;
/** Outputs of every procedure: `RouterOutputs["intent"]["export"]`. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;
export { createServer, type NetloomServer, type ServerOptions } from "./server";
