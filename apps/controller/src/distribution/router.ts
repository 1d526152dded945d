import { NetloomError, nameSchema } from "@netloom/model";
import { z } from "zod";
import { requireCloudAdmin, requireCloudReader } from "../auth/principal";
import { tenantFor } from "../auth/tenancy";
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

/**
 * Distribution's procedures, to mount next to the fabric's (`fabric.onStatus`, ...). `status` is
 * served by the fabric router through `services.fabricStatus`.
 */
export const distributionProcedures = {
  /** `fabric.status`, pushed again on every ack, heartbeat and staleness change (SSE). */
  onStatus: authedProcedure.subscription(async function* ({ ctx, signal }) {
    yield* distributionOf(ctx).onStatus(signal);
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
  status: authedProcedure.query(({ ctx }) => distributionOf(ctx).status()),
});
