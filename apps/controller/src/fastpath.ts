import { RESOURCE_KINDS } from "@netloom/model";
import { fastifyRequestHandler } from "@trpc/server/adapters/fastify";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { tenantFor } from "./auth/tenancy";
import { jsonDepth, MAX_JSON_DEPTH, parseBoundedJson, tooDeep } from "./http/body";
import { appRouter } from "./router/index";
import type { Context } from "./trpc";
import {
  errorShapeOf,
  procedureInvoker,
  procedureTypes as procedureTypesOf,
  toTRPCError,
} from "./trpc-internals";

/**
 * Queries whose answer depends only on the tenant's generation and the input: their serialized
 * answers are cached, keyed by tenant id, generation and input.
 */
export const CACHED_PROCEDURES: ReadonlySet<string> = new Set([
  "intent.export",
  ...RESOURCE_KINDS.flatMap((kind) => [`${kind}.list`, `${kind}.get`]),
]);

const MAX_CACHED = 4096;
const invoke = procedureInvoker(appRouter);
const procedureTypes = procedureTypesOf(appRouter);

export interface TrpcHttpOptions {
  createContext(opts: { req: FastifyRequest; res: FastifyReply }): Promise<Context>;
  /** Every error a procedure answered with; `requestId` ties a 5xx to its log line. */
  onError(error: unknown, path: string, requestId: string): void;
}

/**
 * tRPC over HTTP at /trpc/:path. Single calls (what httpLink and REST-minded clients send) are
 * answered directly: context, the procedure's own middleware chain (procedureInvoker: our
 * middleware, input and output validation; errors shaped by the errorFormatter) and one
 * JSON.stringify. tRPC's fetch-style adapter costs ~1 ms per request turning its web Response
 * into a Node stream; this path skips that.
 * Batches, SSE subscriptions and anything unusual (jsonl streaming, method mismatches) go
 * through tRPC's own fastify handler, unchanged. Answers of CACHED_PROCEDURES are kept
 * serialized per tenant generation; authorization still runs on every request.
 */
export async function registerTrpcHttp(
  app: FastifyInstance,
  options: TrpcHttpOptions,
): Promise<void> {
  const cache = new Map<string, string>();
  await app.register(async (scope) => {
    scope.removeContentTypeParser("application/json");
    scope.addContentTypeParser(
      "application/json",
      { parseAs: "string" },
      (_request, body, done) => {
        // tRPC parses the text itself; a hostile nesting depth is refused before it does.
        if (jsonDepth(String(body)) > MAX_JSON_DEPTH) done(tooDeep("the request body"), undefined);
        else done(null, body);
      },
    );
    scope.removeContentTypeParser("multipart/form-data");
    scope.addContentTypeParser("multipart/form-data", {}, (_request, body, done) => {
      done(null, body);
    });
    scope.all("/trpc/:path", async (req, reply) => {
      const path = (req.params as { path: string }).path;
      const type = procedureTypes.get(path);
      const query = req.query as { input?: string; batch?: string };
      if (query.input !== undefined && jsonDepth(query.input) > MAX_JSON_DEPTH) {
        throw tooDeep("the input parameter");
      }
      const simple =
        type !== undefined &&
        query.batch === undefined &&
        req.headers["trpc-accept"] === undefined &&
        ((type === "query" && req.method === "GET") ||
          (type === "mutation" && req.method === "POST"));
      if (!simple) {
        await fastifyRequestHandler({
          router: appRouter,
          createContext: ({ req: request, res }) => options.createContext({ req: request, res }),
          onError: ({ error, path: failed }) => options.onError(error, failed ?? path, req.id),
          req,
          res: reply,
          path,
        });
        return reply;
      }
      let ctx: Context | undefined;
      let input: unknown;
      try {
        const text = type === "query" ? query.input : (req.body as string | undefined);
        input =
          text === undefined || text === ""
            ? undefined
            : parseBoundedJson(text, type === "query" ? "the input parameter" : "the request body");
        ctx = await options.createContext({ req, res: reply });
        let cacheKey: string | undefined;
        if (CACHED_PROCEDURES.has(path) && ctx.principal) {
          const tenant = (input as { tenant?: unknown } | undefined)?.tenant;
          if (typeof tenant === "string") {
            // Authorization on every request, hit or miss: a foreign tenant is NOT_FOUND.
            const state = tenantFor(ctx.services.store, ctx.principal, tenant, "read");
            cacheKey = `${path}|${state.id}|${state.generation}|${query.input ?? ""}`;
            const hit = cache.get(cacheKey);
            if (hit !== undefined) return send(reply, 200, hit);
          }
        }
        const data = await invoke(path, { ctx, type, input });
        const body = JSON.stringify({ result: { data } });
        if (cacheKey !== undefined) {
          if (cache.size >= MAX_CACHED) cache.clear();
          cache.set(cacheKey, body);
        }
        return send(reply, 200, body);
      } catch (cause) {
        const error = toTRPCError(cause);
        options.onError(error, path, req.id);
        const { shape, httpStatus } = errorShapeOf(appRouter, {
          error,
          type: type ?? "unknown",
          path,
          input,
          ctx: ctx ?? { requestId: req.id },
        });
        return send(reply, httpStatus, JSON.stringify({ error: shape }));
      }
    });
  });
}

function send(reply: FastifyReply, status: number, body: string): FastifyReply {
  return reply.status(status).header("content-type", "application/json").send(body);
}
