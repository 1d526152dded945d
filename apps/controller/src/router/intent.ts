import { intentFileSchema, nameSchema } from "@netloom/model";
import { z } from "zod";
import { isCloudAdmin, seesAllTenants, tenantNotFound } from "../auth/principal";
import { tenantFor } from "../auth/tenancy";
import { applyIntent, exportIntent, parseTenantDocument, resultOf } from "../domain/intent";
import { idempotentRequest } from "../store/idempotency";
import { authedProcedure, router } from "../trpc";
import { api, problemSchema, tenantRef } from "./schemas";

const countsSchema = z.object({ added: z.number(), removed: z.number(), modified: z.number() });

/** The compiler's FabricPlan on the wire. */
export const fabricPlanSchema = z.object({
  nodes: z.array(
    z.object({
      node: z.string(),
      status: z.enum(["added", "removed", "changed"]),
      hashBefore: z.string().optional(),
      hashAfter: z.string().optional(),
      counts: z.record(z.string(), countsSchema),
      items: z.array(
        z.object({
          kind: z.string(),
          key: z.string(),
          change: z.enum(["add", "remove", "modify"]),
        }),
      ),
    }),
  ),
  totals: countsSchema.extend({ nodes: z.number() }),
});

const flowClassSchema = z.object({
  protocol: z.enum(["any", "icmp", "tcp", "udp"]),
  port: z.number().int().optional(),
  portTo: z.number().int().optional(),
});

/** The compiler's Review on the wire: field diffs per object, the reachability delta. */
export const reviewSchema = z.object({
  objects: z.array(
    z.object({
      kind: z.enum([
        "networks",
        "workloads",
        "securityGroups",
        "policies",
        "services",
        "routers",
        "floatingIpPools",
        "assertions",
      ]),
      name: z.string(),
      action: z.enum(["create", "update", "delete"]),
      fields: z.array(
        z.object({
          path: z.string(),
          before: z.unknown().optional(),
          after: z.unknown().optional(),
        }),
      ),
    }),
  ),
  reachability: z.object({
    flippedPairs: z.number().int(),
    flips: z.array(
      z.object({
        from: z.array(z.string()),
        to: z.array(z.string()),
        flow: flowClassSchema,
        before: z.enum(["allow", "deny"]),
        after: z.enum(["allow", "deny"]),
      }),
    ),
  }),
});

const applyResultSchema = z.object({
  tenant: z.string(),
  dryRun: z.boolean(),
  generation: z.number().int(),
  fabricGeneration: z.number().int(),
  changes: z.array(
    z.object({
      action: z.enum(["create", "update", "delete"]),
      kind: z.string(),
      name: z.string(),
    }),
  ),
  plan: fabricPlanSchema.nullable(),
  review: reviewSchema.nullable(),
  brokenAssertions: z.array(problemSchema),
});

const auditSchema = z.object({
  id: z.string(),
  actor: z.string(),
  action: z.string(),
  kind: z.string(),
  name: z.string(),
  before: z.unknown(),
  after: z.unknown(),
  generation: z.number().int(),
  at: z.string(),
});

export const intentRouter = router({
  /**
   * Makes the tenant's stored intent equal to `document` (already decoded from YAML or JSON),
   * all or nothing; `dryRun` answers the plan instead.
   */
  applyFile: authedProcedure
    .meta(api("POST", "/intent", "Apply a tenant file (all or nothing; dryRun plans)"))
    .input(
      z.object({
        tenant: nameSchema.optional(),
        document: z.unknown(),
        dryRun: z.boolean().default(false),
      }),
    )
    .output(applyResultSchema)
    .mutation(({ ctx, input }) => {
      const file = parseTenantDocument(input.document, input.tenant);
      const { store, reach } = ctx.services;
      const exists = store.tenant(file.tenant) !== undefined;
      if (exists) tenantFor(store, ctx.principal, file.tenant, "write");
      else if (!isCloudAdmin(ctx.principal)) throw tenantNotFound(file.tenant);
      return applyIntent(store, reach, file, {
        actor: ctx.principal.email,
        dryRun: input.dryRun,
        createTenant: isCloudAdmin(ctx.principal),
        idempotency: idempotentRequest(
          ctx.idempotencyKey,
          `${ctx.principal.userId}:intent.applyFile`,
          input,
        ),
      });
    }),
  /** The tenant's intent as a file that applies back to the same state. */
  export: authedProcedure
    .meta(api("GET", "/tenants/{tenant}/intent", "Export the tenant file"))
    .input(tenantRef)
    .output(
      z.object({ tenant: z.string(), generation: z.number().int(), document: intentFileSchema }),
    )
    .query(({ ctx, input }) => {
      const state = tenantFor(ctx.services.store, ctx.principal, input.tenant, "read");
      return {
        tenant: state.name,
        generation: state.generation,
        document: exportIntent(ctx.services.store, state),
      };
    }),
  /** Audit events, newest first; pass `next` back as `before` for the following page. */
  history: authedProcedure
    .meta(api("GET", "/tenants/{tenant}/history", "Audit events, newest first"))
    .input(
      tenantRef.extend({
        before: z
          .string()
          .regex(/^\d{1,19}$/)
          .optional(),
        limit: z.coerce.number().int().min(1).max(500).default(50),
      }),
    )
    .output(z.object({ events: z.array(auditSchema), next: z.string().nullable() }))
    .query(({ ctx, input }) => {
      const state = tenantFor(ctx.services.store, ctx.principal, input.tenant, "read");
      return ctx.services.store.history(state, { before: input.before, limit: input.limit });
    }),
  /**
   * Makes the intent what it was at `generation` (as a new generation); `dryRun` answers the
   * same review as a dry-run apply (plan, field diffs, reachability delta) and stores nothing.
   */
  restore: authedProcedure
    .input(
      tenantRef.extend({ generation: z.number().int().min(0), dryRun: z.boolean().default(false) }),
    )
    .output(applyResultSchema)
    .mutation(async ({ ctx, input }) => {
      const { store, reach } = ctx.services;
      const state = tenantFor(store, ctx.principal, input.tenant, "write");
      const outcome = await store.restore(
        state,
        input.generation,
        ctx.principal.email,
        input.dryRun,
      );
      return resultOf(store, reach, state, outcome, input.dryRun);
    }),
  /** Committed changes of the tenants the caller can see, as they happen (SSE). */
  changes: authedProcedure
    .input(z.object({ tenant: nameSchema.optional() }))
    .subscription(async function* ({ ctx, input, signal }) {
      if (input.tenant !== undefined)
        tenantFor(ctx.services.store, ctx.principal, input.tenant, "read");
      for await (const event of ctx.services.events.iterate("changed", signal)) {
        if (input.tenant !== undefined && event.tenant !== input.tenant) continue;
        const visible =
          event.tenantId === null ||
          seesAllTenants(ctx.principal) ||
          ctx.principal.memberships.has(event.tenantId);
        if (!visible) continue;
        yield {
          tenant: event.tenant,
          generation: event.generation,
          fabricGeneration: event.fabricGeneration,
        };
      }
    }),
});
