import { expectationSchema, flowEndSchema, protocolSchema } from "@netloom/model";
import { z } from "zod";
import { tenantFor } from "../auth/tenancy";
import { authedProcedure, router } from "../trpc";
import { api, tenantRef } from "./schemas";

const portSchema = z.number().int().min(1).max(65535);

const traceResultSchema = z.object({
  verdict: z.enum(["allow", "deny"]),
  reason: z.string(),
  hops: z.array(
    z.object({
      node: z.string(),
      step: z.string(),
      rule: z.string().optional(),
      detail: z.string().optional(),
    }),
  ),
});

export const reachRouter = router({
  /** The verdict, reason and hops of one flow (spec section 4, trace). */
  trace: authedProcedure
    .meta(api("POST", "/tenants/{tenant}/trace", "Trace one flow"))
    .input(
      tenantRef.extend({
        from: flowEndSchema,
        to: flowEndSchema,
        protocol: protocolSchema,
        port: portSchema.optional(),
      }),
    )
    .output(traceResultSchema.extend({ rule: z.string().optional() }))
    .query(({ ctx, input }) => {
      const state = tenantFor(ctx.services.store, ctx.principal, input.tenant, "read");
      const { tenant: _tenant, ...flow } = input;
      return ctx.services.reach.trace(state, flow);
    }),
  /** Each expectation against the compiled model (spec section 4, check). */
  check: authedProcedure
    .meta(api("POST", "/tenants/{tenant}/check", "Check expectations"))
    .input(tenantRef.extend({ expect: z.array(expectationSchema).max(100_000) }))
    .output(
      z.object({
        total: z.number().int(),
        mismatches: z.array(
          z.object({
            from: z.string(),
            to: z.string(),
            protocol: protocolSchema,
            port: z.number().int().optional(),
            expected: z.enum(["allow", "deny"]),
            got: z.enum(["allow", "deny"]),
          }),
        ),
      }),
    )
    .query(({ ctx, input }) => {
      const state = tenantFor(ctx.services.store, ctx.principal, input.tenant, "read");
      return ctx.services.reach.check(state, input.expect);
    }),
  /**
   * Which workload reaches which, compressed: classes of workloads no rule tells apart, flow
   * classes (atomic port ranges), and per class pair a palette index of the allowed flows.
   * `expandMatrix` of @netloom/compiler gives the per-pair form.
   */
  matrix: authedProcedure
    .meta(api("GET", "/tenants/{tenant}/matrix", "All-pairs reachability (compressed)"))
    .input(tenantRef)
    .output(
      z.object({
        tenant: z.string(),
        workloads: z.array(z.string()),
        classes: z.array(z.array(z.number().int())),
        flows: z.array(
          z.object({
            protocol: protocolSchema,
            port: z.number().int().optional(),
            portTo: z.number().int().optional(),
          }),
        ),
        palette: z.array(z.array(z.number().int())),
        pairs: z.array(z.array(z.number().int())),
      }),
    )
    .query(({ ctx, input }) => {
      const state = tenantFor(ctx.services.store, ctx.principal, input.tenant, "read");
      return ctx.services.reach.matrix(state);
    }),
});
