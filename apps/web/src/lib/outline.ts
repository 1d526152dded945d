import { assertNever, type IntentFile, type Service } from "@netloom/model";

/** One policy as seen from one of the networks it attaches: the peers and the chain. */
export interface OutlinePolicy {
  name: string;
  /** The other networks it attaches (empty: it governs this network alone). */
  peers: string[];
  /** Services its rules chain traffic through (firewalls, in rule order). */
  chain: string[];
}

export interface OutlineNetwork {
  name: string;
  external: boolean;
  subnets: string[];
  workloads: string[];
  policies: OutlinePolicy[];
  /** Services on this network (load balancers, NAT inside or outside, DNS), with their type. */
  services: { name: string; type: Service["type"] }[];
  routers: string[];
  pools: string[];
}

/** Networks a service sits on, by its type. Firewalls sit on policies, not networks. */
export function networksOfService(service: Service): string[] {
  switch (service.type) {
    case "firewall":
      return [];
    case "load-balancer":
      return [service.network];
    case "nat":
      return [...service.inside, service.outside];
    case "dns":
      return [...service.networks];
    default:
      return assertNever(service);
  }
}

/**
 * The tenant as a screen reader reads it: each network with its workloads, the policies between
 * it and its peers (and the services they chain through), the services, routers and pools on it.
 * The same document the canvas draws, so the diagram is never the only way to understand it.
 */
export function topologyOutline(doc: IntentFile): OutlineNetwork[] {
  return (doc.networks ?? []).map((network) => {
    const name = network.name;
    const policies = (doc.policies ?? [])
      .filter((policy) => policy.attach.includes(name))
      .map((policy) => ({
        name: policy.name,
        peers: policy.attach.filter((other) => other !== name),
        chain: [...new Set(policy.rules.flatMap((rule) => rule.services ?? []))],
      }));
    return {
      name,
      external: Boolean(network.external),
      subnets: network.subnets.map((subnet) => String(subnet.cidr)),
      workloads: (doc.workloads ?? [])
        .filter((w) => w.interfaces.some((iface) => iface.network === name))
        .map((w) => w.name),
      policies,
      services: (doc.services ?? [])
        .filter((service) => networksOfService(service).includes(name))
        .map((service) => ({ name: service.name, type: service.type })),
      routers: (doc.routers ?? []).filter((r) => r.networks.includes(name)).map((r) => r.name),
      pools: (doc.floatingIpPools ?? []).filter((p) => p.network === name).map((p) => p.name),
    };
  });
}
