import type { FastifyInstance } from "fastify";

/** REST view of the main procedures at /api, document at /api/openapi.json. */
export async function registerOpenApi(_app: FastifyInstance, _createContext: unknown): Promise<void> {}
