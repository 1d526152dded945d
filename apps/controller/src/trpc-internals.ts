/**
 * The one place that reaches into tRPC's internals (`unstable-core-do-not-import`, `_def`). The
 * fast HTTP path (fastpath.ts) and the metrics labels need a procedure's type by path and the
 * error shape tRPC itself would answer; tRPC exports neither stably. test/trpc-internals.test.ts
 * fails loudly when an upgrade changes any of this.
 */
import type { AnyRouter } from "@trpc/server";
import { getErrorShape, getTRPCErrorFromUnknown } from "@trpc/server/unstable-core-do-not-import";

export type ProcedureType = "query" | "mutation" | "subscription";

function isProcedureType(value: unknown): value is ProcedureType {
  return value === "query" || value === "mutation" || value === "subscription";
}

/** Every procedure's dotted path and type. Throws if tRPC's router layout changed. */
export function procedureTypes(router: AnyRouter): ReadonlyMap<string, ProcedureType> {
  const procedures: unknown = router._def.procedures;
  if (typeof procedures !== "object" || procedures === null) {
    throw new Error("tRPC changed: router._def.procedures is not an object");
  }
  const types = new Map<string, ProcedureType>();
  for (const [path, procedure] of Object.entries(procedures)) {
    const definition: unknown =
      typeof procedure === "function" && "_def" in procedure ? procedure._def : undefined;
    const type =
      typeof definition === "object" && definition !== null && "type" in definition
        ? definition.type
        : undefined;
    if (!isProcedureType(type)) {
      throw new Error(`tRPC changed: procedure ${path} has no _def.type`);
    }
    types.set(path, type);
  }
  return types;
}

/** Any thrown value as the TRPCError tRPC would make of it (cause kept). */
export const toTRPCError = getTRPCErrorFromUnknown;

/** The error body tRPC would answer for `error`, through the router's errorFormatter. */
export function errorShapeOf(
  router: AnyRouter,
  options: {
    error: ReturnType<typeof getTRPCErrorFromUnknown>;
    type: ProcedureType | "unknown";
    path: string;
    input: unknown;
    ctx: unknown;
  },
): { shape: unknown; httpStatus: number } {
  const shape: unknown = getErrorShape({ config: router._def._config, ...options });
  const data =
    typeof shape === "object" && shape !== null && "data" in shape ? shape.data : undefined;
  const status =
    typeof data === "object" && data !== null && "httpStatus" in data ? data.httpStatus : undefined;
  return { shape, httpStatus: typeof status === "number" ? status : 500 };
}
