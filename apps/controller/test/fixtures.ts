/**
 * Fixture factories shared by the controller's tests, instead of Fabric files and tenants copied
 * between test files. Plain documents: each test applies them through the API or the store.
 */

/** `count` forwarding nodes: compute-1 on 198.18.0.11, compute-2 on 198.18.0.12, ... */
export function computeNodes(count: number): { name: string; underlay: string }[] {
  return Array.from({ length: count }, (_, index) => ({
    name: `compute-${index + 1}`,
    underlay: `198.18.0.${11 + index}`,
  }));
}

/** A Fabric file with `nodes` compute nodes and the sections given (external networks, bgp). */
export function fabricFile<S extends object>(nodes: number, sections: S) {
  return { apiVersion: "netloom/v1", kind: "Fabric", nodes: computeNodes(nodes), ...sections };
}

/** The operators' `internet` external network (spec 1.1) on 203.0.113.0/24. */
export function internet(): { name: string; subnets: { cidr: string }[] } {
  return { name: "internet", subnets: [{ cidr: "203.0.113.0/24" }] };
}

/** `internet` with its EVPN section (issue 14): L3 VNI 5000, route target 65000:5000. */
export function evpnInternet<E extends object>(evpn: E) {
  return { ...internet(), evpn: { vni: 5000, routeTarget: "65000:5000", ...evpn } };
}

/** A tenant with one network `lan` on `cidr` and a floating IP pool on an external network. */
export function tenantWithPool(
  tenant: string,
  cidr: string,
  pool: { name: string; network: string } = { name: "public", network: "internet" },
) {
  return {
    apiVersion: "netloom/v1",
    tenant,
    networks: [{ name: "lan", subnets: [{ cidr }] }],
    floatingIpPools: [pool],
  };
}
