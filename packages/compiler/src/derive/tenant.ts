import { NetloomError, type Problem } from "@netloom/model";
import type { TenantInput } from "../config";
import { fnv1a64Pair } from "../hash";
import { tenantKeyOf } from "../ids";
import { deriveDnsZones } from "./dns";
import { deriveInterfaces, type InterfaceStage } from "./interfaces";
import {
  deriveNetworks,
  derivePolicies,
  deriveSubnets,
  keptNetworkStages,
  type NetworkStage,
  networksWithFabricExternals,
} from "./networks";
import {
  byOrder,
  type FabricView,
  type GroupPiece,
  Hasher,
  type IfaceInfo,
  NO_IFACES,
  type PeerPiece,
  type RouteInfo,
  type TenantDerived,
  type ZonePiece,
} from "./pieces";
import {
  reuseEach,
  reuseList,
  reuseMap,
  reuseMapOfLists,
  sameItems,
  sameJson,
  sameNetNames,
  sameSlots,
  sameStrings,
} from "./reuse";
import { deriveRoutes, type RouteStage } from "./routes";
import { deriveGroups, deriveServices, type ServiceStage } from "./services";
import { type ReadonlyIndex, ShardedMap } from "./shardedMap";

/*
 * A tenant's node-independent derivation, stage by stage: networks and policies, interfaces,
 * groups and services, routes, DNS; then everything that came out equal to the previous
 * derivation is replaced by the previous object (so an update keeps alive only what its edit
 * changed: what survives a young-generation collection is what makes that collection slow),
 * and the tenant's node slots and peers are laid out.
 */

/** Builds a tenant's node-independent data; throws INVALID when an allocation is missing. */
export function deriveTenant(
  input: TenantInput,
  fabric: FabricView,
  previous?: TenantDerived,
  /** Keep the memo for a later incremental derivation (a one-shot compile does not). */
  remember = true,
): TenantDerived {
  const prior = previous?.id === input.id ? previous : undefined;
  const hasher = new Hasher(
    prior === undefined ? undefined : { memo: prior.memo, generation: prior.memoGeneration },
    remember,
    sameJson,
  );
  const intent = input.intent;
  const problems: Problem[] = [];
  const networks = networksWithFabricExternals(intent, fabric.externals);
  const workloads = intent.workloads ?? [];

  const policyInput = intent.policies ?? [];
  const kept = keptNetworkStages(networks, policyInput, input.vnis, prior);
  const subnetsOf = kept?.subnetsOf ?? deriveSubnets(networks, prior);
  const policies = kept?.policies ?? derivePolicies(policyInput, networks, subnetsOf, prior);
  const nets = kept?.nets ?? deriveNetworks(input, networks, policies, prior, hasher, problems);
  const ifaces = deriveInterfaces(input, nets.nets, fabric, prior, hasher, problems);
  const groups = deriveGroups(
    intent.securityGroups ?? [],
    subnetsOf,
    ifaces.groupMembers,
    prior,
    hasher,
  );
  const services = deriveServices(intent.services ?? [], {
    input,
    subnetsOf,
    nets: nets.nets,
    ifacesByWorkload: ifaces.ifacesByWorkload,
    prior,
    hasher,
    problems,
  });
  const routes = deriveRoutes(nets.netList, policies, intent.routers ?? [], prior);

  const sharedByWorkload = ShardedMap.reuseLists(prior?.ifacesByWorkload, ifaces.ifacesByWorkload);
  const sharedRoutesFrom = reuseMapOfLists(prior?.routesFrom, routes.routesFrom);
  const workloadNames =
    prior !== undefined && sameNames(prior.workloadNames, workloads)
      ? prior.workloadNames
      : workloads.map((workload) => workload.name);
  const dnsZones = deriveDnsZones({
    dnsServices: services.dnsServices,
    workloads,
    workloadNames,
    nets: nets.nets,
    ifacesByWorkload: ifaces.ifacesByWorkload,
    sharedByWorkload,
    routesFrom: routes.routesFrom,
    sharedRoutesFrom,
    prior,
    hasher,
  });

  if (problems.length > 0) throw NetloomError.invalid(problems);
  hasher.prune();

  ifaces.ifacesByNode.delete("");
  return {
    id: input.id,
    name: intent.tenant,
    key: tenantKeyOf(input.id),
    ...sharePlacement(nets, ifaces, fabric, prior),
    memo: hasher.memo,
    memoGeneration: hasher.generation,
    nextSerial: policies.nextSerial,
    networkInput: kept !== undefined && prior !== undefined ? prior.networkInput : networks,
    policyInput: kept !== undefined && prior !== undefined ? prior.policyInput : policyInput,
    vniInput: kept !== undefined && prior !== undefined ? prior.vniInput : input.vnis,
    aclParts: policies.aclParts,
    aclSerials: policies.aclSerials,
    ifacesByWorkload: sharedByWorkload,
    workloadNames,
    routerInput:
      routes.unchanged && prior !== undefined ? prior.routerInput : (intent.routers ?? []),
    workloadInput: ifaces.unchanged && prior !== undefined ? prior.workloadInput : workloads,
    poolInput:
      ifaces.unchanged && prior !== undefined ? prior.poolInput : (intent.floatingIpPools ?? []),
    groupInput: intent.securityGroups ?? [],
    groupMembers: ifaces.groupMembers,
    subnetsOf: reuseMapOfLists(prior?.subnetsOf, subnetsOf),
    policyCache: reuseMap(prior?.policyCache, policies.policyCache),
    netCache: reuseMap(prior?.netCache, nets.netCache),
    mayAllowKey: prior?.mayAllowKey === routes.mayAllowKey ? prior.mayAllowKey : routes.mayAllowKey,
    mayAllow: routes.mayAllow,
    ...shareRoutes(routes, prior),
    routesFrom: sharedRoutesFrom,
    ...shareServices(groups, services, dnsZones, prior),
  };
}

type ServicePieces = Pick<
  TenantDerived,
  "groups" | "firewalls" | "groupList" | "firewallList" | "nats" | "loadBalancers" | "dnsZones"
>;

/** Groups, firewalls, NATs, load balancers and zones, each shared with the previous where equal. */
function shareServices(
  groups: Map<string, GroupPiece>,
  services: ServiceStage,
  dnsZones: ZonePiece[],
  prior: TenantDerived | undefined,
): ServicePieces {
  const sharedGroups = reuseMap(prior?.groups, groups);
  const sharedFirewalls = reuseMap(prior?.firewalls, services.firewalls);
  return {
    groups: sharedGroups,
    firewalls: sharedFirewalls,
    groupList:
      prior !== undefined && prior.groups === sharedGroups
        ? prior.groupList
        : reuseList(prior?.groupList, byOrder(sharedGroups)),
    firewallList:
      prior !== undefined && prior.firewalls === sharedFirewalls
        ? prior.firewallList
        : reuseList(prior?.firewallList, byOrder(sharedFirewalls)),
    nats: reuseList(
      prior?.nats,
      reuseEach(
        prior?.nats,
        services.nats,
        (a, b) => a.value === b.value && a.outside === b.outside && sameItems(a.inside, b.inside),
      ),
    ),
    loadBalancers: reuseList(
      prior?.loadBalancers,
      reuseEach(
        prior?.loadBalancers,
        services.loadBalancers,
        (a, b) => a.value === b.value && a.network === b.network,
      ),
    ),
    dnsZones: reuseList(
      prior?.dnsZones,
      reuseEach(
        prior?.dnsZones,
        dnsZones,
        (a, b) => a.value === b.value && sameItems(a.networks, b.networks),
      ),
    ),
  };
}

type Placement = Pick<
  TenantDerived,
  | "nets"
  | "netList"
  | "ifacesByNet"
  | "ifacesByNode"
  | "ifacesByIndex"
  | "nodes"
  | "slotsByIndex"
  | "peerList"
  | "fabric"
>;

/** Networks, interfaces by network and node, the tenant's node slots and peers, shared. */
function sharePlacement(
  nets: NetworkStage,
  ifaces: InterfaceStage,
  fabric: FabricView,
  prior: TenantDerived | undefined,
): Placement {
  const sharedNets = reuseMap(prior?.nets, nets.nets);
  const sharedNetList = reuseList(prior?.netList, nets.netList);
  const sharedByNet = ShardedMap.reuseLists(prior?.ifacesByNet, ifaces.ifacesByNet);
  const sharedByNode = ShardedMap.reuseLists(prior?.ifacesByNode, ifaces.ifacesByNode);
  const ifacesByIndex =
    prior !== undefined &&
    prior.ifacesByNet === sharedByNet &&
    sameNetNames(prior.netList, sharedNetList)
      ? prior.ifacesByIndex
      : reuseList(
          prior?.ifacesByIndex,
          sharedNetList.map((info) => sharedByNet.get(info.name) ?? NO_IFACES),
        );
  let nodes: string[];
  if (prior !== undefined && prior.ifacesByNode === sharedByNode) {
    nodes = prior.nodes;
  } else if (prior !== undefined && sameKeys(prior.ifacesByNode, sharedByNode)) {
    nodes = prior.nodes;
  } else {
    const sortedNodes = sharedByNode.keys().sort();
    nodes =
      prior !== undefined && sameStrings(prior.nodes, sortedNodes) ? prior.nodes : sortedNodes;
  }
  const slotsByIndex =
    prior !== undefined && prior.nodes === nodes && prior.ifacesByIndex === ifacesByIndex
      ? prior.slotsByIndex
      : nodeSlots(nodes, ifacesByIndex, prior);
  const peerList =
    prior !== undefined && prior.fabric === fabric && prior.nodes === nodes
      ? prior.peerList
      : peersOf(nodes, fabric);
  return {
    nets: sharedNets,
    netList: sharedNetList,
    ifacesByNet: sharedByNet,
    ifacesByNode: sharedByNode,
    ifacesByIndex,
    nodes,
    slotsByIndex,
    peerList,
    fabric,
  };
}

/** Whether the workloads have these names, in this order (compared without building a list). */
function sameNames(names: readonly string[], workloads: readonly { name: string }[]): boolean {
  if (names.length !== workloads.length) return false;
  for (let i = 0; i < names.length; i++) if (names[i] !== workloads[i]?.name) return false;
  return true;
}

/** Whether both maps have the same keys. */
function sameKeys(a: ReadonlyIndex<unknown>, b: ReadonlyIndex<unknown>): boolean {
  if (a.size !== b.size) return false;
  let same = true;
  b.forEach((_value, key) => {
    if (same && !a.has(key)) same = false;
  });
  return same;
}

/** Peers by the tenant's node slots: a node config marks slots, no set and no sort. */
function nodeSlots(
  nodes: readonly string[],
  ifacesByIndex: readonly IfaceInfo[][],
  prior: TenantDerived | undefined,
): Int32Array[] {
  // The same nodes: a network whose interface list is the previous one keeps its slots.
  const sameNodes = prior !== undefined && prior.nodes === nodes;
  const slotsByIndex: Int32Array[] = [];
  for (let index = 0; index < ifacesByIndex.length; index++) {
    const list = ifacesByIndex[index] ?? NO_IFACES;
    const kept = sameNodes ? prior.slotsByIndex[index] : undefined;
    if (kept !== undefined && prior?.ifacesByIndex[index] === list) {
      slotsByIndex.push(kept);
      continue;
    }
    const slots = new Int32Array(list.length);
    for (let k = 0; k < list.length; k++) slots[k] = slotOf(nodes, list[k]?.node ?? "");
    const before = prior?.slotsByIndex[index];
    slotsByIndex.push(before !== undefined && sameSlots(before, slots) ? before : slots);
  }
  return reuseList(prior?.slotsByIndex, slotsByIndex);
}

/** A node's slot: its place in the sorted node list (found by halving, no map built), or -1. */
function slotOf(nodes: readonly string[], node: string): number {
  let low = 0;
  let high = nodes.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((nodes[middle] ?? "") < node) low = middle + 1;
    else high = middle;
  }
  return nodes[low] === node ? low : -1;
}

/** Each node's shared peer piece (entry and hash), from the fabric view's cache. */
function peersOf(nodes: readonly string[], fabric: FabricView): PeerPiece[] {
  const pieces: PeerPiece[] = [];
  for (let i = 0; i < nodes.length; i++) {
    const peer = nodes[i] ?? "";
    let piece = fabric.peerPieces.get(peer);
    if (piece === undefined) {
      const underlay = fabric.underlays.get(peer) ?? "";
      const [high, low] = fnv1a64Pair(`${peer}\u0000${underlay}`);
      piece = { value: { node: peer, underlay }, high, low };
      fabric.peerPieces.set(peer, piece);
    }
    pieces.push(piece);
  }
  return pieces;
}

/** The route maps, each shared with the previous derivation where equal. */
function shareRoutes(
  routes: RouteStage,
  prior: TenantDerived | undefined,
): Pick<TenantDerived, "routeCache" | "routesByIndex"> {
  if (routes.unchanged)
    return { routeCache: routes.routeCache, routesByIndex: routes.routesByIndex };
  const routeCache = new Map<string, Map<string, RouteInfo>>();
  routes.routeCache.forEach((cache, from) => {
    routeCache.set(from, reuseMap(prior?.routeCache.get(from), cache));
  });
  return {
    routeCache: reuseMap(prior?.routeCache, routeCache),
    routesByIndex: reuseList(
      prior?.routesByIndex,
      routes.routesByIndex.map((list, index) => reuseList(prior?.routesByIndex[index], list)),
    ),
  };
}
