import type { TenantConfig } from "./config";
import { type IfaceInfo, NO_IFACES, NO_ROUTES, type TenantDerived } from "./derive/pieces";
import { HashFold } from "./hash";

/*
 * Cutting a tenant's derivation into the TenantConfig of one node, with its content hash.
 * The cutter owns its scratch (marks per network and node slot, a list builder, a hash fold):
 * one cutter per compiler, never shared across compilers, never reentered.
 */

/** A node's config of a tenant and its content hash (two 32-bit halves). */
export interface NodeCut {
  config: TenantConfig;
  high: number;
  low: number;
}

/**
 * Builds a list that equals the previous config's list when every element is the same object in
 * the same place (pieces are memoized, so unchanged means identical): then the previous array
 * itself is kept and nothing is allocated. A full compile (no previous list) just pushes.
 */
class ListReuse<T> {
  private built: T[] | undefined;
  private count = 0;
  private previous: readonly T[] | undefined;

  /** Starts a new list (one instance serves every list in turn: no allocation per list). */
  start(previous: readonly T[] | undefined): this {
    this.previous = previous;
    this.count = 0;
    this.built = previous === undefined ? [] : undefined;
    return this;
  }

  add(value: T): void {
    if (this.built === undefined) {
      if (this.previous?.[this.count] === value) {
        this.count++;
        return;
      }
      this.built = this.previous?.slice(0, this.count) ?? [];
    }
    this.built.push(value);
    this.count++;
  }

  result(): T[] {
    const built = this.built;
    const previous = this.previous ?? [];
    this.built = undefined;
    this.previous = undefined;
    if (built !== undefined) return built;
    return previous.length === this.count ? (previous as T[]) : previous.slice(0, this.count);
  }
}

/** Per network index: 0 neither, 1 local to the node, 2 reached from a local network. */
const LOCAL = 1;
const REACHED = 2;

export class NodeCutter {
  private readonly lists = new ListReuse<unknown>();
  private readonly fold = new HashFold();
  private presence = new Uint8Array(64);
  private peerSeen = new Uint8Array(64);

  /** `lists`, typed for one list's element type. */
  private listOf<T>(previous: readonly T[] | undefined): ListReuse<T> {
    return (this.lists as ListReuse<T>).start(previous);
  }

  /**
   * The TenantConfig of one node (undefined when the tenant has nothing there) and its hash.
   * `previous` (the node's config of the tenant before an update) lends its lists where they
   * come out equal, so an update allocates only what changed on the node.
   */
  cut(
    derived: TenantDerived,
    node: string,
    previous: TenantConfig | undefined,
  ): NodeCut | undefined {
    const local = derived.ifacesByNode.get(node);
    if (local === undefined || local.length === 0) return undefined;
    const fold = this.fold.reset();
    fold.text(derived.id);
    fold.text(derived.name);
    fold.text(derived.key);
    const present = this.markLocal(derived, local);
    const routes = this.routes(derived, present, previous);
    const floatingIps = this.floatingIps(derived, local, present, previous);
    const sourceNats = this.sourceNats(derived, present, previous);
    const networks = this.networks(derived, present, previous);
    const localInterfaces = this.localInterfaces(local, previous);
    const remoteEndpoints = this.remoteEndpoints(derived, node, present, previous);
    const peers = this.peers(derived, remoteEndpoints, previous);
    const securityGroups = this.securityGroups(derived, local, previous);
    const firewalls = this.firewalls(derived, present, previous);
    const loadBalancers = this.loadBalancers(derived, present, previous);
    const dnsZones = this.dnsZones(derived, present, previous);
    const high = fold.high;
    const low = fold.low;
    // Nothing changed on this node: the previous config itself, nothing allocated.
    if (
      previous !== undefined &&
      previous.tenantId === derived.id &&
      previous.tenant === derived.name &&
      previous.tenantKey === derived.key &&
      previous.networks === networks &&
      previous.localInterfaces === localInterfaces &&
      previous.remoteEndpoints === remoteEndpoints &&
      previous.peers === peers &&
      previous.routes === routes &&
      previous.securityGroups === securityGroups &&
      previous.firewalls === firewalls &&
      previous.floatingIps === floatingIps &&
      previous.sourceNats === sourceNats &&
      previous.loadBalancers === loadBalancers &&
      previous.dnsZones === dnsZones
    ) {
      return { config: previous, high, low };
    }
    const config: TenantConfig = {
      tenantId: derived.id,
      tenant: derived.name,
      tenantKey: derived.key,
      networks,
      localInterfaces,
      remoteEndpoints,
      peers,
      routes,
      securityGroups,
      firewalls,
      floatingIps,
      sourceNats,
      loadBalancers,
      dnsZones,
    };
    return { config, high, low };
  }

  /** Marks the networks of the node's interfaces as local. */
  private markLocal(derived: TenantDerived, local: readonly IfaceInfo[]): Uint8Array {
    const netCount = derived.netList.length;
    if (this.presence.length < netCount) this.presence = new Uint8Array(netCount * 2);
    const present = this.presence;
    present.fill(0, 0, netCount);
    for (let i = 0; i < local.length; i++) {
      const netIndex = derived.nets.get(local[i]?.network ?? "")?.order ?? -1;
      if (netIndex >= 0) present[netIndex] = LOCAL;
    }
    return present;
  }

  /** Routes from local networks; their targets are reached. */
  private routes(derived: TenantDerived, present: Uint8Array, previous: TenantConfig | undefined) {
    const list = this.listOf(previous?.routes);
    this.fold.word(1);
    for (let from = 0; from < derived.netList.length; from++) {
      if (present[from] !== LOCAL) continue;
      const fromRoutes = derived.routesByIndex[from] ?? NO_ROUTES;
      for (let r = 0; r < fromRoutes.length; r++) {
        const route = fromRoutes[r];
        if (route === undefined) continue;
        if (route.toIndex >= 0 && present[route.toIndex] === 0) present[route.toIndex] = REACHED;
        list.add(route.hashed.value);
        this.fold.pair(route.hashed.high, route.hashed.low);
      }
    }
    return list.result();
  }

  /** Local interfaces' floating IPs; their external networks are reached. */
  private floatingIps(
    derived: TenantDerived,
    local: readonly IfaceInfo[],
    present: Uint8Array,
    previous: TenantConfig | undefined,
  ) {
    const list = this.listOf(previous?.floatingIps);
    this.fold.word(2);
    for (let i = 0; i < local.length; i++) {
      const floating = local[i]?.floating;
      if (floating === undefined) continue;
      list.add(floating.value);
      this.fold.pair(floating.high, floating.low);
      const external = derived.nets.get(floating.value.externalNetwork)?.order ?? -1;
      if (external >= 0 && present[external] === 0) present[external] = REACHED;
    }
    return list.result();
  }

  /** NATs serving a local network; their outside networks are reached. */
  private sourceNats(
    derived: TenantDerived,
    present: Uint8Array,
    previous: TenantConfig | undefined,
  ) {
    const list = this.listOf(previous?.sourceNats);
    this.fold.word(3);
    for (let i = 0; i < derived.nats.length; i++) {
      const nat = derived.nats[i];
      if (nat === undefined || !anyLocal(present, nat.inside)) continue;
      list.add(nat.value);
      this.fold.pair(nat.high, nat.low);
      if (nat.outside >= 0 && present[nat.outside] === 0) present[nat.outside] = REACHED;
    }
    return list.result();
  }

  private networks(
    derived: TenantDerived,
    present: Uint8Array,
    previous: TenantConfig | undefined,
  ) {
    const list = this.listOf(previous?.networks);
    this.fold.word(4);
    for (let index = 0; index < derived.netList.length; index++) {
      if (present[index] === 0) continue;
      const info = derived.netList[index];
      if (info === undefined) continue;
      list.add(info.instance.value);
      this.fold.pair(info.instance.high, info.instance.low);
    }
    return list.result();
  }

  private localInterfaces(local: readonly IfaceInfo[], previous: TenantConfig | undefined) {
    const list = this.listOf(previous?.localInterfaces);
    this.fold.word(5);
    for (let i = 0; i < local.length; i++) {
      const iface = local[i];
      if (iface === undefined) continue;
      list.add(iface.local.value);
      this.fold.pair(iface.local.high, iface.local.low);
    }
    return list.result();
  }

  /** Interfaces on other nodes on any present network; marks their node slots as peers. */
  private remoteEndpoints(
    derived: TenantDerived,
    node: string,
    present: Uint8Array,
    previous: TenantConfig | undefined,
  ) {
    const slotCount = derived.nodes.length;
    if (this.peerSeen.length < slotCount) this.peerSeen = new Uint8Array(slotCount * 2);
    const seen = this.peerSeen;
    seen.fill(0, 0, slotCount);
    const list = this.listOf(previous?.remoteEndpoints);
    this.fold.word(6);
    for (let index = 0; index < derived.netList.length; index++) {
      if (present[index] === 0) continue;
      const ifaces = derived.ifacesByIndex[index] ?? NO_IFACES;
      const slots = derived.slotsByIndex[index];
      for (let k = 0; k < ifaces.length; k++) {
        const iface = ifaces[k];
        if (iface === undefined || iface.node === node) continue;
        list.add(iface.remote.value);
        this.fold.pair(iface.remote.high, iface.remote.low);
        const slot = slots?.[k] ?? -1;
        if (slot >= 0) seen[slot] = 1;
      }
    }
    return list.result();
  }

  /** The remote endpoints' nodes, in node order. */
  private peers(
    derived: TenantDerived,
    remotes: TenantConfig["remoteEndpoints"],
    previous: TenantConfig | undefined,
  ): TenantConfig["peers"] {
    const slotCount = derived.nodes.length;
    const seen = this.peerSeen;
    let peers = previous?.peers;
    if (previous === undefined || peers === undefined || remotes !== previous.remoteEndpoints) {
      const list = this.listOf(previous?.peers);
      for (let slot = 0; slot < slotCount; slot++) {
        const peer = derived.peerList[slot];
        if (seen[slot] === 1 && peer !== undefined) list.add(peer.value);
      }
      peers = list.result();
    }
    this.fold.word(7);
    for (let slot = 0; slot < slotCount; slot++) {
      const peer = derived.peerList[slot];
      if (seen[slot] === 1 && peer !== undefined) this.fold.pair(peer.high, peer.low);
    }
    return peers;
  }

  /** Groups of local interfaces (a remote's ingress is enforced on its own node). */
  private securityGroups(
    derived: TenantDerived,
    local: readonly IfaceInfo[],
    previous: TenantConfig | undefined,
  ) {
    const list = this.listOf(previous?.securityGroups);
    this.fold.word(8);
    for (let i = 0; i < derived.groupList.length; i++) {
      const group = derived.groupList[i];
      if (group === undefined || !usesGroup(local, group.value.name)) continue;
      list.add(group.value);
      this.fold.pair(group.high, group.low);
    }
    return list.result();
  }

  /** Firewalls chained by a present network's policy list. */
  private firewalls(
    derived: TenantDerived,
    present: Uint8Array,
    previous: TenantConfig | undefined,
  ) {
    const list = this.listOf(previous?.firewalls);
    this.fold.word(9);
    if (anyChains(derived, present)) {
      for (let i = 0; i < derived.firewallList.length; i++) {
        const firewall = derived.firewallList[i];
        if (firewall === undefined || !chainedHere(derived, present, firewall.value.name)) continue;
        list.add(firewall.value);
        this.fold.pair(firewall.high, firewall.low);
      }
    }
    return list.result();
  }

  private loadBalancers(
    derived: TenantDerived,
    present: Uint8Array,
    previous: TenantConfig | undefined,
  ) {
    const list = this.listOf(previous?.loadBalancers);
    this.fold.word(10);
    for (let i = 0; i < derived.loadBalancers.length; i++) {
      const balancer = derived.loadBalancers[i];
      if (balancer === undefined || balancer.network < 0 || present[balancer.network] === 0)
        continue;
      list.add(balancer.value);
      this.fold.pair(balancer.high, balancer.low);
    }
    return list.result();
  }

  private dnsZones(
    derived: TenantDerived,
    present: Uint8Array,
    previous: TenantConfig | undefined,
  ) {
    const list = this.listOf(previous?.dnsZones);
    this.fold.word(11);
    for (let i = 0; i < derived.dnsZones.length; i++) {
      const zone = derived.dnsZones[i];
      if (zone === undefined || !anyLocal(present, zone.networks)) continue;
      list.add(zone.value);
      this.fold.pair(zone.high, zone.low);
    }
    return list.result();
  }
}

/** Whether one of the networks (by index) is local. */
function anyLocal(present: Uint8Array, networks: readonly number[]): boolean {
  for (let i = 0; i < networks.length; i++) if (present[networks[i] ?? -1] === LOCAL) return true;
  return false;
}

/** Whether one of the interfaces is a member of the group. */
function usesGroup(ifaces: readonly IfaceInfo[], group: string): boolean {
  for (let i = 0; i < ifaces.length; i++) {
    if (ifaces[i]?.local.value.securityGroups.includes(group)) return true;
  }
  return false;
}

/** Whether any present network's policy list chains a service. */
function anyChains(derived: TenantDerived, present: Uint8Array): boolean {
  for (let index = 0; index < derived.netList.length; index++) {
    if (present[index] !== 0 && (derived.netList[index]?.services.size ?? 0) > 0) return true;
  }
  return false;
}

/** Whether a present network's policy list chains the service. */
function chainedHere(derived: TenantDerived, present: Uint8Array, service: string): boolean {
  for (let index = 0; index < derived.netList.length; index++) {
    if (present[index] !== 0 && derived.netList[index]?.services.has(service)) return true;
  }
  return false;
}
