import type { LocalInterface, RemoteEndpoint, TenantConfig } from "./config";
import type { Hashed, IfaceInfo, RouteInfo, TenantDerived } from "./derive/pieces";

/*
 * What an update of one tenant changed (networks, groups, services, nodes), and which of the
 * tenant's nodes must have their config recut because of it.
 */

/** What changed between two derivations of one tenant, for the incremental compiler. */
export interface ChangeScope {
  /** Something every node of the tenant sees changed (network list, services, names). */
  all: boolean;
  /** Networks whose instance, interfaces or routes changed. */
  networks: Set<string>;
  /** Security groups whose resolved rules changed. */
  groups: Set<string>;
  /** Nodes whose local interfaces (or their floating IPs) changed. */
  nodes: Set<string>;
  /** Firewalls (by name), load balancers and DNS zones (by rule id) whose content changed. */
  services: Set<string>;
}

/**
 * Whether the networks both derivations have appear in the same order in each: one walk of both
 * lists against the other's map of names (no sets or lists built per update).
 */
function sameRelativeOrder(before: TenantDerived, after: TenantDerived): boolean {
  if (before.netList === after.netList) return true;
  let next = 0;
  for (let i = 0; i < before.netList.length; i++) {
    const name = before.netList[i]?.name ?? "";
    if (!after.nets.has(name)) continue;
    while (next < after.netList.length && !before.nets.has(after.netList[next]?.name ?? "")) {
      next++;
    }
    if (after.netList[next]?.name !== name) return false;
    next++;
  }
  return true;
}

/** What decides which nodes hold a firewall, load balancer or zone, and in what order. */
function sameServiceShape(before: TenantDerived, after: TenantDerived): boolean {
  if (
    before.firewalls === after.firewalls &&
    before.loadBalancers === after.loadBalancers &&
    before.dnsZones === after.dnsZones
  ) {
    return true;
  }
  return serviceShape(before) === serviceShape(after);
}

function serviceShape(derived: TenantDerived): string {
  return JSON.stringify([
    [...derived.firewalls].map(([name, firewall]) => [name, firewall.order]),
    derived.loadBalancers.map((balancer) => [balancer.value.ruleId, balancer.value.network]),
    derived.dnsZones.map((zone) => [zone.value.ruleId, zone.value.networks]),
  ]);
}

function sameValues<T>(
  a: readonly Hashed<T>[] | undefined,
  b: readonly Hashed<T>[] | undefined,
): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]?.value !== b[i]?.value) return false;
  return true;
}

function sameRoutes(
  a: readonly RouteInfo[] | undefined,
  b: readonly RouteInfo[] | undefined,
): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]?.hashed.value !== b[i]?.hashed.value) return false;
  return true;
}

function sameIfaces(
  a: readonly IfaceInfo[] | undefined,
  b: readonly IfaceInfo[] | undefined,
  pick: (iface: IfaceInfo) => unknown,
): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined || pick(x) !== pick(y)) return false;
    if (x.floating?.value !== y.floating?.value) return false;
  }
  return true;
}

function localOf(iface: IfaceInfo): LocalInterface {
  return iface.local.value;
}

function remoteOf(iface: IfaceInfo): RemoteEndpoint {
  return iface.remote.value;
}

/** Compares two derivations piece by piece (pieces are memoized, so equal means identical). */
export function changeScope(before: TenantDerived, after: TenantDerived): ChangeScope {
  const scope: ChangeScope = {
    all: false,
    networks: new Set(),
    groups: new Set(),
    nodes: new Set(),
    services: new Set(),
  };
  if (
    before.id !== after.id ||
    before.name !== after.name ||
    !sameRelativeOrder(before, after) ||
    !sameValues(before.nats, after.nats) ||
    !sameServiceShape(before, after)
  ) {
    scope.all = true;
    return scope;
  }
  if (after.firewalls !== before.firewalls) {
    after.firewalls.forEach((firewall, name) => {
      if (before.firewalls.get(name)?.value !== firewall.value) scope.services.add(name);
    });
  }
  after.loadBalancers.forEach((balancer, index) => {
    if (before.loadBalancers[index]?.value !== balancer.value)
      scope.services.add(balancer.value.ruleId);
  });
  after.dnsZones.forEach((zone, index) => {
    if (before.dnsZones[index]?.value !== zone.value) scope.services.add(zone.value.ruleId);
  });
  // Added and removed networks: nodes that held one (or now reach one) see the change.
  for (let i = 0; i < before.netList.length; i++) {
    const name = before.netList[i]?.name ?? "";
    if (!after.nets.has(name)) scope.networks.add(name);
  }
  for (let i = 0; i < after.netList.length; i++) {
    const info = after.netList[i];
    if (info === undefined) continue;
    const old = before.nets.get(info.name);
    if (
      old === undefined ||
      old.instance.value !== info.instance.value ||
      !sameIfaces(before.ifacesByNet.get(info.name), after.ifacesByNet.get(info.name), remoteOf) ||
      !sameRoutes(before.routesFrom.get(info.name), after.routesFrom.get(info.name))
    ) {
      scope.networks.add(info.name);
    }
  }
  if (after.groups !== before.groups) {
    after.groups.forEach((group, name) => {
      const old = before.groups.get(name);
      if (old?.value !== group.value || old.order !== group.order) scope.groups.add(name);
    });
    before.groups.forEach((_group, name) => {
      if (!after.groups.has(name)) scope.groups.add(name);
    });
  }
  // Maps shared with the previous derivation hold the same lists: nothing to compare.
  if (after.ifacesByNode !== before.ifacesByNode) {
    after.ifacesByNode.forEach((ifaces, node) => {
      if (!sameIfaces(before.ifacesByNode.get(node), ifaces, localOf)) scope.nodes.add(node);
    });
    before.ifacesByNode.forEach((_ifaces, node) => {
      if (!after.ifacesByNode.has(node)) scope.nodes.add(node);
    });
  }
  return scope;
}

/** Whether a node's previous config of the tenant may change under `scope`. */
export function nodeAffected(
  scope: ChangeScope,
  node: string,
  previous: TenantConfig | undefined,
): boolean {
  if (scope.all || previous === undefined || scope.nodes.has(node)) return true;
  if (anyNamed(previous.networks, scope.networks)) return true;
  if (anyNamed(previous.securityGroups, scope.groups)) return true;
  if (scope.services.size === 0) return false;
  if (anyNamed(previous.firewalls, scope.services)) return true;
  if (anyRuleId(previous.loadBalancers, scope.services)) return true;
  if (anyRuleId(previous.dnsZones, scope.services)) return true;
  return false;
}

function anyNamed(list: readonly { name: string }[], names: ReadonlySet<string>): boolean {
  // Most edits change no network or no group: skip the walk (it runs for every node touched).
  if (names.size === 0) return false;
  for (let i = 0; i < list.length; i++) if (names.has(list[i]?.name ?? "")) return true;
  return false;
}

function anyRuleId(list: readonly { ruleId: string }[], ids: ReadonlySet<string>): boolean {
  for (let i = 0; i < list.length; i++) if (ids.has(list[i]?.ruleId ?? "")) return true;
  return false;
}
