import type { IntentFile, Name, Problem, Workload } from "@netloom/model";

/** What the scheduler and the validator need to know about the fabric. */
export interface FabricView {
  nodes: readonly string[];
  /** Workloads placed on each node by every tenant except the one being changed. */
  otherLoad: ReadonlyMap<string, number>;
}

/**
 * Gives objects that already existed the allocations they had, so that re-applying a file
 * without addresses (or an export) changes nothing: same address per (workload, network), same
 * floating IP per (workload, network, pool), same node.
 */
export function carryOverAllocations(current: IntentFile, desired: IntentFile): IntentFile {
  const result = structuredClone(desired);
  const previous = new Map<string, Workload>();
  for (const workload of current.workloads ?? []) previous.set(workload.name, workload);
  // A pool moved to another network hands out new addresses.
  const poolNetwork = (file: IntentFile, pool: string) =>
    file.floatingIpPools?.find((candidate) => candidate.name === pool)?.network;
  for (const workload of result.workloads ?? []) {
    const before = previous.get(workload.name);
    if (!before) continue;
    if (workload.node === undefined && before.node !== undefined) workload.node = before.node;
    for (const iface of workload.interfaces) {
      const old = before.interfaces.find((candidate) => candidate.network === iface.network);
      if (!old) continue;
      if (iface.ip === undefined && old.ip !== undefined) iface.ip = old.ip;
      if (
        iface.floatingIp &&
        iface.floatingIp.ip === undefined &&
        old.floatingIp?.pool === iface.floatingIp.pool &&
        old.floatingIp.ip !== undefined &&
        poolNetwork(current, old.floatingIp.pool) === poolNetwork(result, iface.floatingIp.pool)
      ) {
        iface.floatingIp.ip = old.floatingIp.ip;
      }
    }
  }
  return result;
}

/**
 * Places workloads without a node: the node with the fewest workloads (all tenants), ties by
 * name. Deterministic, so a dry run and the apply that follows agree.
 */
export function scheduleWorkloads(intent: IntentFile, fabric: FabricView): Problem[] {
  const problems: Problem[] = [];
  const load = new Map<string, number>();
  for (const node of fabric.nodes) load.set(node, fabric.otherLoad.get(node) ?? 0);
  for (const workload of intent.workloads ?? []) {
    if (workload.node !== undefined && load.has(workload.node)) {
      load.set(workload.node, (load.get(workload.node) ?? 0) + 1);
    }
  }
  (intent.workloads ?? []).forEach((workload, index) => {
    if (workload.node !== undefined) return;
    const best = leastLoaded(load);
    if (best === undefined) {
      problems.push({
        path: `workloads[${index}].node`,
        message: "no forwarding node to place the workload on (apply a fabric file first)",
      });
      return;
    }
    workload.node = best as Name;
    load.set(best, (load.get(best) ?? 0) + 1);
  });
  return problems;
}

/** The node with the fewest workloads, ties by name; undefined when there is none. */
function leastLoaded(load: ReadonlyMap<string, number>): string | undefined {
  let best: string | undefined;
  let bestLoad = Number.POSITIVE_INFINITY;
  for (const node of [...load.keys()].sort()) {
    const count = load.get(node) ?? 0;
    if (count < bestLoad) {
      best = node;
      bestLoad = count;
    }
  }
  return best;
}
