import type { IntentFile } from "@netloom/model";
import { objectsOf } from "./document";
import type { LearnedRouteView } from "./evpn";
import { type ExternalNetworkView, usableBy } from "./external";

/**
 * Issue 14: what a tenant may see of the BGP door at one external network: the peers
 * (gateways, other domains) behind it and the prefixes imported from them. Only names and
 * prefixes: next hops, router MACs and VTEP addresses are the underlay, which tenants never see.
 */
export interface TenantExternalRoutes {
  network: string;
  peers: { name: string }[];
  prefixes: { prefix: string; peer: string }[];
}

/**
 * The imported learned routes at each fabric external network with `evpn` that the tenant may
 * use and that its intent references (a pool's `network`, a nat service's `outside`), by
 * network name; networks without an imported route are left out.
 */
export function tenantExternalRoutes(
  tenant: string,
  document: IntentFile,
  externalNetworks: readonly ExternalNetworkView[],
  learned: readonly LearnedRouteView[],
): TenantExternalRoutes[] {
  const referenced = new Set<string>([
    ...objectsOf(document, "floatingIpPools").map((pool) => pool.network as string),
    ...objectsOf(document, "services").flatMap((service) =>
      service.type === "nat" ? [service.outside as string] : [],
    ),
  ]);
  const answer: TenantExternalRoutes[] = [];
  for (const network of usableBy(externalNetworks, tenant)) {
    const evpn = network.evpn;
    if (!evpn || !referenced.has(network.name)) continue;
    // The import's own matching (route target and VNI) decided `imported`; match the same way.
    const routes = learned.filter(
      (route) => route.imported && route.routeTarget === evpn.routeTarget && route.vni === evpn.vni,
    );
    if (routes.length === 0) continue;
    const peers = [...new Set(routes.map((route) => route.peer))].sort();
    answer.push({
      network: network.name,
      peers: peers.map((name) => ({ name })),
      prefixes: routes.map((route) => ({ prefix: route.prefix, peer: route.peer })),
    });
  }
  return answer.sort((a, b) => a.network.localeCompare(b.network));
}
