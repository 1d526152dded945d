import type { NetworkInstance, NodeConfig, PolicyAclEntry, TenantConfig } from "@netloom/compiler";

/*
 * Factories for compiled configs in tests (protocol, drivers, agent): one place that knows
 * every field a TenantConfig has, so a test names only what it is about and a new field is
 * added here once instead of in every copy.
 */

/** A tenant's config with nothing in it but its names; `fields` fill in what a test needs. */
export function tenantConfig(
  tenantId: string,
  fields: Partial<Omit<TenantConfig, "tenantId">> = {},
): TenantConfig {
  return {
    tenantId,
    tenant: `t-${tenantId}`,
    tenantKey: tenantId.slice(0, 6),
    networks: [],
    localInterfaces: [],
    remoteEndpoints: [],
    peers: [],
    routes: [],
    securityGroups: [],
    firewalls: [],
    floatingIps: [],
    sourceNats: [],
    loadBalancers: [],
    dnsZones: [],
    ...fields,
  };
}

/**
 * Internal networks by name, the i-th on `10.<i>.0.0/24` (gateway `.1`) with VNI
 * `firstVni + i`, each with the same policy list.
 */
export function networkInstances(
  names: readonly string[],
  options: { firstVni?: number; acl?: PolicyAclEntry[] } = {},
): NetworkInstance[] {
  const firstVni = options.firstVni ?? 100;
  return names.map((name, index) => ({
    name,
    vni: firstVni + index,
    external: false,
    subnets: [{ cidr: `10.${index}.0.0/24`, gateway: `10.${index}.0.1` }],
    acl: options.acl ?? [],
  }));
}

/** An allow rule for TCP port 80 from and to anywhere, both ways. */
export function allowHttp(ruleId: string): PolicyAclEntry {
  return {
    ruleId,
    action: "allow",
    protocol: "tcp",
    sources: ["0.0.0.0/0"],
    destinations: ["0.0.0.0/0"],
    ports: [{ from: 80, to: 80 }],
    bidirectional: true,
    services: [],
  };
}

/** A node's config: compute-1 on 198.18.0.11 unless named otherwise. */
export function nodeConfig(
  tenants: TenantConfig[],
  node = "compute-1",
  underlay = "198.18.0.11",
): NodeConfig {
  return { node, underlay, tenants };
}
