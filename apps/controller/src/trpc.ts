import { NetloomError } from "@netloom/model";
import { initTRPC, TRPCError } from "@trpc/server";
import { getHTTPStatusCodeFromError } from "@trpc/server/http";
import { TRPC_ERROR_CODES_BY_KEY } from "@trpc/server/rpc";
import type { OpenApiMeta } from "trpc-to-openapi";
import type { Principal } from "./auth/principal";
import type { AuthService } from "./auth/service";
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
  /** Fabric status from distribution, when it is registered. */
  fabricStatus?: () => Promise<unknown>;
}

/** Per-request context: the services, who is calling, and the cookie hooks of the transport. */
export interface Context {
  services: Services;
  principal: Principal | null;
  /** The session cookie as received (logout). */
  session?: string | undefined;
  /** The request's `Idempotency-Key` header: creates and applies answer a retry once. */
  idempotencyKey?: string | undefined;
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
    errorFormatter({ shape, error }) {
      const domain = domainErrorOf(error.code, error.message, error.cause);
      if (!domain) {
        return {
          ...shape,
          message: "internal error",
          data: {
            ...shape.data,
            stack: undefined,
            netloom: { code: "INTERNAL", problems: [] } satisfies NetloomErrorData,
          },
        };
      }
      const code = trpcCodeOf(domain.code);
      return {
        ...shape,
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

/** Any authenticated caller; `ctx.principal` is set. */
export const authedProcedure = publicProcedure.use(({ ctx, next }) => {
  if (!ctx.principal) {
    throw new TRPCError({ code: "UNAUTHORIZED", message: "log in or send a bearer token" });
  }
  return next({ ctx: { ...ctx, principal: ctx.principal } });
});
