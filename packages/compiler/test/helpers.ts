import { readFileSync } from "node:fs";
import {
  type FabricNodeSpec,
  formatIpv4,
  type IntentFile,
  intentFileSchema,
  parseCidr,
  parseDocument,
  parseIpv4,
  subnetGateway,
} from "@netloom/model";
import type { CompileInput, TenantInput } from "../src/config";

/** Reads a YAML file of the shared examples. */
export function readYaml(path: string): unknown {
  return parseDocument(readFileSync(path, "utf8"));
}

export function loadIntent(path: string): IntentFile {
  return intentFileSchema.parse(readYaml(path));
}

/** An intent from a plain object (zod checks its form and brands the names). */
export function intent(value: unknown): IntentFile {
  return intentFileSchema.parse({ apiVersion: "netloom/v1", ...(value as object) });
}

export function fabricOf(count: number): { nodes: FabricNodeSpec[] } {
  return {
    nodes: Array.from({ length: count }, (_, i) => ({
      name: `compute-${i + 1}`,
      underlay: `198.18.0.${11 + i}`,
    })) as FabricNodeSpec[],
  };
}

/**
 * The store's allocations, done deterministically for tests: unplaced workloads go round-robin
 * over the fabric, missing addresses take the next free host of their network (skipping the
 * gateway), floating and NAT addresses come from the external network, VNIs count up.
 */
export function resolveTenant(
  source: IntentFile,
  fabric: { nodes: FabricNodeSpec[] },
  id = `id-${source.tenant}`,
  vniBase = 1000,
): TenantInput {
  const intentCopy = structuredClone(source) as IntentFile;
  const taken = new Set<number>();
  const nextByNetwork = new Map<string, number>();
  for (const network of intentCopy.networks ?? []) {
    for (const subnet of network.subnets) {
      taken.add(subnetGateway(subnet) ?? -1);
    }
  }
  for (const workload of intentCopy.workloads ?? []) {
    for (const iface of workload.interfaces) {
      if (iface.ip) taken.add(parseIpv4(iface.ip) ?? -1);
      if (iface.floatingIp?.ip) taken.add(parseIpv4(iface.floatingIp.ip) ?? -1);
    }
  }
  const allocate = (networkName: string): string => {
    const network = (intentCopy.networks ?? []).find((candidate) => candidate.name === networkName);
    const cidr = network?.subnets[0]?.cidr ?? "0.0.0.0/32";
    const prefix = parseCidr(cidr);
    let next = nextByNetwork.get(networkName) ?? (prefix.ok ? prefix.value.network : 0) + 2;
    while (taken.has(next)) next++;
    taken.add(next);
    nextByNetwork.set(networkName, next + 1);
    return formatIpv4(next);
  };
  const pools = new Map(
    (intentCopy.floatingIpPools ?? []).map((pool) => [pool.name, pool.network]),
  );
  (intentCopy.workloads ?? []).forEach((workload, index) => {
    if (!workload.node) {
      const node = fabric.nodes[index % fabric.nodes.length];
      if (node) workload.node = node.name;
    }
    for (const iface of workload.interfaces) {
      if (!iface.ip) iface.ip = allocate(iface.network) as typeof iface.ip;
      if (iface.floatingIp && !iface.floatingIp.ip) {
        iface.floatingIp.ip = allocate(pools.get(iface.floatingIp.pool) ?? "") as typeof iface.ip;
      }
    }
  });
  const vnis: Record<string, number> = {};
  (intentCopy.networks ?? []).forEach((network, index) => {
    vnis[network.name] = vniBase + index;
  });
  const natAddresses: Record<string, string> = {};
  for (const service of intentCopy.services ?? []) {
    if (service.type === "nat") natAddresses[service.name] = allocate(service.outside);
  }
  return { id, intent: intentCopy, vnis, natAddresses };
}

export function inputOf(intents: IntentFile[], nodes = 2): CompileInput {
  const fabric = fabricOf(nodes);
  return {
    fabric,
    tenants: intents.map((tenantIntent, index) =>
      resolveTenant(tenantIntent, fabric, `id-${tenantIntent.tenant}`, 1000 * (index + 1)),
    ),
  };
}
