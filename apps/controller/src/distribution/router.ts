import { NetloomError, nameSchema } from "@netloom/model";
import { z } from "zod";
import { requireCloudAdmin, requireCloudReader } from "../auth/principal";
import { tenantFor, visibleTenants } from "../auth/tenancy";
import type { ControllerEvents } from "../events";
import { authedProcedure, router } from "../trpc";
import type { Distribution } from "./index";

/**
 * The distribution of each running server, found from a procedure's context by the server's
 * event bus (one per server; several servers may run in one process, e.g. in tests).
 */
const running = new WeakMap<object, Distribution>();

/** Called by registerDistribution: procedures of the server owning `events` use `distribution`. */
export function bindDistribution(events: object, distribution: Distribution): () => void {
  running.set(events, distribution);
  return () => running.delete(events);
}

/** The distribution of the server whose event bus is `events` (benchmarks, tests). */
export function distributionFor(events: object): Distribution | undefined {
  return running.get(events);
}

function distributionOf(ctx: { services: { events: ControllerEvents } }): Distribution {
  const distribution = running.get(ctx.services.events);
  if (!distribution) throw new NetloomError("INTERNAL", "distribution is not running");
  return distribution;
}

const nodeInput = z.object({ node: nameSchema });

function tenantRef(state: { id: string; name: string; generation: number }) {
  return { id: state.id, name: state.name, generation: state.generation };
}

const nodeStateSchema = z.enum(["converged", "lagging", "stale", "disconnected"]);

/** `fabric.tenantStatus`: what a tenant's users may see of convergence. */
export const tenantStatusSchema = z.object({
  tenant: z.string(),
  generation: z.number().int(),
  compiledGeneration: z.number().int(),
  appliedGeneration: z.number().int(),
  converged: z.boolean(),
  lagging: z.array(z.string()),
  stale: z.array(z.string()),
  nodes: z.array(
    z.object({
      name: z.string(),
      state: nodeStateSchema,
      converged: z.boolean(),
      appliedGeneration: z.number().int().nullable(),
    }),
  ),
});

const driftSchema = z.object({
  count: z.number().int(),
  lastRepaired: z.string().nullable(),
  at: z.string().nullable(),
});

/** `fabric.status`: every node by the one definition of convergence (cloud readers only). */
export const fabricStatusSchema = z.object({
  generation: z.number().int(),
  compiledGeneration: z.number().int(),
  converged: z.boolean(),
  compileError: z.object({ message: z.string(), at: z.string() }).nullable(),
  counts: z.object({
    nodes: z.number().int(),
    converged: z.number().int(),
    stale: z.number().int(),
    connected: z.number().int(),
    lagging: z.number().int(),
  }),
  lagging: z.array(z.string()),
  stale: z.array(z.string()),
  nodes: z.array(
    z.object({
      name: z.string(),
      underlay: z.string(),
      appliedGeneration: z.number().int(),
      appliedHash: z.string().nullable(),
      desiredGeneration: z.number().int().nullable(),
      desiredHash: z.string().nullable(),
      state: nodeStateSchema,
      converged: z.boolean(),
      stale: z.boolean(),
      connected: z.boolean(),
      servedHere: z.boolean(),
      lastSeenAt: z.string().nullable(),
      lastError: z.string().nullable(),
      drift: driftSchema,
      errors: z.record(z.string(), z.number()),
    }),
  ),
});

/**
 * Distribution's procedures, to mount next to the fabric's (`fabric.onStatus`, ...). `status` is
 * served by the fabric router through `services.fabricStatus`.
 */
export const distributionProcedures = {
  /**
   * `fabric.status`, pushed again on every ack, heartbeat and staleness change (SSE). Cloud
   * readers only: it shows underlay addresses, node errors and the fabric's generation.
   */
  onStatus: authedProcedure.subscription(async function* ({ ctx, signal }) {
    requireCloudReader(ctx.principal);
    yield* distributionOf(ctx).onStatus(signal);
  }),
  /**
   * One tenant's convergence: the nodes holding its config, each with the tenant generation it
   * applied; lagging and stale nodes named. Readable by the tenant's own users; shows nothing
   * of the underlay, node errors or other tenants. A foreign tenant answers NOT_FOUND.
   */
  tenantStatus: authedProcedure
    .input(z.object({ tenant: nameSchema }))
    .output(tenantStatusSchema)
    .query(({ ctx, input }) => {
      const state = tenantFor(ctx.services.store, ctx.principal, input.tenant, "read");
      return distributionOf(ctx).tenantStatus(tenantRef(state));
    }),
  /** `tenantStatus`, pushed again whenever it changes (SSE). */
  onTenantStatus: authedProcedure
    .input(z.object({ tenant: nameSchema }))
    .subscription(async function* ({ ctx, input, signal }) {
      const first = tenantFor(ctx.services.store, ctx.principal, input.tenant, "read");
      // Re-read on every push: the generation moves; a deleted tenant keeps its last one.
      let last = tenantRef(first);
      const current = () => {
        const state = ctx.services.store.tenantById(first.id);
        if (state) last = tenantRef(state);
        return last;
      };
      yield* distributionOf(ctx).onTenantStatus(current, signal);
    }),
  /**
   * Every tenant the caller can see, each with its `tenantStatus`, pushed whenever one changes
   * (SSE): one stream for the tenant cards however many tenants there are. Tenants created or
   * deleted meanwhile join or leave at the next push.
   */
  onTenantsStatus: authedProcedure.subscription(async function* ({ ctx, signal }) {
    const { store } = ctx.services;
    const visible = () => visibleTenants(store, ctx.principal).map(tenantRef);
    yield* distributionOf(ctx).onTenantsStatus(visible, signal);
  }),
  /** The node's current compiled config, with its generation and hash (lab, check --dataplane). */
  nodeConfig: authedProcedure.input(nodeInput).query(({ ctx, input }) => {
    requireCloudAdmin(ctx.principal);
    return distributionOf(ctx).nodeConfig(input.node);
  }),
  /** Packet hits per rule id last reported by the node's agent. */
  hitCounts: authedProcedure.input(nodeInput).query(({ ctx, input }) => {
    requireCloudReader(ctx.principal);
    return distributionOf(ctx).hitCounts(input.node);
  }),
  /**
   * Packet hits per rule id of one tenant, summed over all nodes. Counts are kept per tenant
   * id, so a tenant sees only its own even where another tenant has the same rule ids; a
   * foreign tenant answers NOT_FOUND like a missing one.
   */
  tenantHitCounts: authedProcedure
    .input(z.object({ tenant: nameSchema }))
    .query(({ ctx, input }) => {
      const state = tenantFor(ctx.services.store, ctx.principal, input.tenant, "read");
      return distributionOf(ctx).tenantHitCounts(state.id);
    }),
  /** A new token for the node's agent; the previous one stops working. */
  issueNodeToken: authedProcedure.input(nodeInput).mutation(async ({ ctx, input }) => {
    requireCloudAdmin(ctx.principal);
    return { node: input.node, token: await distributionOf(ctx).issueNodeToken(input.node) };
  }),
};

/** The same procedures plus `status`, as one router (for mounting on its own). */
export const distributionRouter = router({
  ...distributionProcedures,
  status: authedProcedure.query(({ ctx }) => {
    requireCloudReader(ctx.principal);
    return distributionOf(ctx).status();
  }),
});
