import { NetloomError } from "@netloom/model";
import { initTRPC, TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { appRouter } from "../src/router/index";
import { errorShapeOf, procedureInvoker, procedureTypes, toTRPCError } from "../src/trpc-internals";

/**
 * The fast HTTP path leans on tRPC internals through trpc-internals.ts. If a tRPC upgrade moves
 * them, these fail here, by name, instead of the controller answering wrong shapes at runtime.
 */
describe("tRPC internals the fast path relies on", () => {
  it("router._def.procedures lists every procedure with its type", () => {
    const types = procedureTypes(appRouter);
    expect(types.get("tenants.list")).toBe("query");
    expect(types.get("auth.login")).toBe("mutation");
    expect(types.get("intent.changes")).toBe("subscription");
    expect(types.size).toBeGreaterThan(40);
  });

  it("getTRPCErrorFromUnknown keeps a domain error as the cause", () => {
    const domain = new NetloomError("NOT_FOUND", "tenant x not found");
    const error = toTRPCError(domain);
    expect(error).toBeInstanceOf(TRPCError);
    expect(error.cause).toBe(domain);
  });

  it("getErrorShape runs our errorFormatter and gives the HTTP status", () => {
    const error = toTRPCError(
      new TRPCError({
        code: "NOT_FOUND",
        cause: new NetloomError("NOT_FOUND", "tenant x not found", [
          { path: "tenant", message: "tenant x not found" },
        ]),
      }),
    );
    const { shape, httpStatus } = errorShapeOf(appRouter, {
      error,
      type: "query",
      path: "tenants.get",
      input: { tenant: "x" },
      ctx: undefined,
    });
    expect(httpStatus).toBe(404);
    expect(shape).toMatchObject({
      data: { netloom: { code: "NOT_FOUND", problems: [{ path: "tenant" }] } },
    });
  });

  it("an unexpected error's shape is 500 without internals", () => {
    const { shape, httpStatus } = errorShapeOf(appRouter, {
      error: toTRPCError(new Error("secret detail")),
      type: "query",
      path: "tenants.list",
      input: undefined,
      ctx: { requestId: "r-1" },
    });
    expect(httpStatus).toBe(500);
    expect(JSON.stringify(shape)).not.toContain("secret detail");
    expect(shape).toMatchObject({ message: "internal error", data: { requestId: "r-1" } });
  });
});

/**
 * procedureInvoker runs a procedure's middleware chain without tRPC's caller. The same calls go
 * through both here; any difference in what a middleware sees or what comes out fails by name.
 */
describe("procedureInvoker answers as tRPC's own caller", () => {
  const t = initTRPC
    .context<{ user: string | null; seen: string[] }>()
    .meta<{ label: string }>()
    .create();
  const mapped = t.middleware(async ({ next }) => {
    const result = await next();
    if (!result.ok && result.error.cause instanceof RangeError) {
      throw new TRPCError({ code: "CONFLICT", message: "mapped", cause: result.error.cause });
    }
    return result;
  });
  const authed = t.procedure
    .use(mapped)
    .use(async ({ ctx, next, meta, path, type, getRawInput }) => {
      ctx.seen.push(`${meta?.label}|${path}|${type}|${JSON.stringify(await getRawInput())}`);
      if (!ctx.user) throw new TRPCError({ code: "UNAUTHORIZED" });
      return next({ ctx: { user: ctx.user.toUpperCase() } });
    });
  const router = t.router({
    greet: authed
      .meta({ label: "greet" })
      .input(z.object({ name: z.string().min(1), times: z.coerce.number().default(1) }))
      .output(z.object({ text: z.string(), by: z.string() }))
      .query(({ ctx, input }) => ({ text: `hi ${input.name}`.repeat(input.times), by: ctx.user })),
    broken: authed
      .output(z.object({ n: z.number() }))
      .query(() => ({ n: "not a number" }) as never),
    // Two inputs merge as objects; an async refinement makes zod's sync parse throw, after
    // which parseAsync answers (tRPC's getParseFn does the same).
    merged: authed
      .input(z.object({ name: z.string() }))
      .input(
        z
          .object({ tag: z.string() })
          .refine(async (value) => value.tag !== "taken", { message: "tag taken" }),
      )
      .output(
        z
          .object({ name: z.string(), tag: z.string() })
          .refine(async (value) => value.tag !== "hidden", { message: "hidden" }),
      )
      .query(({ input }) => input),
    fails: authed.mutation(() => {
      throw new RangeError("out of range");
    }),
    crashes: authed.query(() => {
      throw new Error("boom");
    }),
  });
  const invoke = procedureInvoker(router);
  const caller = t.createCallerFactory(router);

  async function both(
    path: "greet" | "broken" | "merged" | "fails" | "crashes",
    type: "query" | "mutation",
    user: string | null,
    input: unknown,
  ) {
    const settle = (promise: Promise<unknown>) =>
      promise.then(
        (data) => ({ data, error: undefined }),
        (error: unknown) => ({ data: undefined, error }),
      );
    const ours = { user, seen: [] as string[] };
    const theirs = { user, seen: [] as string[] };
    const viaInvoker = await settle(invoke(path, { ctx: ours, type, input }));
    const procedures = caller(theirs) as unknown as Record<
      string,
      (input: unknown) => Promise<unknown>
    >;
    const viaCaller = await settle(procedures[path]?.(input) ?? Promise.reject(new Error(path)));
    expect(ours.seen).toEqual(theirs.seen);
    return { viaInvoker, viaCaller };
  }

  function codeAndCause(error: unknown) {
    expect(error).toBeInstanceOf(TRPCError);
    const trpc = error as TRPCError;
    return { code: trpc.code, message: trpc.message, cause: trpc.cause?.constructor.name };
  }

  it("gives the same data, with the middleware's ctx and the parsed input", async () => {
    const { viaInvoker, viaCaller } = await both("greet", "query", "ann", {
      name: "bo",
      times: "2",
    });
    expect(viaInvoker.data).toEqual({ text: "hi bohi bo", by: "ANN" });
    expect(viaInvoker).toEqual(viaCaller);
  });

  it("merges several inputs and falls back to async parsing as tRPC does", async () => {
    for (let call = 0; call < 2; call++) {
      const { viaInvoker, viaCaller } = await both("merged", "query", "ann", {
        name: "bo",
        tag: "x",
        extra: 1,
      });
      expect(viaInvoker.data).toEqual({ name: "bo", tag: "x" });
      expect(viaInvoker).toEqual(viaCaller);
    }
  });

  it("refuses bad input, a missing user, a bad output and a thrown error with tRPC's errors", async () => {
    const cases = [
      ["greet", "query", "ann", { name: "" }, "BAD_REQUEST"],
      ["greet", "query", null, { name: "bo" }, "UNAUTHORIZED"],
      ["broken", "query", "ann", undefined, "INTERNAL_SERVER_ERROR"],
      ["merged", "query", "ann", { name: "bo", tag: "taken" }, "BAD_REQUEST"],
      ["merged", "query", "ann", { name: "bo", tag: "hidden" }, "INTERNAL_SERVER_ERROR"],
      ["fails", "mutation", "ann", undefined, "CONFLICT"],
      ["crashes", "query", "ann", undefined, "INTERNAL_SERVER_ERROR"],
    ] as const;
    for (const [path, type, user, input, code] of cases) {
      const { viaInvoker, viaCaller } = await both(path, type, user, input);
      expect(codeAndCause(viaInvoker.error)).toEqual(codeAndCause(viaCaller.error));
      expect((viaInvoker.error as TRPCError).code, path).toBe(code);
    }
  });

  it("answers NOT_FOUND for a path with no procedure", async () => {
    await expect(
      invoke("nothing.here", { ctx: {}, type: "query", input: undefined }),
    ).rejects.toMatchObject({
      code: "NOT_FOUND",
    });
  });

  it("reads every procedure of the controller's router", () => {
    expect(() => procedureInvoker(appRouter)).not.toThrow();
  });
});
