import { nameSchema, RESOURCE_KINDS, type ResourceKind } from "@netloom/model";
import { z } from "zod";
import { requireCloudAdmin } from "../auth/principal";
import { tenantFor, visibleTenants } from "../auth/tenancy";
import { idempotentRequest } from "../store/idempotency";
import type { Store } from "../store/store";
import { QUOTA_NAMES, type Quotas, type TenantState } from "../store/types";
import { authedProcedure, router } from "../trpc";
import { api, okSchema, tenantRef } from "./schemas";

const quotaShape = Object.fromEntries(
  QUOTA_NAMES.map((key) => [key, z.number().int().min(0).max(1_000_000)]),
) as Record<keyof Quotas, z.ZodNumber>;
const quotasSchema = z.strictObject(quotaShape);

const tenantSummarySchema = z.object({
  id: z.string(),
  name: z.string(),
  generation: z.number().int(),
});
const usageSchema = z.object({ used: quotasSchema, quotas: quotasSchema });
const tenantSchema = tenantSummarySchema.extend(usageSchema.shape);

const objectCountsSchema = z.strictObject(
  Object.fromEntries(RESOURCE_KINDS.map((kind) => [kind, z.number().int().min(0)])) as Record<
    ResourceKind,
    z.ZodNumber
  >,
);
/** The newest audited change of a tenant: who did what, when. */
const lastChangeSchema = z.object({
  at: z.string(),
  actor: z.string(),
  action: z.string(),
  kind: z.string(),
  name: z.string(),
  generation: z.number().int(),
});
/** What the tenant picker and the operator console show per tenant. */
const tenantListItemSchema = tenantSummarySchema.extend({
  objects: z.number().int().min(0),
  counts: objectCountsSchema,
  lastChange: lastChangeSchema.nullable(),
});

function summary(state: TenantState) {
  return { id: state.id, name: state.name, generation: state.generation };
}

/** Objects by kind, counted from the in-memory state (no document is built). */
function objectCounts(state: TenantState): Record<ResourceKind, number> {
  const counts = Object.fromEntries(RESOURCE_KINDS.map((kind) => [kind, 0])) as Record<
    ResourceKind,
    number
  >;
  for (const resource of state.resources.values()) counts[resource.kind] += 1;
  return counts;
}

async function listItem(store: Store, state: TenantState) {
  const { events } = await store.history(state, { limit: 1 });
  const newest = events[0];
  return {
    ...summary(state),
    objects: state.resources.size,
    counts: objectCounts(state),
    lastChange: newest
      ? {
          at: newest.at,
          actor: newest.actor,
          action: newest.action,
          kind: newest.kind,
          name: newest.name,
          generation: newest.generation,
        }
      : null,
  };
}

function detail(store: Store, state: TenantState) {
  return { ...summary(state), ...store.usage(state) };
}

export const tenantsRouter = router({
  list: authedProcedure
    .meta(api("GET", "/tenants", "Tenants the caller can see, with object counts and last change"))
    .input(z.void())
    .output(z.array(tenantListItemSchema))
    .query(({ ctx }) =>
      Promise.all(
        visibleTenants(ctx.services.store, ctx.principal).map((state) =>
          listItem(ctx.services.store, state),
        ),
      ),
    ),
  get: authedProcedure
    .meta(api("GET", "/tenants/{tenant}", "One tenant with quotas and usage"))
    .input(tenantRef)
    .output(tenantSchema)
    .query(({ ctx, input }) => {
      const state = tenantFor(ctx.services.store, ctx.principal, input.tenant, "read");
      return detail(ctx.services.store, state);
    }),
  create: authedProcedure
    .input(z.object({ name: nameSchema }))
    .output(tenantSchema)
    .mutation(async ({ ctx, input }) => {
      requireCloudAdmin(ctx.principal);
      const state = await ctx.services.store.createTenant(
        input.name,
        ctx.principal.email,
        idempotentRequest(ctx.idempotencyKey, `${ctx.principal.userId}:tenants.create`, input),
      );
      return detail(ctx.services.store, state);
    }),
  delete: authedProcedure
    .input(tenantRef)
    .output(okSchema)
    .mutation(async ({ ctx, input }) => {
      const state = tenantFor(ctx.services.store, ctx.principal, input.tenant, "write");
      requireCloudAdmin(ctx.principal);
      await ctx.services.store.deleteTenant(state);
      ctx.services.auth.invalidate();
      return { ok: true as const };
    }),
  setQuotas: authedProcedure
    .input(tenantRef.extend({ quotas: quotasSchema.partial() }))
    .output(quotasSchema)
    .mutation(({ ctx, input }) => {
      const state = tenantFor(ctx.services.store, ctx.principal, input.tenant, "write");
      requireCloudAdmin(ctx.principal);
      return ctx.services.store.setQuotas(state, input.quotas, ctx.principal.email);
    }),
  usage: authedProcedure
    .input(tenantRef)
    .output(usageSchema)
    .query(({ ctx, input }) => {
      const state = tenantFor(ctx.services.store, ctx.principal, input.tenant, "read");
      return ctx.services.store.usage(state);
    }),
});
