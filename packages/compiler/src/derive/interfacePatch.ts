import type { Workload } from "@netloom/model";
import type { IfaceInfo, NetInfo, TenantDerived } from "./pieces";
import { push, reuseMapOfLists, sameJson } from "./reuse";

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
  let priorByName: Map<string, number> | undefined;
  let lastKept = -1;
  let matched = 0;
  for (let index = 0; index < workloads.length; index++) {
    const workload = workloads[index];
    if (workload === undefined) {
      lists.push([]);
      continue;
    }
    // Edits keep the others in place, or shift them by what was added or removed before them.
    let priorIndex = -1;
    const atIndex = priorWorkloads[index];
    if (atIndex?.name === workload.name) priorIndex = index;
    else {
      priorByName ??= new Map(priorWorkloads.map((candidate, at) => [candidate.name, at]));
      priorIndex = priorByName.get(workload.name) ?? -1;
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
  if (matched < priorWorkloads.length) {
    const names = new Set(workloads.map((workload) => workload.name));
    for (const before of priorWorkloads) {
      if (names.has(before.name)) continue;
      const beforeList = prior.ifacesByWorkload.get(before.name);
      if (beforeList !== undefined) edited.push(beforeList);
    }
  }
  return rebuildTouched(workloads, lists, edited, prior);
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

/** Copies the previous indexes and rebuilds, in workload order, the lists edited interfaces touch. */
function rebuildTouched(
  workloads: readonly Workload[],
  lists: readonly IfaceInfo[][],
  edited: readonly IfaceInfo[][],
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
  const ifacesByNet = new Map(prior.ifacesByNet);
  const ifacesByNode = new Map(prior.ifacesByNode);
  const groupMembers = new Map(prior.groupMembers);
  const ifacesByWorkload = new Map<string, IfaceInfo[]>();
  for (const net of nets) ifacesByNet.delete(net);
  for (const node of nodes) ifacesByNode.delete(node);
  for (const group of groups) groupMembers.delete(group);
  for (let index = 0; index < workloads.length; index++) {
    const workload = workloads[index];
    const list = lists[index];
    if (workload === undefined || list === undefined) continue;
    ifacesByWorkload.set(workload.name, list);
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
