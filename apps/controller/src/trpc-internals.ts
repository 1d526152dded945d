/**
 * The one place that reaches into tRPC's internals (`unstable-core-do-not-import`, `_def`). The
 * fast HTTP path (fastpath.ts) and the metrics labels need a procedure's type by path, the
 * error shape tRPC itself would answer, and a cheaper way through a procedure's middleware chain;
 * tRPC exports none of these stably. test/trpc-internals.test.ts fails loudly when an upgrade
 * changes any of this.
 */
import { type AnyRouter, TRPCError } from "@trpc/server";
import {
  getErrorShape,
  getTRPCErrorFromUnknown,
  middlewareMarker,
} from "@trpc/server/unstable-core-do-not-import";

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

/** What a tRPC middleware answers; `marker` is how tRPC tells it from a plain object. */
interface MiddlewareResult {
  ok: boolean;
  data?: unknown;
  error?: unknown;
  marker?: unknown;
}
interface CallOptions {
  ctx: unknown;
  type: ProcedureType;
  path: string;
  input: unknown;
  getRawInput: () => Promise<unknown>;
  signal: AbortSignal | undefined;
}
interface NextOptions {
  ctx?: object;
  input?: unknown;
  getRawInput?: () => Promise<unknown>;
}
type Middleware = (
  options: CallOptions & {
    meta: unknown;
    batchIndex: number;
    next(options?: NextOptions): Promise<MiddlewareResult>;
  },
) => Promise<MiddlewareResult>;
interface ProcedureDefinition {
  middlewares: readonly Middleware[];
  meta: unknown;
}

function definitionOf(router: AnyRouter, path: string): ProcedureDefinition {
  const procedures: Record<string, unknown> = router._def.procedures;
  const procedure = procedures[path];
  const definition: unknown =
    typeof procedure === "function" && "_def" in procedure ? procedure._def : undefined;
  if (
    typeof definition !== "object" ||
    definition === null ||
    !("middlewares" in definition) ||
    !Array.isArray(definition.middlewares) ||
    !definition.middlewares.every((middleware) => typeof middleware === "function")
  ) {
    throw new Error(`tRPC changed: procedure ${path} has no _def.middlewares`);
  }
  const inputs: unknown[] =
    "inputs" in definition && Array.isArray(definition.inputs) ? definition.inputs : [];
  const output = "output" in definition ? definition.output : undefined;
  // tRPC marks the middlewares its .input() and .output() add; each is swapped for ours.
  let inputIndex = 0;
  let outputCount = 0;
  const middlewares = definition.middlewares.map((middleware: Middleware): Middleware => {
    const kind: unknown = "_type" in middleware ? middleware._type : undefined;
    if (kind === "input") {
      const parse = syncParseOf(inputs[inputIndex++]);
      return parse ? inputValidator(parse) : middleware;
    }
    if (kind === "output") {
      outputCount++;
      const parse = syncParseOf(output);
      return parse ? outputValidator(parse) : middleware;
    }
    return middleware;
  });
  if (inputIndex !== inputs.length || outputCount !== (output === undefined ? 0 : 1)) {
    throw new Error(`tRPC changed: procedure ${path}'s validation middlewares are not marked`);
  }
  return { middlewares, meta: "meta" in definition ? definition.meta : undefined };
}

type Parse = (value: unknown) => unknown;

/**
 * A zod schema's parse, the way tRPC's getParseFn calls it: synchronous until the schema turns
 * out to need async (a refinement returning a promise), then parseAsync for good. Undefined for
 * any other parser, whose tRPC middleware is kept as it is.
 */
function syncParseOf(schema: unknown): Parse | undefined {
  if (typeof schema !== "object" || schema === null) return undefined;
  if (!("parse" in schema) || !("parseAsync" in schema)) return undefined;
  const { parse, parseAsync } = schema;
  if (typeof parse !== "function" || typeof parseAsync !== "function") return undefined;
  let isAsync = false;
  return (value) => {
    if (!isAsync) {
      try {
        return parse.call(schema, value);
      } catch (cause) {
        if (hasIssues(cause)) throw cause;
        isAsync = true;
      }
    }
    return parseAsync.call(schema, value);
  };
}

function hasIssues(value: unknown): boolean {
  return (
    typeof value === "object" && value !== null && "issues" in value && Array.isArray(value.issues)
  );
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * tRPC's input validation (BAD_REQUEST with the parser's error as cause; several inputs merge
 * as objects) without its Babel object spreads and an await per step: on a hot read these
 * wrappers cost more than zod's own parse.
 */
function inputValidator(parse: Parse): Middleware {
  return async (options) => {
    const raw = await options.getRawInput();
    let parsed: unknown;
    try {
      parsed = parse(raw);
      if (parsed instanceof Promise) parsed = await parsed;
    } catch (cause) {
      throw new TRPCError({ code: "BAD_REQUEST", cause });
    }
    const input =
      isPlainObject(options.input) && isPlainObject(parsed)
        ? { ...options.input, ...parsed }
        : parsed;
    return options.next({ input });
  };
}

/** tRPC's output validation (INTERNAL_SERVER_ERROR "Output validation failed"), likewise. */
function outputValidator(parse: Parse): Middleware {
  return async (options) => {
    const result = await options.next();
    if (!result.ok) return result;
    try {
      let data = parse(result.data);
      if (data instanceof Promise) data = await data;
      return { ...result, data };
    } catch (cause) {
      throw new TRPCError({
        message: "Output validation failed",
        code: "INTERNAL_SERVER_ERROR",
        cause,
      });
    }
  };
}

/**
 * Calls the procedure at `path` the way tRPC's own caller does (its middleware chain:
 * ours, then input and output validation, then the resolver), minus the per-call router
 * proxy and the Babel-compiled object spreads of tRPC's `callRecursive`, which cost the hot
 * reads about 50 µs a request; tRPC's validation middlewares are swapped for equivalents
 * without those spreads (definitionOf). Semantics are tRPC's: test/trpc-internals.test.ts
 * runs the same calls through both and compares.
 */
export function procedureInvoker(
  router: AnyRouter,
): (
  path: string,
  options: { ctx: unknown; type: ProcedureType; input: unknown; signal?: AbortSignal },
) => Promise<unknown> {
  const definitions = new Map<string, ProcedureDefinition>();
  for (const path of procedureTypes(router).keys())
    definitions.set(path, definitionOf(router, path));
  return async (path, { ctx, type, input, signal }) => {
    const definition = definitions.get(path);
    if (!definition) {
      throw new TRPCError({ code: "NOT_FOUND", message: `No procedure found on path "${path}"` });
    }
    const result = await callAt(definition, 0, {
      ctx,
      type,
      path,
      input: undefined,
      getRawInput: resolved(input),
      signal,
    });
    if (!result.ok) throw result.error;
    return result.data;
  };
}

// Closures are made by these helpers rather than inline: tsx (esbuild's keepNames) would
// otherwise name each one with a defineProperty call, on every request.
function resolved(value: unknown): () => Promise<unknown> {
  return () => Promise.resolve(value);
}

function nextAt(
  definition: ProcedureDefinition,
  index: number,
  options: CallOptions,
): (next?: NextOptions) => Promise<MiddlewareResult> {
  return (next) =>
    callAt(definition, index, {
      ctx: next?.ctx ? { ...(options.ctx as object), ...next.ctx } : options.ctx,
      type: options.type,
      path: options.path,
      input: next && "input" in next ? next.input : options.input,
      getRawInput: next?.getRawInput ?? options.getRawInput,
      signal: options.signal,
    });
}

async function callAt(
  definition: ProcedureDefinition,
  index: number,
  options: CallOptions,
): Promise<MiddlewareResult> {
  try {
    const middleware = definition.middlewares[index];
    if (!middleware) {
      throw new TRPCError({
        code: "INTERNAL_SERVER_ERROR",
        message: "No result from middlewares - did you forget to `return next()`?",
      });
    }
    return await middleware({
      ctx: options.ctx,
      type: options.type,
      path: options.path,
      input: options.input,
      getRawInput: options.getRawInput,
      signal: options.signal,
      meta: definition.meta,
      batchIndex: 0,
      next: nextAt(definition, index + 1, options),
    });
  } catch (cause) {
    return { ok: false, error: getTRPCErrorFromUnknown(cause), marker: middlewareMarker };
  }
}
