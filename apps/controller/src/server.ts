import { randomUUID, timingSafeEqual } from "node:crypto";
import { existsSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import { NetloomError } from "@netloom/model";
import { TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { TRPC_ERROR_CODES_BY_KEY } from "@trpc/server/rpc";
import Fastify, { type FastifyInstance, type FastifyRequest } from "fastify";
import { type AnalysisBudget, AnalysisPool, DEFAULT_BUDGET } from "./analysis/pool";
import { type Principal, seesAllTenants } from "./auth/principal";
import { AuthService, SESSION_TTL_MS } from "./auth/service";
import { registerBgpMetrics } from "./bgp/metrics";
import { BgpService } from "./bgp/service";
import { type Db, openDb } from "./db";
import { type DemoCredentials, seedDemo } from "./demo";
import { trpcCodeOf } from "./errors";
import { ControllerEvents } from "./events";
import { registerTrpcHttp } from "./fastpath";
import { parseBoundedJson } from "./http/body";
import { isHttps, refuseCrossSite, SECURITY_HEADERS } from "./http/guards";
import { Metrics, withoutTenantSeries } from "./metrics";
import { registerOpenApi } from "./openapi";
import { registerOpenStack } from "./openstack/index";
import { compiledAssertionChecker, Reach } from "./reach";
import { appRouter } from "./router/index";
import { Store } from "./store/store";
import { type Context, createCallerFactory, type Services } from "./trpc";
import { procedureTypes } from "./trpc-internals";

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
  /** fastify logger option; default: info-level JSON logs (tests may pass a stream). */
  logger?: boolean | { level: string; stream?: { write(line: string): void } };
  /** Directory of the built web app; default apps/web/dist. */
  webDist?: string;
  /** Serve agents (distribution); default true. */
  distribution?: boolean;
  /** Time and memory budget of trace, check, matrix and plan (default DEFAULT_BUDGET). */
  analysis?: Partial<AnalysisBudget>;
  /**
   * Issue 14, the BGP speaker (runs while the fabric has a `bgp` section): its network namespace
   * (default NETLOOM_BGP_NAMESPACE), BGP port (NETLOOM_BGP_PORT), learned-route source name
   * (NETLOOM_BGP_SOURCE), router id overriding the fabric's (NETLOOM_BGP_ROUTER_ID: one per
   * redundant speaker), anchor subnet (NETLOOM_BGP_ANCHOR_SUBNET: one per redundant speaker,
   * bgp/anchors.ts) and working directory (default a fresh one under the temp directory).
   */
  bgp?: {
    namespace?: string;
    listenPort?: number;
    source?: string;
    routerId?: string;
    anchorSubnet?: string;
    workDir?: string;
  };
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

/** Constant-time comparison of two secrets. */
function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The bearer token of a request, if any. */
export function bearerOf(request: FastifyRequest): string | undefined {
  const header = request.headers.authorization;
  if (!header?.startsWith("Bearer ")) return undefined;
  return header.slice(7).trim() || undefined;
}

/**
 * info-level JSON logs (NETLOOM_LOG_LEVEL) on stdout, or appended to NETLOOM_LOG_FILE: the quick
 * start sends them there so its login banner stays readable.
 */
function defaultLogger(): { level: string; file?: string } {
  const level = process.env.NETLOOM_LOG_LEVEL ?? "info";
  const file = process.env.NETLOOM_LOG_FILE;
  return file ? { level, file } : { level };
}

/**
 * A tRPC error body in the shape clients parse, for errors raised outside tRPC (body parsing,
 * guards). Its HTTP status comes from the one code table (errors.ts); 5xx bodies carry the
 * request id their log line has.
 */
function errorBody(error: NetloomError, requestId?: string) {
  const trpcCode = trpcCodeOf(error.code);
  const httpStatus = getHTTPStatusCodeFromError(new TRPCError({ code: trpcCode }));
  return {
    httpStatus,
    body: {
      error: {
        message: error.message,
        code: TRPC_ERROR_CODES_BY_KEY[trpcCode],
        data: {
          code: trpcCode,
          httpStatus,
          ...(requestId ? { requestId } : {}),
          netloom: { code: error.code, problems: error.problems },
        },
      },
    },
  };
}

/** Fastify's own refusals, as domain errors (their messages never carry internals). */
function fastifyErrorOf(error: Error & { code?: string; statusCode?: number }): NetloomError {
  if (error instanceof NetloomError) return error;
  if (error.code === "FST_ERR_CTP_BODY_TOO_LARGE") {
    const message = `the request body is over the limit of ${BODY_LIMIT / 1024 / 1024} MiB`;
    return new NetloomError("TOO_LARGE", message, [{ path: "", message }]);
  }
  if (error.statusCode === 415 || error.code === "FST_ERR_CTP_INVALID_MEDIA_TYPE") {
    const message = "the content type is not supported: send application/json";
    return new NetloomError("UNSUPPORTED_MEDIA_TYPE", message, [{ path: "", message }]);
  }
  if (error.statusCode && error.statusCode < 500) {
    return new NetloomError("INVALID", error.message, [{ path: "", message: error.message }]);
  }
  return new NetloomError("INTERNAL", "internal error");
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
  const store = await Store.open(db, events, compiledAssertionChecker);
  // Analysis failures are logged by the app's logger (made below; the pool logs only later).
  const pool = new AnalysisPool({ ...DEFAULT_BUDGET, ...options.analysis }, (message, context) =>
    app.log.warn(context, message),
  );
  const reach = new Reach(store, pool);
  const auth = new AuthService(db);
  const services: Services = { store, auth, events, reach };
  const bootstrap = await auth.bootstrap(
    options.bootstrapToken ?? process.env.NETLOOM_BOOTSTRAP_TOKEN,
  );
  const demo =
    options.demo && store.listTenants().length === 0
      ? await seedDemo(services, bootstrap?.email)
      : null;

  const bgpPort = options.bgp?.listenPort ?? Number(process.env.NETLOOM_BGP_PORT || 179);
  const bgp = new BgpService(store, events, {
    namespace: options.bgp?.namespace ?? (process.env.NETLOOM_BGP_NAMESPACE || undefined),
    listenPort: bgpPort,
    source: options.bgp?.source ?? (process.env.NETLOOM_BGP_SOURCE || undefined),
    routerId: options.bgp?.routerId ?? (process.env.NETLOOM_BGP_ROUTER_ID || undefined),
    anchorSubnet: options.bgp?.anchorSubnet ?? (process.env.NETLOOM_BGP_ANCHOR_SUBNET || undefined),
    workDir: options.bgp?.workDir,
    // The app's logger is made below; the speaker logs only once started.
    log: {
      info: (details, message) => app.log.info(details, message),
      warn: (details, message) => app.log.warn(details, message),
      error: (details, message) => app.log.error(details, message),
    },
  });
  services.bgp = bgp;

  const app = Fastify({
    logger: options.logger ?? defaultLogger(),
    bodyLimit: BODY_LIMIT,
    // Every answer names its request (x-request-id); a client cannot choose the id in our logs.
    genReqId: () => randomUUID(),
    requestIdHeader: false,
    // Behind a proxy (NETLOOM_TRUST_PROXY=1) the source address is the client's, for rate limits.
    trustProxy: process.env.NETLOOM_TRUST_PROXY === "1",
    // tRPC batches put procedure names in the path; 10 procedures of 60 chars fit.
    routerOptions: { maxParamLength: 1000 },
  });
  const metrics = new Metrics(store);
  registerBgpMetrics(metrics.registry, bgp);
  services.log = app.log;
  auth.onLoginAudit = (event) => {
    metrics.logins.inc({ outcome: event.outcome });
    const details = { audit: "login", ...event };
    if (event.outcome === "success") app.log.info(details, "login succeeded");
    else app.log.warn(details, `login ${event.outcome === "failure" ? "failed" : "rate limited"}`);
  };
  auth.onRefreshError = (error) => {
    metrics.principalRefreshFailures.inc();
    // The cached caller still answers until it expires; then the next request's lookup fails.
    app.log.error({ err: error }, "refreshing a cached caller failed");
  };

  app.setErrorHandler((error: Error & { code?: string; statusCode?: number }, request, reply) => {
    const domain = fastifyErrorOf(error);
    const { httpStatus, body } = errorBody(domain, request.id);
    if (httpStatus >= 500)
      request.log.error({ err: error, requestId: request.id }, "unexpected error");
    return reply.status(httpStatus).send(body);
  });

  // Bodies outside tRPC (REST view) are parsed with the same depth bound as tRPC's.
  app.removeContentTypeParser("application/json");
  app.addContentTypeParser("application/json", { parseAs: "string" }, (_request, body, done) => {
    const text = typeof body === "string" ? body : body.toString("utf8");
    try {
      done(null, text === "" ? undefined : parseBoundedJson(text, "the request body"));
    } catch (error) {
      done(error instanceof Error ? error : new Error(String(error)), undefined);
    }
  });

  // Callback-style hooks: they run on every request, and an async hook costs a promise and a
  // microtask turn each.
  app.addHook("onRequest", (request, reply, done) => {
    reply.header("x-request-id", request.id);
    reply.headers(SECURITY_HEADERS);
    const refused = refuseCrossSite(
      request,
      bearerOf(request) !== undefined,
      cookieOf(request, SESSION_COOKIE) !== undefined,
    );
    if (!refused) return done();
    const { httpStatus, body } = errorBody(refused);
    reply.status(httpStatus).send(body);
  });

  const procedures = new Set(procedureTypes(appRouter).keys());
  app.addHook("onResponse", (request, reply, done) => {
    let route = request.routeOptions.url ?? "unmatched";
    if (route === "/trpc/:path") {
      const name = (request.params as { path?: string }).path ?? "";
      route = procedures.has(name) ? name : name.includes(",") ? "batch" : "unknown";
    }
    const seconds = reply.elapsedTime / 1000;
    metrics.requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    metrics.duration.observe({ method: request.method, route }, seconds);
    done();
  });

  const alwaysSecureCookies = process.env.NETLOOM_SECURE_COOKIES === "1";
  const createContext = async ({
    req,
    res,
  }: {
    req: FastifyRequest;
    res: { header(name: string, value: string): unknown };
  }): Promise<Context> => {
    const token = bearerOf(req);
    const session = cookieOf(req, SESSION_COOKIE);
    const credentials = { token, session: token ? undefined : session };
    const caller = await auth.authenticateCredential(credentials);
    const secure = alwaysSecureCookies || isHttps(req);
    const idempotencyKey = req.headers["idempotency-key"];
    return {
      services,
      principal: caller?.principal ?? null,
      session,
      idempotencyKey: Array.isArray(idempotencyKey) ? idempotencyKey[0] : idempotencyKey,
      credential: caller?.credential,
      clientAddress: req.ip,
      requestId: req.id,
      setSession(value) {
        const attributes = `Path=/; HttpOnly; SameSite=Strict${secure ? "; Secure" : ""}`;
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
  const metricsToken = process.env.NETLOOM_METRICS_TOKEN;
  /** A metrics token, or a cloud admin's or viewer's credential, sees tenant-labelled series. */
  const seesTenantMetrics = async (request: FastifyRequest): Promise<boolean> => {
    const token = bearerOf(request);
    if (metricsToken && token && sameSecret(token, metricsToken)) return true;
    const session = cookieOf(request, SESSION_COOKIE);
    const principal = await auth.authenticate({ token, session: token ? undefined : session });
    return principal !== null && seesAllTenants(principal);
  };
  app.get("/metrics", async (request, reply) => {
    reply.header("content-type", metrics.registry.contentType);
    const exposition = await metrics.registry.metrics();
    return (await seesTenantMetrics(request)) ? exposition : withoutTenantSeries(exposition);
  });

  /** Every 5xx a procedure answers is logged once, with the id its answer carries. */
  const logUnexpected = (error: unknown, procedure: string, requestId: string) => {
    if (
      error instanceof TRPCError &&
      error.code === "INTERNAL_SERVER_ERROR" &&
      !(error.cause instanceof NetloomError)
    ) {
      app.log.error({ err: error.cause ?? error, procedure, requestId }, "procedure failed");
    }
  };

  await registerTrpcHttp(app, {
    createContext: ({ req, res }) => createContext({ req, res }),
    onError: logUnexpected,
  });

  await registerOpenApi(app, createContext, logUnexpected);
  await registerOpenStack(app, { store, auth, db });

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
      refresh: (change) => store.refresh(change),
    });
    services.fabricStatus = () => registered.status();
    distribution.registerDistributionMetrics(metrics.registry, registered);
    app.addHook("onClose", async () => {
      await store.refreshFabricNodes().catch((error: unknown) => {
        app.log.warn({ err: error }, "re-reading fabric nodes on close failed");
      });
    });
  }

  await bgp.start();

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
      // Stop accepting (the speaker, then HTTP and agents: distribution drains its own writes
      // on the way out), let the store's writes in flight finish, then close the database.
      await bgp.close();
      await app.close();
      await reach.close();
      await store.close();
      await db.close();
    },
  };
}
