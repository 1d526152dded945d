import { assertNever, type IntentFile } from "@netloom/model";

/**
 * The portal's reading of the controller's one definition of convergence
 * (distribution/convergence.ts): a node is converged when its agent is connected, heard from
 * within the stale bound, and has acked the config it should hold. The controller computes each
 * node's state and the verdict; this module only words it and narrows it to a network, so the
 * pill, the operator badge, the network inspector, the node view and the review say the same.
 * Objects of the draft that were never applied are "not applied", never converged.
 */

/** A node's state as the controller computes it. */
export type NodeState = "converged" | "lagging" | "stale" | "disconnected";

/** What every status answer (fabric-wide or one tenant's) says, in the fields read here. */
export interface StatusReport {
  generation: number;
  converged: boolean;
  lagging: readonly string[];
  stale: readonly string[];
  nodes: readonly { name: string; state: NodeState }[];
}

/** Why a node does not hold its config: not reporting (stale or gone), or not acked yet. */
export type NodeHealth = "converged" | "stale" | "lagging";

export interface NodeBehind {
  name: string;
  health: Exclude<NodeHealth, "converged">;
}

export function healthOf(state: NodeState): NodeHealth {
  switch (state) {
    case "converged":
      return "converged";
    case "lagging":
      return "lagging";
    case "stale":
    case "disconnected":
      return "stale";
    default:
      return assertNever(state);
  }
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

export interface ConvergenceView {
  converged: boolean;
  generation: number;
  nodes: number;
  convergedNodes: number;
  /** Nodes that do not hold their config, by name: not reporting first. */
  behind: NodeBehind[];
}

/** The controller's verdict over a status answer, with the nodes behind named. */
export function convergenceOf(status: StatusReport): ConvergenceView {
  const behind: NodeBehind[] = [
    ...[...status.stale].sort().map((name) => ({ name, health: "stale" as const })),
    ...[...status.lagging].sort().map((name) => ({ name, health: "lagging" as const })),
  ];
  return {
    converged: status.converged,
    generation: status.generation,
    nodes: status.nodes.length,
    convergedNodes: status.nodes.filter((node) => node.state === "converged").length,
    behind,
  };
}

export type NetworkState = "converged" | "pending" | "not-applied" | "unknown";

export interface NetworkConvergence {
  state: NetworkState;
  /** Nodes that should hold this network's config and do not. */
  behind: NodeBehind[];
}

/**
 * The nodes that hold a network's config, among `all` (the tenant's nodes): those hosting a
 * workload on it; a network with no placed workload is held by all of them.
 */
export function nodesHolding(doc: IntentFile, network: string, all: readonly string[]): string[] {
  const hosts = new Set<string>();
  for (const workload of doc.workloads ?? []) {
    if (!workload.node) continue;
    if (workload.interfaces.some((iface) => iface.network === network)) hosts.add(workload.node);
  }
  const held = all.filter((name) => hosts.has(name));
  return held.length > 0 ? held : [...all];
}

/**
 * Every network of the draft `doc`, from the tenant's status: one that is not in the applied
 * document `applied` (or differs from it) is "not applied"; otherwise converged when the tenant
 * is, or when every node holding it is.
 */
export function networkConvergence(
  status: StatusReport | undefined,
  doc: IntentFile,
  applied: IntentFile | null,
): Record<string, NetworkConvergence> {
  const appliedNetworks = new Map((applied?.networks ?? []).map((n) => [n.name, n]));
  const states = new Map((status?.nodes ?? []).map((node) => [node.name, node.state]));
  const out: Record<string, NetworkConvergence> = {};
  for (const network of doc.networks ?? []) {
    const stored = appliedNetworks.get(network.name);
    if (!stored || JSON.stringify(stored) !== JSON.stringify(network)) {
      out[network.name] = { state: "not-applied", behind: [] };
      continue;
    }
    if (!status) {
      out[network.name] = { state: "unknown", behind: [] };
      continue;
    }
    const behind: NodeBehind[] = [];
    for (const name of nodesHolding(applied ?? doc, network.name, [...states.keys()])) {
      const health = healthOf(states.get(name) ?? "disconnected");
      if (health !== "converged") behind.push({ name, health });
    }
    const converged = status.converged || (states.size > 0 && behind.length === 0);
    out[network.name] = { state: converged ? "converged" : "pending", behind };
  }
  return out;
}

/** "compute-2 not reporting, compute-3 applying": the named nodes, as every view words them. */
export function describeBehind(behind: readonly NodeBehind[]): string {
  return behind.map((node) => `${node.name} ${healthLabel(node.health)}`).join(", ");
}

/**
 * The nodes a change would not reach now: those of the tenant's status that are not reporting
 * (they receive nothing until they reconnect). The review warns about these before apply.
 */
export function unreachableNodes(status: StatusReport | undefined): string[] {
  return status ? [...status.stale].sort() : [];
}

/** The pill's and badge's state word: converged, or why not (a node not reporting wins). */
export function convergenceState(view: ConvergenceView): "converged" | "stale" | "applying" {
  if (view.converged) return "converged";
  return view.behind.some((node) => node.health === "stale") ? "stale" : "applying";
}

/** One line for the pill and the operator badge, naming the nodes that are behind. */
export function convergenceSummary(view: ConvergenceView): string {
  const counts = `${view.convergedNodes}/${view.nodes} nodes · gen ${view.generation}`;
  if (view.converged) return `Converged · ${counts}`;
  if (view.behind.length === 0) return `Not converged: compiling · ${counts}`;
  return `Not converged: ${describeBehind(view.behind)} · ${counts}`;
}
