import type {
  LearnedRouteConfig,
  LocalInterface,
  NodeConfig,
  TenantConfig,
} from "@netloom/compiler";
import {
  nodeLinkLocal,
  nodeOverlayMac,
  portDevice,
  portGatewayMac,
  tenantNamespace,
  vxlanDevice,
  workloadDevice,
  workloadNamespace,
} from "./names";
import { renderTenantRuleset, type TenantRuleset } from "./nft";

/**
 * Workloads' MTU: the underlay's 1500 less the VXLAN encapsulation (50), so no packet needs
 * fragmenting or a PMTU round trip on its way across nodes.
 */
export const OVERLAY_MTU = 1450;

/** One workload namespace and the interfaces it holds. */
export interface WorkloadLayout {
  namespace: string;
  interfaces: LocalInterface[];
  /** `ip -batch` lines run inside the workload namespace. */
  lines: string[];
}

/** Everything one tenant needs on one node, as devices, routes and rules. */
export interface TenantLayout {
  tenant: TenantConfig;
  namespace: string;
  vxlans: { device: string; vni: number }[];
  ports: { device: string; port: LocalInterface; workloadNamespace: string }[];
  /** /32 routes the tenant namespace must hold (destination addresses). */
  hostRoutes: string[];
  /** `ip -batch` lines for the tenant namespace, idempotent (replace, never add). */
  lines: string[];
  /** `bridge -batch` lines: static FDB entries of the VXLAN devices. */
  fdb: string[];
  workloads: WorkloadLayout[];
  ruleset: TenantRuleset;
}

/** The node's whole desired layout, computed purely from its config. */
export interface NodeLayout {
  tenants: TenantLayout[];
  namespaces: Set<string>;
}

/**
 * `outsideUnderlay`: where the external networks' outside hosts sit on the underlay (the lab's
 * outside namespace); their subnets are routed there. Absent, external networks carry only
 * their own workloads.
 */
export function nodeLayout(
  config: NodeConfig,
  namespacePrefix: string,
  outsideUnderlay?: string,
): NodeLayout {
  const learned = config.learnedRoutes ?? [];
  const tenants = config.tenants.map((tenant) =>
    tenantLayout(tenant, namespacePrefix, outsideUnderlay, learned),
  );
  const namespaces = new Set<string>();
  for (const tenant of tenants) {
    namespaces.add(tenant.namespace);
    for (const workload of tenant.workloads) namespaces.add(workload.namespace);
  }
  return { tenants, namespaces };
}

function tenantLayout(
  tenant: TenantConfig,
  prefix: string,
  outsideUnderlay: string | undefined,
  learned: readonly LearnedRouteConfig[],
): TenantLayout {
  const namespace = tenantNamespace(prefix, tenant.tenantKey);
  const vniOf = new Map(tenant.networks.map((network) => [network.name, network.vni]));
  const vxlans = tenant.networks.map((network) => ({
    device: vxlanDevice(network.vni),
    vni: network.vni,
  }));
  const lines = ["link set lo up"];
  const hostRoutes: string[] = [];
  const fdb: string[] = [];

  // Gateways (and VIPs) are addresses of the tenant namespace: ARP and ICMP to them answer
  // natively, and the DNS responder binds to them.
  for (const network of tenant.networks) {
    for (const subnet of network.subnets) lines.push(`addr replace ${subnet.gateway}/32 dev lo`);
  }
  for (const lb of tenant.loadBalancers) lines.push(`addr replace ${lb.vip}/32 dev lo`);
  for (const vxlan of vxlans) lines.push(`link set ${vxlan.device} up`);

  const byWorkload = new Map<string, WorkloadLayout>();
  const ports: TenantLayout["ports"] = [];
  for (const port of tenant.localInterfaces) {
    const wns = workloadNamespace(prefix, tenant.tenantId, port.workload);
    let workload = byWorkload.get(wns);
    if (!workload) {
      workload = { namespace: wns, interfaces: [], lines: [] };
      byWorkload.set(wns, workload);
    }
    workload.interfaces.push(port);
    const device = portDevice(port.portId);
    ports.push({ device, port, workloadNamespace: wns });
    lines.push(
      `link set ${device} address ${portGatewayMac(port.portId)} mtu ${OVERLAY_MTU} up`,
      `route replace ${port.ip}/32 dev ${device} scope link`,
      `neigh replace ${port.ip} dev ${device} lladdr ${port.mac} nud permanent`,
    );
    hostRoutes.push(port.ip);
  }

  for (const remote of tenant.remoteEndpoints) {
    const vni = vniOf.get(remote.network);
    if (vni === undefined) continue;
    const device = vxlanDevice(vni);
    const nextHop = nodeLinkLocal(remote.underlay);
    lines.push(
      `neigh replace ${nextHop} dev ${device} lladdr ${nodeOverlayMac(remote.underlay)} nud permanent`,
      `route replace ${remote.ip}/32 via ${nextHop} dev ${device} onlink`,
    );
    hostRoutes.push(remote.ip);
  }
  if (outsideUnderlay) {
    const nextHop = nodeLinkLocal(outsideUnderlay);
    for (const network of tenant.networks) {
      if (!network.external) continue;
      const device = vxlanDevice(network.vni);
      lines.push(
        `neigh replace ${nextHop} dev ${device} lladdr ${nodeOverlayMac(outsideUnderlay)} nud permanent`,
        ...network.subnets.map(
          (subnet) => `route replace ${subnet.cidr} via ${nextHop} dev ${device} onlink`,
        ),
      );
      fdb.push(
        `fdb replace ${nodeOverlayMac(outsideUnderlay)} dev ${device} dst ${outsideUnderlay} self permanent`,
      );
    }
  }
  learnedRouteLines(tenant, learned, lines, fdb);
  const peers = new Map<string, string>();
  for (const peer of tenant.peers) peers.set(peer.underlay, peer.node);
  for (const remote of tenant.remoteEndpoints) peers.set(remote.underlay, remote.node);
  for (const vxlan of vxlans) {
    for (const underlay of peers.keys()) {
      fdb.push(
        `fdb replace ${nodeOverlayMac(underlay)} dev ${vxlan.device} dst ${underlay} self permanent`,
        // Head-end replication for what has no static entry (broadcast, unknown unicast).
        `fdb append 00:00:00:00:00:00 dev ${vxlan.device} dst ${underlay} self permanent`,
      );
    }
  }

  for (const workload of byWorkload.values()) {
    workload.interfaces.sort((a, b) => a.interfaceIndex - b.interfaceIndex);
    workload.lines.push("link set lo up");
    workload.interfaces.forEach((port, i) => {
      const device = workloadDevice(port.interfaceIndex);
      workload.lines.push(
        `link set ${device} address ${port.mac} mtu ${OVERLAY_MTU} up`,
        `addr replace ${port.ip}/${port.prefixLength} dev ${device}`,
        // The gateway's MAC is known: no ARP for the first hop.
        `neigh replace ${port.gateway} dev ${device} lladdr ${portGatewayMac(port.portId)} nud permanent`,
      );
      if (i === 0) workload.lines.push(`route replace default via ${port.gateway} dev ${device}`);
    });
  }

  return {
    tenant,
    namespace,
    vxlans,
    ports,
    hostRoutes,
    lines,
    fdb,
    workloads: [...byWorkload.values()],
    ruleset: renderTenantRuleset(tenant, new Set(learned.map((route) => route.vni))),
  };
}

/**
 * Issue 14 (docs/decisions/0007-evpn.md): learned EVPN routes go where the external network's
 * traffic leaves the node, the tenant namespace holding its VXLAN device vx<L3 VNI>: a route via
 * the VTEP's link-local next hop, that next hop's permanent neighbour at the router MAC, and the
 * router MAC's FDB entry to the VTEP. Nothing is learned: the kernel state is exactly the intent.
 */
function learnedRouteLines(
  tenant: TenantConfig,
  learned: readonly LearnedRouteConfig[],
  lines: string[],
  fdb: string[],
): void {
  if (learned.length === 0) return;
  const carried = new Set(
    tenant.networks.filter((network) => network.external).map((network) => network.vni),
  );
  const neighbours = new Set<string>();
  for (const route of learned) {
    if (!carried.has(route.vni)) continue;
    const device = vxlanDevice(route.vni);
    const neighbour = `${device} ${route.via}`;
    if (!neighbours.has(neighbour)) {
      neighbours.add(neighbour);
      lines.push(
        `neigh replace ${route.via} dev ${device} lladdr ${route.routerMac} nud permanent`,
      );
      fdb.push(`fdb replace ${route.routerMac} dev ${device} dst ${route.vtep} self permanent`);
    }
    // The kernel names 0.0.0.0/0 `default`: rendered the same, so the drift check agrees.
    const destination = route.prefix === "0.0.0.0/0" ? "default" : route.prefix;
    lines.push(`route replace ${destination} via ${route.via} dev ${device} onlink`);
  }
}
