import type {
  FabricExternalNetworkSpec,
  Network as NetworkSpec,
  Policy,
  SecurityGroup,
  Workload,
} from "@netloom/model";
import type {
  DnsZone,
  FirewallEntry,
  FloatingIpTranslation,
  InterNetworkRoute,
  LoadBalancerConfig,
  LocalInterface,
  NetworkInstance,
  PolicyAclEntry,
  RemoteEndpoint,
  SecurityGroupEntry,
  SourceNatTranslation,
} from "../config";
import { withJsonHash } from "../hash";
import type { IntervalSet } from "../ipv4";
import type { ShardedMap } from "./shardedMap";

/*
 * The pieces of a tenant's node-independent derivation: everything about one tenant that does
 * not depend on which node looks at it, built once per tenant (and kept by the incremental
 * compiler), then cut into one TenantConfig per node (nodeConfig.ts). Shared pieces (network
 * instances, remote endpoints, groups, ...) are the same objects in every node's config and carry
 * their content hash, so a node's hash combines hashes instead of re-serializing.
 */

export interface Hashed<T> {
  value: T;
  /** Content hash (FNV-1a 64 of the JSON) as two 32-bit halves. */
  high: number;
  low: number;
}

export interface Ordered<T> extends Hashed<T> {
  order: number;
}

export interface NetInfo {
  name: string;
  /** Everything the network's instance derives from (cache key). */
  key: string;
  /** JSON of the subnets (with gateways): part of each interface's cache key. */
  subnetsKey: string;
  order: number;
  external: boolean;
  set: IntervalSet;
  instance: Hashed<NetworkInstance>;
  /** Services named by this network's policy list. */
  services: Set<string>;
}

export interface IfaceInfo {
  workload: string;
  index: number;
  /** Its network by name only: a network's place in the list may move without touching it. */
  network: string;
  node: string;
  /** JSON of the network's subnets when the pieces were made (they derive from it). */
  subnetsKey: string;
  /** `<ip>/32`: the interface as a member of its groups. */
  member: string;
  /** The floating address and its external network ("" when none). */
  floatingIp: string;
  externalNetwork: string;
  local: Hashed<LocalInterface>;
  remote: Hashed<RemoteEndpoint>;
  floating?: Hashed<FloatingIpTranslation>;
}

/** A leaked route with its target's network index. */
export interface RouteInfo {
  hashed: Hashed<InterNetworkRoute>;
  toIndex: number;
}

/** A policy's compiled entries; `serial` names this compiled version in cache keys. */
export interface PolicyEntries {
  serial: number;
  entries: PolicyAclEntry[];
  sets: { sources: IntervalSet; destinations: IntervalSet }[];
}

export type GroupPiece = Ordered<{ name: string; rules: SecurityGroupEntry[] }>;
export type FirewallPiece = Ordered<{ name: string; rules: FirewallEntry[] }>;
export type NatPiece = Hashed<SourceNatTranslation> & { inside: number[]; outside: number };
export type BalancerPiece = Hashed<LoadBalancerConfig> & { network: number };
export type ZonePiece = Hashed<DnsZone> & { networks: number[] };
export type PeerPiece = Hashed<{ node: string; underlay: string }>;

/**
 * The fabric as the derivations see it: node underlays plus each node's shared peer entry and
 * its hash. One object per fabric version, owned by the compiler that made it (no module state);
 * a derivation made for another fabric object is re-derived.
 */
export interface FabricView {
  underlays: ReadonlyMap<string, string>;
  /** The operator's external networks (spec section 1.1), usable by tenants by name. */
  externals: readonly FabricExternalNetworkSpec[];
  /** Each node's peer entry with its hash, made once per fabric and shared by every tenant. */
  peerPieces: Map<string, PeerPiece>;
}

export function fabricViewOf(
  underlays: ReadonlyMap<string, string>,
  externals: readonly FabricExternalNetworkSpec[],
): FabricView {
  return { underlays, externals, peerPieces: new Map() };
}

export interface MemoEntry {
  hashed: Hashed<unknown>;
  /** The last compile that used it. */
  generation: number;
}

/** One tenant's node-independent compile result. */
export interface TenantDerived {
  id: string;
  name: string;
  key: string;
  nets: Map<string, NetInfo>;
  netList: NetInfo[];
  ifacesByNet: ShardedMap<IfaceInfo[]>;
  ifacesByNode: ShardedMap<IfaceInfo[]>;
  /** Routes by source and target network name, for reuse by the next derivation. */
  routeCache: Map<string, Map<string, RouteInfo>>;
  routesFrom: Map<string, RouteInfo[]>;
  /** Routes by source network index. */
  routesByIndex: RouteInfo[][];
  /** Interfaces by network index. */
  ifacesByIndex: IfaceInfo[][];
  groups: Map<string, GroupPiece>;
  firewalls: Map<string, FirewallPiece>;
  /** The groups and firewalls in file order. */
  groupList: GroupPiece[];
  firewallList: FirewallPiece[];
  nats: NatPiece[];
  loadBalancers: BalancerPiece[];
  dnsZones: ZonePiece[];
  /** Nodes hosting an interface of the tenant, sorted: the tenant's node slots. */
  nodes: string[];
  /** Node slot of each interface of ifacesByIndex. */
  slotsByIndex: Int32Array[];
  /** Peer entry and its hash of each node slot. */
  peerList: PeerPiece[];
  /** The fabric the peer entries were made for. */
  fabric: FabricView;
  /** Hashed pieces by 53 bits of their content hash: a recompile reuses equal pieces. */
  memo: Map<number, MemoEntry>;
  memoGeneration: number;
  /** The next serial for a compiled policy version (serials only name versions in cache keys). */
  nextSerial: number;
  /** What stage 1 derived from (compared, never changed), and its per-network policy lists. */
  networkInput: readonly NetworkSpec[];
  policyInput: readonly Policy[];
  vniInput: Readonly<Record<string, number>>;
  aclParts: Map<string, PolicyEntries[]>;
  aclSerials: Map<string, number[]>;
  /** The intent's workloads and pools the interfaces were derived from (compared, never changed). */
  workloadInput: readonly Workload[];
  poolInput: readonly unknown[];
  /** The intent's routers the routes were derived from. */
  routerInput: readonly unknown[];
  /** The intent's security groups the group pieces were derived from. */
  groupInput: readonly SecurityGroup[];
  /** Each group's member addresses (`<ip>/32`), in interface order. */
  groupMembers: ShardedMap<string[]>;
  /** The workloads' names in file order. */
  workloadNames: string[];
  /** Interfaces by workload (those with an address), in interface order. */
  ifacesByWorkload: ShardedMap<IfaceInfo[]>;
  /** Each network's subnet CIDRs, by name (what a name in a rule stands for). */
  subnetsOf: Map<string, string[]>;
  /** Each policy's input and compiled entries, by name. */
  policyCache: Map<string, { input: Policy; compiled: PolicyEntries }>;
  netCache: Map<string, NetInfo>;
  /** Networks each network's list may allow traffic with, by the networks' keys. */
  mayAllowKey: string;
  mayAllow: Map<string, Set<string>>;
}

/**
 * Hashes pieces by their JSON, reusing the previous compile's object for equal content so that
 * unchanged pieces keep their identity (the incremental compiler compares by identity).
 */
export class Hasher {
  /** Replaced (not emptied) by prune. */
  memo: Map<number, MemoEntry>;
  readonly generation: number;
  private used = 0;

  /** Continues the previous compile's memo (shared: the previous derivation is superseded). */
  constructor(
    previous: { memo: Map<number, MemoEntry>; generation: number } | undefined,
    private readonly remember: boolean,
    private readonly same: (a: unknown, b: unknown) => boolean,
  ) {
    this.memo = previous?.memo ?? new Map();
    this.generation = (previous?.generation ?? 0) + 1;
  }

  hashed<T>(value: T): Hashed<T> {
    const fresh = withJsonHash(value);
    if (!this.remember) return fresh;
    // Keyed by 53 bits of the hash; a hit counts only when the content is equal too.
    const key = fresh.high * 2097152 + (fresh.low & 0x1fffff);
    const known = this.memo.get(key);
    if (known !== undefined && this.same(known.hashed.value, value)) {
      if (known.generation !== this.generation) {
        known.generation = this.generation;
        this.used++;
      }
      return known.hashed as Hashed<T>;
    }
    this.memo.set(key, { hashed: fresh, generation: this.generation });
    this.used++;
    return fresh;
  }

  /** Drops pieces no longer used once they outnumber the used ones. */
  prune(): void {
    if (this.memo.size <= 2 * this.used + 256) return;
    // Fewer than half stay: they go to a new map. Deleting the others in place shrinks (that
    // is, reallocates) the table at every quarter, ~28 KB for a 100-workload tenant's memo
    // on its first update; the previous derivation keeps the old map.
    const generation = this.generation;
    const kept = new Map<number, MemoEntry>();
    this.memo.forEach((entry, key) => {
      if (entry.generation === generation) kept.set(key, entry);
    });
    this.memo = kept;
  }
}

/** A piece with its content hash, outside the memo (its caller keeps its identity). */
export function hashOnly<T>(value: T): Hashed<T> {
  return withJsonHash(value);
}

/** The values of a map of ordered pieces, in their order. */
export function byOrder<T extends { order: number }>(map: ReadonlyMap<string, T>): T[] {
  return [...map.values()].sort((a, b) => a.order - b.order);
}

/** Index of a network in the tenant's list, -1 when unknown. */
export function indexOf(nets: ReadonlyMap<string, NetInfo>, name: string): number {
  return nets.get(name)?.order ?? -1;
}

export const ANY = "0.0.0.0/0";
export const NO_IFACES: IfaceInfo[] = [];
export const NO_ROUTES: RouteInfo[] = [];
/** An interface without groups (shared and frozen: pieces only read their groups). */
export const NO_GROUPS = Object.freeze([]) as unknown as string[];
