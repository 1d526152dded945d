import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import { NetloomError } from "@netloom/model";
import { TRPCError } from "@trpc/server";
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import type { Principal } from "./auth/principal";
import { AuthService, SESSION_TTL_MS } from "./auth/service";
import { type Db, openDb } from "./db";
import { type DemoCredentials, seedDemo } from "./demo";
import { ControllerEvents } from "./events";
import { registerTrpcHttp } from "./fastpath";
import { Metrics } from "./metrics";
import { registerOpenApi } from "./openapi";
import { Reach } from "./reach";
import { appRouter } from "./router/index";
import { Store } from "./store/store";
import { type Context, createCallerFactory, type Services } from "./trpc";

/** 10 MiB: spec section 3's limit for a file, and so for any request body. */
export const BODY_LIMIT = 10 * 1024 * 1024;
export const SESSION_COOKIE = "netloom_session";

export interface ServerOptions {
  /** Default NETLOOM_PORT or 7070; 0 picks a free port. */
  port?: number;
  /** Default NETLOOM_HOST or 127.0.0.1. */
  host?: string;
  /** PGlite directory (default NETLOOM_DATA or ./.netloom); `memory://` for tests. */
  dataDir?: string;
  /** PostgreSQL instead of PGlite (default DATABASE_URL). */
  databaseUrl?: string | undefined;
  /** Becomes the cloud admin's API token on an empty store (default NETLOOM_BOOTSTRAP_TOKEN). */
  bootstrapToken?: string | undefined;
  /** Seed a demo tenant, users and fabric on an empty store. */
  demo?: boolean;
  /** fastify logger option; default: info-level JSON logs. */
  logger?: boolean | { level: string };
  /** Directory of the built web app; default apps/web/dist. */
  webDist?: string;
  /** Serve agents (distribution); default true. */
  distribution?: boolean;
}

export interface NetloomServer {
  app: FastifyInstance;
  db: Db;
  services: Services;
  /** Set when the store was empty and a cloud admin was made. */
  bootstrap: { email: string; token: string } | null;
  demo: DemoCredentials | null;
  /** Starts listening; answers the base URL. */
  listen(): Promise<string>;
  /** An in-process caller acting as `principal` (tests, benchmarks). */
  caller(principal: Principal | null): AppCaller;
  close(): Promise<void>;
}

const callerFactory = createCallerFactory(appRouter);
/** An in-process caller of every procedure. */
export type AppCaller = ReturnType<typeof callerFactory>;

const here = path.dirname(fileURLToPath(import.meta.url));

function cookieOf(request: FastifyRequest, name: string): string | undefined {
  const header = request.headers.cookie;
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const [key, ...rest] = part.trim().split("=");
    if (key === name) return decodeURIComponent(rest.join("="));
  }
  return undefined;
}

/** The bearer token of a request, if any. */
export function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header?.startsWith("Bearer ")) return undefined;
  return header.slice(7).trim() || undefined;
}

/** A tRPC error body in the shape clients parse, for errors raised outside tRPC. */
function errorBody(error: NetloomError, httpStatus: number, trpcCode: string, jsonRpcCode: number) {
  return {
    error: {
      message: error.message,
      code: jsonRpcCode,
      data: {
        code: trpcCode,
        httpStatus,
        netloom: { code: error.code, problems: error.problems },
      },
    },
  };
}

/**
 * Builds the controller: store, auth, tRPC at /trpc (HTTP batch + SSE), REST at /api,
 * /healthz, /metrics, the web app at /, and distribution to agents. Does not listen yet.
 */
export async function createServer(options: ServerOptions = {}): Promise<NetloomServer> {
  const databaseUrl = options.databaseUrl ?? process.env.DATABASE_URL ?? undefined;
  const db = await openDb({
    databaseUrl: databaseUrl || undefined,
    dataDir: options.dataDir ?? path.join(process.env.NETLOOM_DATA ?? ".netloom", "db"),
  });
  const events = new ControllerEvents();
  const store = await Store.open(db, events);
  const reach = new Reach(store);
  store.assertionChecker = reach.assertionChecker;
  const auth = new AuthService(db);
  const services: Services = { store, auth, events, reach };
  const bootstrap = await auth.bootstrap(
    options.bootstrapToken ?? process.env.NETLOOM_BOOTSTRAP_TOKEN,
  );
  const demo = options.demo && store.listTenants().length === 0 ? await seedDemo(services) : null;

  const app = Fastify({
    logger: options.logger ?? { level: process.env.NETLOOM_LOG_LEVEL ?? "info" },
    bodyLimit: BODY_LIMIT,
    // tRPC batches put procedure names in the path; 10 procedures of 60 chars fit.
    routerOptions: { maxParamLength: 1000 },
  });
  const metrics = new Metrics(store);

  app.setErrorHandler((error: Error & { code?: string; statusCode?: number }, request, reply) => {
    if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
      const message = `the request body is over the limit of ${BODY_LIMIT / 1024 / 1024} MiB`;
      const body = errorBody(
        new NetloomError("TOO_LARGE", message, [{ path: "", message }]),
        413,
        "PAYLOAD_TOO_LARGE",
        -32013,
      );
      return reply.status(413).send(body);
    }
    if (error.statusCode && error.statusCode < 500) {
      const body = errorBody(
        new NetloomError("INVALID", error.message, [{ path: "", message: error.message }]),
        error.statusCode,
        "BAD_REQUEST",
        -32600,
      );
      return reply.status(error.statusCode).send(body);
    }
    request.log.error({ err: error }, "unexpected error");
    return reply
      .status(500)
      .send(
        errorBody(
          new NetloomError("INTERNAL", "internal error"),
          500,
          "INTERNAL_SERVER_ERROR",
          -32603,
        ),
      );
  });

  const procedures = new Set(Object.keys(appRouter._def.procedures));
  app.addHook("onResponse", async (request, reply) => {
    let route = request.routeOptions.url ?? "unmatched";
    if (route === "/trpc/:path") {
      const name = (request.params as { path?: string }).path ?? "";
      route = procedures.has(name) ? name : name.includes(",") ? "batch" : "unknown";
    }
    const seconds = reply.elapsedTime / 1000;
    metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.duration.observe({ method: request.method, route }, seconds);
  });

  const secureCookies = process.env.NETLOOM_SECURE_COOKIES === "1";
  const createContext = async ({
    req,
    res,
  }: {
    req: FastifyRequest;
    res: { header(name: string, value: string): unknown };
  }): Promise<Context> => {
    const token = bearerOf(req);
    const session = cookieOf(req, SESSION_COOKIE);
    const principal = await auth.authenticate({ token, session: token ? undefined : session });
    return {
      services,
      principal,
      session,
      setSession(value) {
        const attributes = `Path=/; HttpOnly; SameSite=Strict${secureCookies ? "; Secure" : ""}`;
        res.header(
          "set-cookie",
          value === null
            ? `${SESSION_COOKIE}=; ${attributes}; Max-Age=0`
            : `${SESSION_COOKIE}=${encodeURIComponent(value)}; ${attributes}; Max-Age=${SESSION_TTL_MS / 1000}`,
        );
      },
    };
  };

  app.get("/healthz", async () => ({ ok: true, fabricGeneration: store.fabricGeneration }));
  app.get("/metrics", async (_request, reply) => {
    reply.header("content-type", metrics.registry.contentType);
    return metrics.registry.metrics();
  });

  await registerTrpcHttp(app, {
    createContext: ({ req, res }) => createContext({ req, res }),
    onError(error, procedure) {
      if (
        error instanceof TRPCError &&
        error.code === "INTERNAL_SERVER_ERROR" &&
        !(error.cause instanceof NetloomError)
      ) {
        app.log.error({ err: error.cause ?? error, procedure }, "procedure failed");
      }
    },
  });

  await registerOpenApi(app, createContext);

  const webDist = options.webDist ?? path.resolve(here, "../../web/dist");
  if (existsSync(path.join(webDist, "index.html"))) {
    await app.register(fastifyStatic, { root: webDist, wildcard: false });
    app.setNotFoundHandler((request, reply) => {
      const url = request.url;
      if (request.method === "GET" && !url.startsWith("/trpc") && !url.startsWith("/api")) {
        return reply.sendFile("index.html");
      }
      return reply.status(404).send({ error: "not found" });
    });
  }

  if (options.distribution !== false) {
    // Serving without distribution would accept writes no agent ever receives: a failed start
    // is fatal (createServer rejects, the process exits), never a log line.
    const distribution = await import("./distribution/index");
    const registered = await distribution.registerDistribution(app, {
      db,
      events,
      authenticate: (token) => auth.authenticate({ token }),
      registerNode: async (node) => {
        await store.applyFabric([node], { prune: false, mode: "create" });
      },
      databaseUrl,
      loadCompileInput: async () => store.compileInput(),
      loadTenantInput: async (tenantId) =>
        store.compileInput().tenants.find((tenant) => tenant.id === tenantId) ?? null,
      // Changes committed through another controller: re-read them before compiling.
      refresh: async () => store.reload(),
    });
    services.fabricStatus = () => registered.status();
    distribution.registerDistributionMetrics(metrics.registry, registered);
    app.addHook("onClose", async () => {
      await store.refreshFabricNodes().catch((error: unknown) => {
        app.log.warn({ err: error }, "re-reading fabric nodes on close failed");
      });
    });
  }

  let closed = false;
  return {
    app,
    db,
    services,
    bootstrap,
    demo,
    async listen() {
      const port = options.port ?? Number(process.env.NETLOOM_PORT ?? 7070);
      const host = options.host ?? process.env.NETLOOM_HOST ?? "127.0.0.1";
      await app.listen({ port, host });
      const address = app.server.address();
      const actualPort = typeof address === "object" && address ? address.port : port;
      const shownHost = host === "0.0.0.0" || host === "::" ? "localhost" : host;
      return `http://${shownHost}:${actualPort}`;
    },
    caller(principal) {
      return callerFactory({ services, principal });
    },
    async close() {
      if (closed) return;
      closed = true;
      await app.close();
      await store.flushFabricState();
      await db.close();
    },
  };
}
