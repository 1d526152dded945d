import type { LearnedRouteConfig, NodeConfig, TenantConfig } from "../config";
import { cidrInterval, prefixLength } from "../ipv4";

/**
 * Issue 14 in trace: an address behind a learned EVPN route is outside on the external network
 * that imported it (what the node routes out of that network's VXLAN device is outside, as the
 * Linux ruleset treats it), and the trace names the route, its peer, VTEP and VNI.
 */

/** A learned route a tenant can use, with the tenant's name of its external network. */
export interface LearnedReach {
  first: number;
  last: number;
  length: number;
  network: string;
  route: LearnedRouteConfig;
}

/** The learned routes reachable from one tenant's configs, longest prefix first. */
export function learnedReachOf(
  configs: readonly { node: NodeConfig; config: TenantConfig }[],
): LearnedReach[] {
  const seen = new Set<string>();
  const reach: LearnedReach[] = [];
  for (const { node, config } of configs) {
    for (const route of node.learnedRoutes ?? []) {
      const network = config.networks.find((n) => n.external && n.vni === route.vni);
      const range = cidrInterval(route.prefix);
      const key = `${route.vni} ${route.prefix}`;
      if (network === undefined || range === undefined || seen.has(key)) continue;
      seen.add(key);
      reach.push({
        first: range[0],
        last: range[1],
        length: prefixLength(route.prefix),
        network: network.name,
        route,
      });
    }
  }
  return reach.sort((a, b) => b.length - a.length || a.first - b.first);
}

/** The most specific learned route holding `address`, if one does. */
export function learnedRouteTo(
  reach: readonly LearnedReach[],
  address: number,
): LearnedReach | undefined {
  return reach.find((entry) => address >= entry.first && address <= entry.last);
}

/** Whether the node programs the route (it carries the network the route was imported into). */
export function nodeHasRoute(node: NodeConfig, route: LearnedRouteConfig): boolean {
  return (node.learnedRoutes ?? []).some(
    (candidate) => candidate.vni === route.vni && candidate.prefix === route.prefix,
  );
}

/** The trace's words for a learned route. */
export function learnedRouteDetail(route: LearnedRouteConfig): string {
  return `EVPN route ${route.prefix} learned from ${route.peer}, next hop VTEP ${route.vtep}, VNI ${route.vni}`;
}
