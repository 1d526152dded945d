import type { Workload } from "@netloom/model";
import { type IfaceInfo, type NetInfo, NO_IFACES, type TenantDerived } from "./pieces";
import { sameJson } from "./reuse";
import { pushTo, ShardedMap } from "./shardedMap";

/*
 * Stage 2 as a patch: with the same pools and fabric as last time, a workload whose input is
 * equal and whose networks are still there with the same subnets keeps its interfaces; the previous
 * derivation's indexes are copied and only the lists the other workloads were or are in are
 * rebuilt; every other list stays the previous object. An
 * update then allocates for what its edit touched, not for every interface of the tenant.
 */

/** The interface indexes stage 2 produces (see InterfaceStage). */
export interface InterfaceIndexes {
  ifacesByNet: ShardedMap<IfaceInfo[]>;
  ifacesByNode: ShardedMap<IfaceInfo[]>;
  ifacesByWorkload: ShardedMap<IfaceInfo[]>;
  groupMembers: ShardedMap<string[]>;
  /** Nothing interfaces derive from changed: the maps are the previous derivation's. */
  unchanged: boolean;
}

/** Derives one edited or added workload's interfaces (problems go to the derivation's list). */
export type WorkloadDeriver = (workload: Workload, workloadIndex: number) => IfaceInfo[];

/**
 * The indexes for `workloads`, patched from the previous derivation's; undefined when the
 * workloads kept from last time changed their relative order (the caller rebuilds everything).
 */
export function patchInterfaces(
  workloads: readonly Workload[],
  nets: ReadonlyMap<string, NetInfo>,
  prior: TenantDerived,
  deriveWorkload: WorkloadDeriver,
): InterfaceIndexes | undefined {
  const priorWorkloads = prior.workloadInput;
  const lists: IfaceInfo[][] = [];
  const edited: IfaceInfo[][] = [];
  // Previous workloads the walk passed over without matching: removed, or matched later.
  const skipped: number[] = [];
  let priorByName: Map<string, number> | undefined;
  let lastKept = -1;
  let matched = 0;
  let cursor = 0;
  for (let index = 0; index < workloads.length; index++) {
    const workload = workloads[index];
    if (workload === undefined) {
      lists.push([]);
      continue;
    }
    // Edits keep the others in order, shifted by what was added or removed before them: look a
    // few places past the last match before building a map of every previous name.
    let priorIndex = nearbyIndex(priorWorkloads, cursor, workload.name);
    if (priorIndex < 0) {
      priorByName ??= indexByName(priorWorkloads);
      priorIndex = priorByName.get(workload.name) ?? -1;
    }
    if (priorIndex >= cursor) {
      for (let passed = cursor; passed < priorIndex; passed++) skipped.push(passed);
      cursor = priorIndex + 1;
    }
    const before = priorWorkloads[priorIndex];
    const beforeList = before === undefined ? undefined : prior.ifacesByWorkload.get(before.name);
    if (before !== undefined) matched++;
    if (
      before !== undefined &&
      beforeList !== undefined &&
      placedAsBefore(beforeList, nets) &&
      sameJson(before, workload)
    ) {
      if (priorIndex < lastKept) return undefined;
      lastKept = priorIndex;
      lists.push(beforeList);
      continue;
    }
    const list = deriveWorkload(workload, index);
    lists.push(list);
    edited.push(list);
    if (beforeList !== undefined) edited.push(beforeList);
  }
  const gone: string[] = [];
  if (matched < priorWorkloads.length) {
    // Every removed workload was passed over or is past the cursor. One passed over that is
    // still there only has its lists rebuilt (to the same content).
    for (let passed = cursor; passed < priorWorkloads.length; passed++) skipped.push(passed);
    for (let k = 0; k < skipped.length; k++) {
      const passed = skipped[k] ?? -1;
      const name = priorWorkloads[passed]?.name ?? "";
      const beforeList = prior.ifacesByWorkload.get(name);
      if (beforeList !== undefined) edited.push(beforeList);
      gone.push(name);
    }
  }
  return rebuildTouched(workloads, lists, edited, gone, prior);
}

/** How far past the cursor a shifted workload is looked for before a map of names is built. */
const LOOKAHEAD = 4;

/** The previous workload's index when it is at or a few places past `cursor`, else -1. */
function nearbyIndex(priorWorkloads: readonly Workload[], cursor: number, name: string): number {
  const end = Math.min(priorWorkloads.length, cursor + LOOKAHEAD);
  for (let at = cursor; at < end; at++) if (priorWorkloads[at]?.name === name) return at;
  return -1;
}

function indexByName(workloads: readonly Workload[]): Map<string, number> {
  const byName = new Map<string, number>();
  for (let at = 0; at < workloads.length; at++) byName.set(workloads[at]?.name ?? "", at);
  return byName;
}

/** Whether each interface's network is still there with the same subnets (its place may move). */
function placedAsBefore(list: readonly IfaceInfo[], nets: ReadonlyMap<string, NetInfo>): boolean {
  for (let i = 0; i < list.length; i++) {
    const iface = list[i];
    if (iface === undefined) return false;
    const network = nets.get(iface.network);
    if (network === undefined || network.subnetsKey !== iface.subnetsKey) return false;
  }
  return true;
}

/**
 * Copies the previous indexes and rebuilds, in workload order, the lists edited interfaces touch;
 * `gone` names the previous workloads that may have been removed.
 */
function rebuildTouched(
  workloads: readonly Workload[],
  lists: readonly IfaceInfo[][],
  edited: readonly IfaceInfo[][],
  gone: readonly string[],
  prior: TenantDerived,
): InterfaceIndexes {
  // Every workload kept, in the same order (a removed or added one is in `edited`).
  if (edited.length === 0) {
    return {
      ifacesByNet: prior.ifacesByNet,
      ifacesByNode: prior.ifacesByNode,
      ifacesByWorkload: prior.ifacesByWorkload,
      groupMembers: prior.groupMembers,
      unchanged: true,
    };
  }
  const nets = new Set<string>();
  const nodes = new Set<string>();
  const groups = new Set<string>();
  // Indexed loops and forEach, no iterators: this runs once per update, mostly unoptimized,
  // where every for-of step allocates its result object.
  for (let e = 0; e < edited.length; e++) {
    const list = edited[e] ?? NO_IFACES;
    for (let i = 0; i < list.length; i++) {
      const iface = list[i];
      if (iface === undefined) continue;
      nets.add(iface.network);
      nodes.add(iface.node);
      const memberOf = iface.local.value.securityGroups;
      for (let k = 0; k < memberOf.length; k++) groups.add(memberOf[k] ?? "");
    }
  }
  // Copies on write: only the shards holding a touched key are copied.
  const ifacesByNet = new ShardedMap(prior.ifacesByNet);
  const ifacesByNode = new ShardedMap(prior.ifacesByNode);
  const groupMembers = new ShardedMap(prior.groupMembers);
  // Read by name only: the previous map with the edited workloads set and the removed deleted.
  const ifacesByWorkload = new ShardedMap(prior.ifacesByWorkload);
  for (let k = 0; k < gone.length; k++) ifacesByWorkload.delete(gone[k] ?? "");
  nets.forEach((net) => {
    ifacesByNet.delete(net);
  });
  nodes.forEach((node) => {
    ifacesByNode.delete(node);
  });
  groups.forEach((group) => {
    groupMembers.delete(group);
  });
  for (let index = 0; index < workloads.length; index++) {
    const workload = workloads[index];
    const list = lists[index];
    if (workload === undefined || list === undefined) continue;
    if (ifacesByWorkload.get(workload.name) !== list) ifacesByWorkload.set(workload.name, list);
    for (let i = 0; i < list.length; i++) {
      const iface = list[i];
      if (iface === undefined) continue;
      if (nets.has(iface.network)) pushTo(ifacesByNet, iface.network, iface);
      if (nodes.has(iface.node)) pushTo(ifacesByNode, iface.node, iface);
      const memberOf = iface.local.value.securityGroups;
      for (let k = 0; k < memberOf.length; k++) {
        const group = memberOf[k] ?? "";
        if (groups.has(group)) pushTo(groupMembers, group, iface.member);
      }
    }
  }
  return {
    ifacesByNet: ShardedMap.reuseLists(prior.ifacesByNet, ifacesByNet),
    ifacesByNode: ShardedMap.reuseLists(prior.ifacesByNode, ifacesByNode),
    ifacesByWorkload: ShardedMap.reuseLists(prior.ifacesByWorkload, ifacesByWorkload),
    groupMembers: ShardedMap.reuseLists(prior.groupMembers, groupMembers),
    unchanged: false,
  };
}
