import { NetloomError } from "@netloom/model";
import { initTRPC, TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { TRPC_ERROR_CODES_BY_KEY } from "@trpc/server/rpc";
import type { OpenApiMeta } from "trpc-to-openapi";
import { ZodError } from "zod";
import type { Principal } from "./auth/principal";
import type { AuthService } from "./auth/service";
import { untilAborted } from "./auth/streams";
import type { BgpService } from "./bgp/service";
import { unavailableOr } from "./db";
import { domainErrorOf, type NetloomErrorData, trpcCodeOf } from "./errors";
import type { ControllerEvents } from "./events";
import type { Reach } from "./reach";
import type { Store } from "./store/store";

/** Long-lived services every procedure may use. */
export interface Services {
  store: Store;
  auth: AuthService;
  events: ControllerEvents;
  reach: Reach;
  /** The server's logger (absent for bare in-process services). */
  log?: { error(details: object, message: string): void } | undefined;
  /** Fabric status from distribution, when it is registered. */
  fabricStatus?: () => Promise<unknown>;
  /** Issue 14: the BGP speaker (absent for bare in-process services). */
  bgp?: BgpService | undefined;
}

/** Per-request context: the services, who is calling, and the cookie hooks of the transport. */
export interface Context {
  services: Services;
  principal: Principal | null;
  /** The session cookie as received (logout). */
  session?: string | undefined;
  /** The request's `Idempotency-Key` header: creates and applies answer a retry once. */
  idempotencyKey?: string | undefined;
  /** Which credential authenticated the call (`AuthService.authenticateCredential`): ends its streams. */
  credential?: string | undefined;
  /** The caller's address (rate limits, audit); absent for in-process callers. */
  clientAddress?: string | undefined;
  /** The HTTP request's id, also in its log lines and `x-request-id`. */
  requestId?: string | undefined;
  /** Sets (value) or clears (null) the session cookie; absent for in-process callers. */
  setSession?: ((value: string | null) => void) | undefined;
}

const t = initTRPC
  .context<Context>()
  .meta<OpenApiMeta>()
  .create({
    /**
     * Domain errors are mapped to tRPC codes here and only here; `data.netloom` carries
     * `{code, problems}` for clients. Unexpected errors keep their cause in the log, not on the
     * wire.
     */
    errorFormatter({ shape, error, ctx }) {
      const domain = domainErrorOf(error.code, error.message, error.cause);
      if (!domain) {
        return {
          ...shape,
          message: "internal error",
          data: {
            ...shape.data,
            stack: undefined,
            requestId: ctx?.requestId,
            netloom: { code: "INTERNAL", problems: [] } satisfies NetloomErrorData,
          },
        };
      }
      const code = trpcCodeOf(domain.code);
      return {
        ...shape,
        // A zod failure's own message is its issues as JSON: say the problems instead.
        message: error.cause instanceof ZodError ? problemsMessage(domain) : shape.message,
        code: TRPC_ERROR_CODES_BY_KEY[code],
        data: {
          ...shape.data,
          code,
          httpStatus: getHTTPStatusCodeFromError(new TRPCError({ code })),
          stack: undefined,
          netloom: domain,
        },
      };
    },
  });

function problemsMessage(domain: NetloomErrorData): string {
  const lines = domain.problems.map((problem) =>
    problem.path ? `${problem.path}: ${problem.message}` : problem.message,
  );
  return lines.join("\n") || "invalid input";
}

export const router = t.router;
export const middleware = t.middleware;
export const createCallerFactory = t.createCallerFactory;

/**
 * Gives domain errors their tRPC code (from the one table in errors.ts) as they leave a
 * procedure, so that every transport (tRPC, the REST view) answers the same HTTP status.
 */
const domainErrors = t.middleware(async ({ next }) => {
  const result = await next();
  // A lost database connection is UNAVAILABLE (retryable), whatever layer noticed it.
  const cause = result.ok ? undefined : unavailableOr(result.error.cause);
  if (!result.ok && cause instanceof NetloomError) {
    throw new TRPCError({ code: trpcCodeOf(cause.code), message: cause.message, cause });
  }
  return result;
});

/** No authentication needed (login, health). */
export const publicProcedure = t.procedure.use(domainErrors);

/**
 * Any authenticated caller; `ctx.principal` is set. A subscription's stream is registered with
 * the auth service and ends at once when the caller's roles change or its credential is revoked
 * (its principal, and so its filter, was fixed when it opened).
 */
export const authedProcedure = publicProcedure.use(async ({ ctx, next, type }) => {
  const principal = ctx.principal;
  if (!principal) {
    throw new TRPCError({ code: "UNAUTHORIZED", message: "log in or send a bearer token" });
  }
  const result = await next({ ctx: { ...ctx, principal } });
  if (type !== "subscription" || !result.ok || !isAsyncIterable(result.data)) return result;
  const lease = ctx.services.auth.streams.register(principal.userId, ctx.credential);
  const data = untilAborted(result.data, lease.signal, {
    onEnd: lease.release,
    onCleanupError: (error) =>
      ctx.services.log?.error({ err: error, userId: principal.userId }, "stream cleanup failed"),
  });
  return { ...result, data };
});

function isAsyncIterable(value: unknown): value is AsyncIterable<unknown> {
  return typeof value === "object" && value !== null && Symbol.asyncIterator in value;
}
