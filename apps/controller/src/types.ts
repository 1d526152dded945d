/**
 * @netloom/controller/types: the router's types for clients (web, CLI), and nothing that runs.
 * Importing it pulls no server code (fastify, Prisma, the store) into a client's graph.
 */
import type { inferRouterInputs, inferRouterOutputs } from "@trpc/server";
import type { AppRouter } from "./router/index";

export type { NetloomErrorData } from "./errors";
export type { AppRouter } from "./router/index";
/** Inputs of every procedure: `RouterInputs["networks"]["create"]`. */
export type RouterInputs = inferRouterInputs<AppRouter>;
/** Outputs of every procedure: `RouterOutputs["intent"]["export"]`. */
export type RouterOutputs = inferRouterOutputs<AppRouter>;
