import type { FastifyInstance, FastifyRequest } from "fastify";
import type { Principal } from "./auth/principal";
import type { Services } from "./trpc";

/** Filled in by the fast read paths (see registerFastPaths). */
export interface FastPathDeps {
  services: Services;
  authenticate(request: FastifyRequest): Promise<Principal | null>;
}

/** Cached read paths served beside tRPC (same URLs, same response bodies). */
export function registerFastPaths(_app: FastifyInstance, _deps: FastPathDeps): void {}
