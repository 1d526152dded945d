import {
  type NodeConvergence,
  type NodeObservation,
  nodeConvergence,
  summarize,
} from "./convergence";
import type { CompileFailure } from "./feed";
import type { DistributionHub, DriftState } from "./hub";
import type { StoredNodeRow } from "./store";

/** One node as `fabric.status` shows it (operators only). */
export interface NodeStatus {
  name: string;
  underlay: string;
  appliedGeneration: number;
  appliedHash: string | null;
  /** Generation at which the node's desired config last changed. */
  desiredGeneration: number | null;
  desiredHash: string | null;
  /** Where the node stands (see convergence.ts): the one definition. */
  state: NodeConvergence;
  /** `state === "converged"`: connected, fresh, and applied exactly its desired config. */
  converged: boolean;
  /** No heartbeat within the stale bound, or disconnected. */
  stale: boolean;
  /** An agent is connected to some controller (this one, or another fresh in the database). */
  connected: boolean;
  /** The agent is connected to the controller that answered. */
  servedHere: boolean;
  lastSeenAt: string | null;
  /** Why the last config was refused or failed, until the next ack. */
  lastError: string | null;
  /** Drift the agent's reconcile repaired on the node. */
  drift: DriftState;
  /** Failures the agent counted, by kind. */
  errors: Record<string, number>;
}

/** `fabric.status`: every node, and whether the whole fabric has converged. */
export interface FabricStatus {
  /** Newest committed fabric generation. */
  generation: number;
  /** Newest generation this controller has compiled. */
  compiledGeneration: number;
  converged: boolean;
  /** Why the last compile failed (this controller keeps serving the last good one), or null. */
  compileError: CompileFailure | null;
  counts: { nodes: number; converged: number; stale: number; connected: number; lagging: number };
  /** Nodes connected but not at their config yet, by name. */
  lagging: string[];
  /** Nodes silent or disconnected, by name. */
  stale: string[];
  nodes: NodeStatus[];
}

/** One node as a tenant's user sees it: no underlay, no errors, no fabric generation. */
export interface TenantNodeStatus {
  name: string;
  state: NodeConvergence;
  converged: boolean;
  /** The tenant generation this node has applied, null when not known. */
  appliedGeneration: number | null;
}

/** A tenant's convergence: the nodes that hold its config, each with what it applied. */
export interface TenantStatus {
  tenant: string;
  /** Newest committed generation of the tenant's intent. */
  generation: number;
  /** The tenant generation the controller has compiled (below `generation`: compiling). */
  compiledGeneration: number;
  /**
   * The generation every node holding the tenant has applied (the compiled one when no node
   * holds it): what the network runs. Drafts newer than this are "not applied".
   */
  appliedGeneration: number;
  converged: boolean;
  lagging: string[];
  stale: string[];
  nodes: TenantNodeStatus[];
}

/** What status needs besides the hub: the database rows (other controllers' agents). */
export interface StatusInputs {
  hub: DistributionHub;
  rows: readonly StoredNodeRow[];
  now: number;
  staleAfterMs: number;
}

/** A node's observation, fabric-wide: this controller's session, else the database's row. */
interface Observed extends NodeObservation {
  servedHere: boolean;
  appliedGeneration: number;
  lastError: string | null;
  drift: DriftState;
  errors: Record<string, number>;
}

function observe(inputs: StatusInputs, row: StoredNodeRow): Observed {
  const { hub } = inputs;
  const local = hub.localState(row.name);
  const servedHere = hub.isServing(row.name);
  const rowSeen = row.lastSeenAt?.getTime() ?? null;
  // Whichever heard from the agent last: this controller (its own agents, and ahead of its own
  // flushes), or the database (written by the controller the agent moved to). Every controller
  // thus answers the same once the rows are read.
  const useLocal = local !== undefined && local.lastSeen >= (rowSeen ?? 0);
  const desired = hub.desiredOf(row.name);
  if (useLocal) {
    return {
      name: row.name,
      desiredHash: desired?.hash ?? null,
      appliedHash: local.appliedHash,
      appliedGeneration: local.appliedGeneration,
      lastSeenAt: local.lastSeen,
      connected: servedHere && local.connected,
      servedHere,
      lastError: local.lastError,
      drift: local.drift,
      errors: local.errors,
    };
  }
  return {
    name: row.name,
    desiredHash: desired?.hash ?? null,
    appliedHash: row.appliedHash,
    appliedGeneration: row.appliedGeneration,
    lastSeenAt: rowSeen,
    connected: row.report.connected,
    servedHere: false,
    lastError: row.report.lastError,
    drift: row.report.drift,
    errors: row.report.errors,
  };
}

export function fabricStatus(
  inputs: StatusInputs,
  generation: number,
  compileError: CompileFailure | null,
): FabricStatus {
  const { hub, now, staleAfterMs } = inputs;
  const nodes: NodeStatus[] = inputs.rows.map((row) => {
    const seen = observe(inputs, row);
    const desired = hub.desiredOf(row.name);
    const state = nodeConvergence(seen, now, staleAfterMs);
    return {
      name: row.name,
      underlay: row.underlay,
      appliedGeneration: seen.appliedGeneration,
      appliedHash: seen.appliedHash,
      desiredGeneration: desired?.generation ?? null,
      desiredHash: desired?.hash ?? null,
      state,
      converged: state === "converged",
      stale: state === "stale" || state === "disconnected",
      connected: state !== "disconnected" && state !== "stale",
      servedHere: seen.servedHere,
      lastSeenAt: seen.lastSeenAt === null ? null : new Date(seen.lastSeenAt).toISOString(),
      lastError: seen.lastError,
      drift: seen.drift,
      errors: seen.errors,
    };
  });
  const newest = Math.max(generation, hub.newestGeneration);
  const summary = summarize(nodes, hub.newestGeneration >= generation && compileError === null);
  return {
    generation: newest,
    compiledGeneration: hub.newestGeneration,
    converged: summary.converged,
    compileError,
    counts: {
      nodes: nodes.length,
      converged: summary.convergedCount,
      stale: summary.stale.length,
      connected: nodes.filter((node) => node.connected).length,
      lagging: summary.lagging.length,
    },
    lagging: summary.lagging,
    stale: summary.stale,
    nodes,
  };
}

/**
 * The tenant's convergence: the nodes whose config holds the tenant, by the same definition.
 * `generation` is the tenant's committed generation (the caller's store).
 */
export function tenantStatus(
  inputs: StatusInputs,
  tenant: { id: string; name: string; generation: number },
): TenantStatus {
  const { hub, now, staleAfterMs } = inputs;
  const held = hub.nodesOfTenant(tenant.id);
  const compiledGeneration = hub.compiledTenantGeneration(tenant.id);
  const nodes: TenantNodeStatus[] = [];
  for (const row of inputs.rows) {
    if (!held.has(row.name)) continue;
    const seen = observe(inputs, row);
    const state = nodeConvergence(seen, now, staleAfterMs);
    // At its desired config, the node holds the tenant as compiled (a tenant change that left
    // this node's part alone did not change its hash); otherwise what that older config held.
    const appliedGeneration =
      seen.appliedHash !== null && seen.appliedHash === seen.desiredHash
        ? compiledGeneration
        : (hub.tenantGenerationsOf(row.name, seen.appliedHash)?.[tenant.id] ?? null);
    nodes.push({ name: row.name, state, converged: state === "converged", appliedGeneration });
  }
  const summary = summarize(nodes, compiledGeneration >= tenant.generation);
  const applied = nodes.map((node) => node.appliedGeneration ?? 0);
  return {
    tenant: tenant.name,
    generation: tenant.generation,
    compiledGeneration,
    appliedGeneration: applied.length === 0 ? compiledGeneration : Math.min(...applied),
    converged: summary.converged,
    lagging: summary.lagging,
    stale: summary.stale,
    nodes,
  };
}
