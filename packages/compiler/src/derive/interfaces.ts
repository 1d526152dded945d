import { type FloatingIpPool, type Problem, parseIpv4, type Workload } from "@netloom/model";
import type { TenantInput } from "../config";
import { macFrom } from "../hash";
import { portIdOf } from "../ids";
import { cidrInterval, prefixLength } from "../ipv4";
import { type InterfaceIndexes, patchInterfaces } from "./interfacePatch";
import {
  type FabricView,
  type Hasher,
  type IfaceInfo,
  type NetInfo,
  NO_GROUPS,
  type TenantDerived,
} from "./pieces";
import { sameJson, sameStrings } from "./reuse";
import { pushTo, type ReadonlyIndex, ShardedMap } from "./shardedMap";

/*
 * Stage 2: every workload interface as its pieces (local port, remote endpoint, floating IP),
 * indexed by network, node and workload, and each security group's member addresses.
 */

/** Stage 2's indexes (the same whether patched or rebuilt). */
export type InterfaceStage = InterfaceIndexes;

/** What every interface of the tenant derives from, besides its own workload. */
interface InterfaceScope {
  input: TenantInput;
  nets: ReadonlyMap<string, NetInfo>;
  pools: ReadonlyMap<string, string>;
  fabric: FabricView;
  hasher: Hasher;
  problems: Problem[];
  /** Scratch: the interface being derived (never kept). */
  wanted: WantedInterface;
}

export function deriveInterfaces(
  input: TenantInput,
  nets: ReadonlyMap<string, NetInfo>,
  fabric: FabricView,
  prior: TenantDerived | undefined,
  hasher: Hasher,
  problems: Problem[],
): InterfaceStage {
  const workloads = input.intent.workloads ?? [];
  const floatingIpPools = input.intent.floatingIpPools ?? [];
  // Pools and fabric as last time: workloads are patched one by one (and when none changed,
  // the previous indexes are kept as they are).
  const samePools =
    prior !== undefined && prior.fabric === fabric && sameJson(prior.poolInput, floatingIpPools);
  const scope: InterfaceScope = {
    input,
    nets,
    pools: poolNetworks(floatingIpPools),
    fabric,
    hasher,
    problems,
    wanted: {
      workload: "",
      index: 0,
      network: "",
      ip: "",
      securityGroups: NO_GROUPS,
      allowedAddresses: NO_GROUPS,
      node: "",
      underlay: "",
      floatingIp: "",
      externalNetwork: "",
    },
  };
  // Only the lists of workloads edited, or whose network changed its subnets, are rebuilt.
  if (samePools) {
    const patched = patchInterfaces(workloads, nets, prior, (workload, workloadIndex) =>
      workloadInterfaces(scope, workload, workloadIndex, prior, undefined),
    );
    if (patched !== undefined) return patched;
  }
  const stage: InterfaceStage = {
    ifacesByNet: new ShardedMap(),
    ifacesByNode: new ShardedMap(),
    ifacesByWorkload: new ShardedMap(),
    groupMembers: new ShardedMap(),
    unchanged: false,
  };
  for (let workloadIndex = 0; workloadIndex < workloads.length; workloadIndex++) {
    const workload = workloads[workloadIndex];
    if (workload === undefined) continue;
    const list = workloadInterfaces(scope, workload, workloadIndex, prior, stage);
    stage.ifacesByWorkload.set(workload.name, list);
  }
  return stage;
}

function poolNetworks(pools: readonly FloatingIpPool[]): Map<string, string> {
  return new Map(pools.map((pool) => [pool.name, pool.network]));
}

/** One workload's interfaces, added to the stage's indexes (when given) as they are made. */
function workloadInterfaces(
  scope: InterfaceScope,
  workload: Workload,
  workloadIndex: number,
  prior: TenantDerived | undefined,
  stage: InterfaceStage | undefined,
): IfaceInfo[] {
  const node = workload.node;
  const underlay = node === undefined ? undefined : scope.fabric.underlays.get(node);
  if (node === undefined) {
    scope.problems.push({ path: `workloads[${workloadIndex}].node`, message: "no node assigned" });
  } else if (underlay === undefined) {
    scope.problems.push({
      path: `workloads[${workloadIndex}].node`,
      message: `node ${node} is not in the fabric`,
    });
  }
  const nodeName = node ?? "";
  const list: IfaceInfo[] = [];
  const priorList = prior?.ifacesByWorkload.get(workload.name);
  for (let index = 0; index < workload.interfaces.length; index++) {
    const iface = workload.interfaces[index];
    if (iface === undefined) continue;
    // Paths are built only for a problem: this loop runs for every interface of the tenant.
    if (iface.ip === undefined) {
      scope.problems.push({
        path: `workloads[${workloadIndex}].interfaces[${index}].ip`,
        message: "no address allocated",
      });
      continue;
    }
    if (iface.floatingIp !== undefined && iface.floatingIp.ip === undefined) {
      scope.problems.push({
        path: `workloads[${workloadIndex}].interfaces[${index}].floatingIp.ip`,
        message: "no floating address allocated",
      });
    }
    // One scratch record per derivation, refilled per interface (its fields are copied out).
    const wanted = scope.wanted;
    wanted.workload = workload.name;
    wanted.index = index;
    wanted.network = iface.network;
    wanted.ip = iface.ip;
    wanted.securityGroups = iface.securityGroups ?? NO_GROUPS;
    wanted.allowedAddresses = iface.allowedAddresses ?? NO_GROUPS;
    wanted.node = nodeName;
    wanted.underlay = underlay ?? "";
    wanted.floatingIp = iface.floatingIp?.ip ?? "";
    wanted.externalNetwork =
      iface.floatingIp === undefined ? "" : (scope.pools.get(iface.floatingIp.pool) ?? "");
    // The same workload's interface of the last compile.
    const before = priorList === undefined ? undefined : ifaceAt(priorList, index);
    const info = reusedInterface(scope, wanted, before) ?? makeInterface(scope, wanted, before);
    list.push(info);
    if (stage === undefined) continue;
    for (let k = 0; k < wanted.securityGroups.length; k++) {
      pushTo(stage.groupMembers, wanted.securityGroups[k] ?? "", info.member);
    }
    pushTo(stage.ifacesByNet, iface.network, info);
    pushTo(stage.ifacesByNode, nodeName, info);
  }
  return list;
}

/** Everything an interface's pieces derive from. */
interface WantedInterface {
  workload: string;
  index: number;
  network: string;
  ip: string;
  securityGroups: string[];
  allowedAddresses: string[];
  node: string;
  underlay: string;
  floatingIp: string;
  externalNetwork: string;
}

/** The previous interface when everything its pieces derive from is equal. */
function reusedInterface(
  scope: InterfaceScope,
  wanted: WantedInterface,
  before: IfaceInfo | undefined,
): IfaceInfo | undefined {
  const network = scope.nets.get(wanted.network);
  if (
    before === undefined ||
    before.node !== wanted.node ||
    before.remote.value.underlay !== wanted.underlay ||
    before.network !== wanted.network ||
    before.subnetsKey !== (network?.subnetsKey ?? "") ||
    before.local.value.ip !== wanted.ip ||
    !sameStrings(before.local.value.securityGroups, wanted.securityGroups) ||
    !sameStrings(before.local.value.allowedAddresses, wanted.allowedAddresses) ||
    before.floatingIp !== wanted.floatingIp ||
    before.externalNetwork !== wanted.externalNetwork
  ) {
    return undefined;
  }
  // Its network's place in the list may have moved: no piece depends on it.
  return before;
}

/** A new interface's pieces; port id and MAC come from its previous version when it had one. */
function makeInterface(
  scope: InterfaceScope,
  wanted: WantedInterface,
  before: IfaceInfo | undefined,
): IfaceInfo {
  const { workload, index, ip, node, securityGroups } = wanted;
  const network = scope.nets.get(wanted.network);
  const address = parseIpv4(ip) ?? -1;
  const subnet =
    network?.instance.value.subnets.find((candidate) => {
      const range = cidrInterval(candidate.cidr);
      return range !== undefined && address >= range[0] && address <= range[1];
    }) ?? network?.instance.value.subnets[0];
  const portId = before?.local.value.portId ?? portIdOf(scope.input.id, workload, index);
  const mac = before?.local.value.mac ?? macFrom(`${scope.input.id}/${workload}/${index}`);
  const hashed = <T>(value: T) => scope.hasher.hashed(value);
  const info: IfaceInfo = {
    workload,
    index,
    network: wanted.network,
    node,
    subnetsKey: network?.subnetsKey ?? "",
    member: before?.local.value.ip === ip ? before.member : `${ip}/32`,
    floatingIp: wanted.floatingIp,
    externalNetwork: wanted.externalNetwork,
    local: hashed({
      portId,
      workload,
      interfaceIndex: index,
      network: wanted.network,
      ip,
      prefixLength: subnet === undefined ? 32 : prefixLength(subnet.cidr),
      gateway: subnet?.gateway ?? "",
      mac,
      securityGroups,
      allowedAddresses: wanted.allowedAddresses,
    }),
    remote: hashed({
      portId,
      workload,
      network: wanted.network,
      ip,
      mac,
      node,
      underlay: wanted.underlay,
      securityGroups,
    }),
  };
  if (wanted.floatingIp !== "") {
    info.floating = hashed({
      ruleId: `fip:${workload}/${index}`,
      workload,
      portId,
      fixedIp: ip,
      floatingIp: wanted.floatingIp,
      externalNetwork: wanted.externalNetwork,
      node,
    });
  }
  return info;
}

/** The interface of the given index in a workload's list. */
function ifaceAt(list: readonly IfaceInfo[], index: number): IfaceInfo | undefined {
  for (const iface of list) if (iface.index === index) return iface;
  return undefined;
}

/** The interface a workload uses towards a network: its own on it, else its first. */
export function interfaceFacing(
  ifacesByWorkload: ReadonlyIndex<IfaceInfo[]>,
  workload: string,
  network: string,
): IfaceInfo | undefined {
  const list = ifacesByWorkload.get(workload) ?? [];
  return list.find((iface) => iface.network === network) ?? list[0];
}
