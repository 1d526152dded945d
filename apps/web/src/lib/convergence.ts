import { assertNever, type IntentFile } from "@netloom/model";

/**
 * The portal's one reading of convergence. A node holds its config when it is reporting (a
 * heartbeat within the controller's stale bound) and has acked the generation it was sent; an
 * object is converged when every node that should hold its config does. Objects of the draft
 * that were never applied are "not applied", never converged. The pill, the operator badge, the
 * network inspector, the node view and the review all read it from here.
 */

/** One node as the controller's status reports it (the fields this reading needs). */
export interface NodeReport {
  name: string;
  converged: boolean;
  stale: boolean;
  connected: boolean;
  appliedGeneration: number;
  desiredGeneration: number | null;
  lastError: string | null;
}

export interface StatusReport {
  generation: number;
  nodes: readonly NodeReport[];
}

/** Why a node does not hold its config: not reporting, or reporting but not acked yet. */
export type NodeHealth = "converged" | "stale" | "lagging";

export interface NodeBehind {
  name: string;
  health: Exclude<NodeHealth, "converged">;
}

export function nodeHealth(node: NodeReport): NodeHealth {
  if (node.stale) return "stale";
  return node.converged ? "converged" : "lagging";
}

/** Words for one node's health, as every view prints it. */
export function healthLabel(health: NodeHealth): string {
  switch (health) {
    case "converged":
      return "converged";
    case "stale":
      return "not reporting";
    case "lagging":
      return "applying";
    default:
      return assertNever(health);
  }
}

export interface FabricConvergence {
  converged: boolean;
  generation: number;
  nodes: number;
  convergedNodes: number;
  /** Nodes that do not hold their config, by name. */
  behind: NodeBehind[];
}

/** The fabric as a whole: converged when every registered node holds its config. */
export function fabricConvergence(status: StatusReport): FabricConvergence {
  return convergenceOver(status, status.nodes);
}

function convergenceOver(status: StatusReport, nodes: readonly NodeReport[]): FabricConvergence {
  const behind: NodeBehind[] = [];
  for (const node of nodes) {
    const health = nodeHealth(node);
    if (health !== "converged") behind.push({ name: node.name, health });
  }
  behind.sort((a, b) => a.name.localeCompare(b.name));
  return {
    converged: nodes.length > 0 && behind.length === 0,
    generation: status.generation,
    nodes: nodes.length,
    convergedNodes: nodes.length - behind.length,
    behind,
  };
}

/** A workload placed on a node the fabric does not know: that node holds nothing. */
function unknownNode(name: string): NodeReport {
  return {
    name,
    converged: false,
    stale: true,
    connected: false,
    appliedGeneration: 0,
    desiredGeneration: null,
    lastError: null,
  };
}

export type NetworkState = "converged" | "pending" | "not-applied" | "unknown";

export interface NetworkConvergence {
  state: NetworkState;
  /** Nodes that should hold this network's config and do not. */
  behind: NodeBehind[];
}

/**
 * The nodes that should hold a network's config: those hosting a workload on it. A network with
 * no placed workload is held by every node (its routes and policies are compiled everywhere).
 */
export function nodesHolding(doc: IntentFile, network: string, all: readonly string[]): string[] {
  const hosts = new Set<string>();
  for (const workload of doc.workloads ?? []) {
    if (!workload.node) continue;
    if (workload.interfaces.some((iface) => iface.network === network)) hosts.add(workload.node);
  }
  return hosts.size > 0 ? [...hosts].sort() : [...all];
}

/**
 * Every network of the draft `doc`: one that is not in the applied document `applied` (or
 * differs from it) is "not applied"; otherwise converged when every node holding it is.
 */
export function networkConvergence(
  status: StatusReport | undefined,
  doc: IntentFile,
  applied: IntentFile | null,
): Record<string, NetworkConvergence> {
  const appliedNetworks = new Map((applied?.networks ?? []).map((n) => [n.name, n]));
  const byName = new Map((status?.nodes ?? []).map((node) => [node.name, node]));
  const all = [...byName.keys()];
  const out: Record<string, NetworkConvergence> = {};
  for (const network of doc.networks ?? []) {
    const stored = appliedNetworks.get(network.name);
    if (!stored || JSON.stringify(stored) !== JSON.stringify(network)) {
      out[network.name] = { state: "not-applied", behind: [] };
      continue;
    }
    if (!status || all.length === 0) {
      out[network.name] = { state: "unknown", behind: [] };
      continue;
    }
    const holders = nodesHolding(applied ?? doc, network.name, all).map(
      (name) => byName.get(name) ?? unknownNode(name),
    );
    const view = convergenceOver(status, holders);
    out[network.name] = { state: view.converged ? "converged" : "pending", behind: view.behind };
  }
  return out;
}

/** "compute-2 not reporting, compute-3 applying": the named nodes, as every view words them. */
export function describeBehind(behind: readonly NodeBehind[]): string {
  return behind.map((node) => `${node.name} ${healthLabel(node.health)}`).join(", ");
}

/**
 * The nodes a change to `doc` would not reach now: those that should hold the tenant's config
 * and are not reporting (they receive nothing until they reconnect). The review warns about
 * these before apply.
 */
export function unreachableNodes(status: StatusReport | undefined, doc: IntentFile): string[] {
  if (!status) return [];
  return tenantConvergence(status, doc)
    .behind.filter((node) => node.health === "stale")
    .map((node) => node.name);
}

/** The pill's and badge's state word: converged, or why not (a node not reporting wins). */
export function fabricState(fabric: FabricConvergence): "converged" | "stale" | "applying" {
  if (fabric.converged) return "converged";
  return fabric.behind.some((node) => node.health === "stale") ? "stale" : "applying";
}

/** One line for the pill and the operator badge, naming the nodes that are behind. */
export function fabricSummary(fabric: FabricConvergence): string {
  if (fabric.nodes === 0) return "No forwarding nodes registered";
  const counts = `${fabric.convergedNodes}/${fabric.nodes} nodes · gen ${fabric.generation}`;
  if (fabric.converged) return `Converged · ${counts}`;
  return `Not converged: ${describeBehind(fabric.behind)} · ${counts}`;
}

/**
 * A whole tenant: converged when every node hosting one of its workloads holds its config (with
 * no placed workload, every node does: its routes and policies are compiled everywhere).
 */
export function tenantConvergence(status: StatusReport, doc: IntentFile): FabricConvergence {
  const hosts = new Set<string>();
  for (const workload of doc.workloads ?? []) if (workload.node) hosts.add(workload.node);
  if (hosts.size === 0) return fabricConvergence(status);
  const byName = new Map(status.nodes.map((node) => [node.name, node]));
  const holders = [...hosts].sort().map((name) => byName.get(name) ?? unknownNode(name));
  return convergenceOver(status, holders);
}
