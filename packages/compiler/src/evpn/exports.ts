import {
  compareEvpnRoutes,
  type EvpnNetworkSpec,
  type EvpnType5Route,
  type FabricExternalNetworkSpec,
  nodeOverlayMac,
} from "@netloom/model";
import type { NodeConfig, TenantConfig } from "../config";

/**
 * Issue 14, export: for each fabric external network with `evpn`, the inside addresses reachable
 * from it as EVPN type-5 routes, read from the compiled node configs (what the nodes really
 * hold): floating IPs and NAT outside addresses on it as /32, and the tenant subnets the operator
 * lists in `exportTenantSubnets`. Next hop = the underlay of the node that holds them, router
 * MAC = that node's VXLAN MAC, VNI = the network's L3 VNI. A NAT address or an exported subnet is
 * held by every node with inside workloads: one route per node (the gateway sees each path).
 * Pure and deterministic: sorted by VNI, prefix, next hop.
 */
export function evpnExports(
  nodes: Iterable<NodeConfig> | Readonly<Record<string, NodeConfig>>,
  externalNetworks: readonly FabricExternalNetworkSpec[],
): EvpnType5Route[] {
  const byVni = new Map<number, { name: string; evpn: EvpnNetworkSpec }>();
  for (const network of externalNetworks) {
    if (network.evpn) byVni.set(network.evpn.vni, { name: network.name, evpn: network.evpn });
  }
  if (byVni.size === 0) return [];
  const routes = new Map<string, EvpnType5Route>();
  const list = Symbol.iterator in nodes ? nodes : Object.values(nodes);
  for (const config of list as Iterable<NodeConfig>) {
    const add = (prefix: string, evpn: EvpnNetworkSpec) => {
      const route: EvpnType5Route = {
        prefix,
        vni: evpn.vni,
        routerMac: nodeOverlayMac(config.underlay),
        nexthop: config.underlay,
        routeTarget: evpn.routeTarget,
      };
      routes.set(`${route.vni} ${prefix} ${route.nexthop}`, route);
    };
    for (const tenant of config.tenants) {
      for (const network of tenant.networks) {
        const fabricNetwork = network.external ? byVni.get(network.vni) : undefined;
        if (!fabricNetwork) continue;
        for (const prefix of heldOn(tenant, network.name, config.node)) {
          add(prefix, fabricNetwork.evpn);
        }
        for (const wanted of fabricNetwork.evpn.exportTenantSubnets ?? []) {
          if (wanted.tenant !== tenant.tenant) continue;
          for (const prefix of subnetsHeld(tenant, wanted.network)) add(prefix, fabricNetwork.evpn);
        }
      }
    }
  }
  return [...routes.values()].sort(compareEvpnRoutes);
}

/** Floating IPs and NAT addresses on `network` this node holds for the tenant, as /32s. */
function heldOn(tenant: TenantConfig, network: string, node: string): string[] {
  const prefixes: string[] = [];
  for (const fip of tenant.floatingIps) {
    if (fip.externalNetwork === network && fip.node === node) {
      prefixes.push(`${fip.floatingIp}/32`);
    }
  }
  for (const nat of tenant.sourceNats) {
    if (nat.outsideNetwork !== network) continue;
    // The node translates for its own inside workloads: replies come back to it.
    const inside = new Set(nat.insideNetworks);
    if (tenant.localInterfaces.some((port) => inside.has(port.network))) {
      prefixes.push(`${nat.outsideIp}/32`);
    }
  }
  return prefixes;
}

/** The subnets of a tenant network this node serves (it hosts a workload on it). */
function subnetsHeld(tenant: TenantConfig, network: string): string[] {
  if (!tenant.localInterfaces.some((port) => port.network === network)) return [];
  const instance = tenant.networks.find((candidate) => candidate.name === network);
  return instance ? instance.subnets.map((subnet) => subnet.cidr) : [];
}
