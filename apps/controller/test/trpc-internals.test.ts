import { NetloomError } from "@netloom/model";
import { TRPCError } from "@trpc/server";
import { describe, expect, it } from "vitest";
import { appRouter } from "../src/router/index";
import { errorShapeOf, procedureTypes, toTRPCError } from "../src/trpc-internals";

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
