import type { Workload } from "@netloom/model";
import type { IfaceInfo, NetInfo, TenantDerived } from "./pieces";
import { copyMap, push, reuseMapOfLists, sameJson } from "./reuse";

/*
 * Stage 2 as a patch: with the same pools and fabric as last time, a workload whose input is
 * equal and whose networks are still there with the same subnets keeps its interfaces; the previous
 * derivation's indexes are copied and only the lists the other workloads were or are in are
 * rebuilt; every other list stays the previous object. An
 * update then allocates for what its edit touched, not for every interface of the tenant.
 */

/** The interface indexes stage 2 produces (see InterfaceStage). */
export interface InterfaceIndexes {
  ifacesByNet: Map<string, IfaceInfo[]>;
  ifacesByNode: Map<string, IfaceInfo[]>;
  ifacesByWorkload: Map<string, IfaceInfo[]>;
  groupMembers: Map<string, string[]>;
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
    for (const passed of skipped) {
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
  for (const list of edited) {
    for (const iface of list) {
      nets.add(iface.network);
      nodes.add(iface.node);
      for (const group of iface.local.value.securityGroups) groups.add(group);
    }
  }
  const ifacesByNet = copyMap(prior.ifacesByNet);
  const ifacesByNode = copyMap(prior.ifacesByNode);
  const groupMembers = copyMap(prior.groupMembers);
  // Read by name only: the previous map with the edited workloads set and the removed deleted.
  const ifacesByWorkload = copyMap(prior.ifacesByWorkload);
  for (const name of gone) ifacesByWorkload.delete(name);
  for (const net of nets) ifacesByNet.delete(net);
  for (const node of nodes) ifacesByNode.delete(node);
  for (const group of groups) groupMembers.delete(group);
  for (let index = 0; index < workloads.length; index++) {
    const workload = workloads[index];
    const list = lists[index];
    if (workload === undefined || list === undefined) continue;
    if (ifacesByWorkload.get(workload.name) !== list) ifacesByWorkload.set(workload.name, list);
    for (const iface of list) {
      if (nets.has(iface.network)) push(ifacesByNet, iface.network, iface);
      if (nodes.has(iface.node)) push(ifacesByNode, iface.node, iface);
      const memberOf = iface.local.value.securityGroups;
      for (let k = 0; k < memberOf.length; k++) {
        const group = memberOf[k] ?? "";
        if (groups.has(group)) push(groupMembers, group, iface.member);
      }
    }
  }
  return {
    ifacesByNet: reuseMapOfLists(prior.ifacesByNet, ifacesByNet),
    ifacesByNode: reuseMapOfLists(prior.ifacesByNode, ifacesByNode),
    ifacesByWorkload: reuseMapOfLists(prior.ifacesByWorkload, ifacesByWorkload),
    groupMembers: reuseMapOfLists(prior.groupMembers, groupMembers),
    unchanged: false,
  };
}
