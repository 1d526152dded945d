import { RESOURCE_KINDS } from "@netloom/model";
import { getErrorShape, getTRPCErrorFromUnknown } from "@trpc/server/unstable-core-do-not-import";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Principal } from "./auth/principal";
import { tenantFor } from "./auth/tenancy";
import { appRouter } from "./router/index";
import { type Context, type Services, createCallerFactory } from "./trpc";

export interface FastPathDeps {
  services: Services;
  authenticate(request: FastifyRequest): Promise<Principal | null>;
}

/**
 * Queries whose answer depends only on the tenant's generation and the input: their serialized
 * answers are cached, keyed by tenant id, generation and input.
 */
export const CACHED_PROCEDURES = [
  "intent.export",
  ...RESOURCE_KINDS.flatMap((kind) => [`${kind}.list`, `${kind}.get`]),
] as const;

const MAX_ENTRIES = 4096;
const createCaller = createCallerFactory(appRouter);

/**
 * Serves GET /trpc/<procedure> for the cached procedures beside the tRPC plugin, with the
 * same URLs and byte-identical bodies (single calls and batches of one). Every request is
 * still authenticated and authorized against the tenant; only the procedure's work and its
 * JSON serialization are skipped on a hit. A miss or any error runs the real procedure
 * through a tRPC caller (input and output validation included) and formats errors with the
 * router's own errorFormatter.
 */
export function registerFastPaths(app: FastifyInstance, deps: FastPathDeps): void {
  const cache = new Map<string, string>();
  for (const path of CACHED_PROCEDURES) {
    app.get(`/trpc/${path}`, async (request, reply) => {
      const query = request.query as { input?: string; batch?: string };
      const batch = query.batch === "1";
      let input: unknown;
      let principal: Principal | null = null;
      try {
        const raw = query.input === undefined ? undefined : JSON.parse(query.input);
        input = batch ? (raw as Record<string, unknown> | undefined)?.["0"] : raw;
        principal = await deps.authenticate(request);
        const tenant = (input as { tenant?: unknown } | undefined)?.tenant;
        if (principal && typeof tenant === "string") {
          // Authorization on every request, hit or miss: a foreign tenant is NOT_FOUND.
          const state = tenantFor(deps.services.store, principal, tenant, "read");
          const key = `${path}|${state.id}|${state.generation}|${query.input ?? ""}|${batch}`;
          const hit = cache.get(key);
          if (hit !== undefined) return send(reply, 200, hit);
          const data = await callPath(createCaller({ services: deps.services, principal }), path, input);
          const body = batch
            ? `[${JSON.stringify({ result: { data } })}]`
            : JSON.stringify({ result: { data } });
          if (cache.size >= MAX_ENTRIES) cache.clear();
          cache.set(key, body);
          return send(reply, 200, body);
        }
        const data = await callPath(createCaller({ services: deps.services, principal }), path, input);
        const body = JSON.stringify({ result: { data } });
        return send(reply, 200, batch ? `[${body}]` : body);
      } catch (cause) {
        const error = getTRPCErrorFromUnknown(cause);
        const ctx: Context = { services: deps.services, principal };
        const shape = getErrorShape({
          config: appRouter._def._config,
          error,
          type: "query",
          path,
          input,
          ctx,
        });
        const status = (shape.data as { httpStatus?: number }).httpStatus ?? 500;
        const body = JSON.stringify({ error: shape });
        return send(reply, status, batch ? `[${body}]` : body);
      }
    });
  }
}

function send(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.status(status).header("content-type", "application/json").send(body);
}

async function callPath(caller: unknown, path: string, input: unknown): Promise<unknown> {
  let target = caller;
  for (const key of path.split(".")) target = (target as Record<string, unknown>)[key];
  return (target as (input: unknown) => Promise<unknown>)(input);
}
