import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { fastifyTRPCOpenApiPlugin, generateOpenApiDocument } from "trpc-to-openapi";
import { appRouter } from "./router/index";
import type { Context } from "./trpc";

/**
 * The REST view: procedures with `meta.openapi` under /api (same validation, auth and errors
 * as tRPC; bearer token or session cookie), their document at /api/openapi.json.
 */
export async function registerOpenApi(
  app: FastifyInstance,
  createContext: (opts: { req: FastifyRequest; res: FastifyReply }) => Promise<Context>,
  onError: (error: unknown, procedure: string, requestId: string) => void,
): Promise<void> {
  const document = generateOpenApiDocument(appRouter, {
    title: "netloom controller",
    description:
      "Northbound REST view of the netloom tRPC API. Errors carry `{code, problems}` in `data.netloom`.",
    version: "1.0.0",
    baseUrl: "/api",
    securitySchemes: { bearer: { type: "http", scheme: "bearer" } },
  });
  app.get("/api/openapi.json", async () => document);
  await app.register(fastifyTRPCOpenApiPlugin, {
    basePath: "/api",
    router: appRouter,
    createContext: ({ req, res }: { req: FastifyRequest; res: FastifyReply }) =>
      createContext({ req, res }),
    onError: ({ error, path, ctx }: { error: unknown; path: string | undefined; ctx?: Context }) =>
      onError(error, path ?? "unknown", ctx?.requestId ?? "unknown"),
  });
}
