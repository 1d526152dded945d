import {
  formatIpv4,
  type IntentFile,
  type Ipv4,
  type Name,
  NetloomError,
  nextFreeAddress,
  type Problem,
  parseCidr,
  parseIpv4,
  prefixContains,
  type Workload,
} from "@netloom/model";
import { DEFAULT_QUOTAS, type Quotas, type TenantState } from "./types";

/** What the scheduler and the validator need to know about the fabric. */
export interface FabricView {
  nodes: readonly string[];
  /** Workloads placed on each node by every tenant except the one being changed. */
  otherLoad: ReadonlyMap<string, number>;
}

/** A candidate intent with every allocation made (addresses, nodes, nat outside addresses). */
export interface Prepared {
  intent: IntentFile;
  natAddresses: Record<string, string>;
}

function clone<T>(value: T): T {
  return structuredClone(value);
}

/**
 * Gives objects that already existed the allocations they had, so that re-applying a file
 * without addresses (or an export) changes nothing: same address per (workload, network), same
 * floating IP per (workload, network, pool), same node.
 */
export function carryOverAllocations(current: IntentFile, desired: IntentFile): IntentFile {
  const result = clone(desired);
  const previous = new Map<string, Workload>();
  for (const workload of current.workloads ?? []) previous.set(workload.name, workload);
  // A pool moved to another network hands out new addresses.
  const poolNetwork = (file: IntentFile, pool: string) =>
    file.floatingIpPools?.find((candidate) => candidate.name === pool)?.network;
  for (const workload of result.workloads ?? []) {
    const before = previous.get(workload.name);
    if (!before) continue;
    if (workload.node === undefined && before.node !== undefined) workload.node = before.node;
    for (const iface of workload.interfaces) {
      const old = before.interfaces.find((candidate) => candidate.network === iface.network);
      if (!old) continue;
      if (iface.ip === undefined && old.ip !== undefined) iface.ip = old.ip;
      if (
        iface.floatingIp &&
        iface.floatingIp.ip === undefined &&
        old.floatingIp?.pool === iface.floatingIp.pool &&
        old.floatingIp.ip !== undefined &&
        poolNetwork(current, old.floatingIp.pool) === poolNetwork(result, iface.floatingIp.pool)
      ) {
        iface.floatingIp.ip = old.floatingIp.ip;
      }
    }
  }
  return result;
}

/**
 * Places workloads without a node: the node with the fewest workloads (all tenants), ties by
 * name. Deterministic, so a dry run and the apply that follows agree.
 */
export function scheduleWorkloads(intent: IntentFile, fabric: FabricView): Problem[] {
  const problems: Problem[] = [];
  const load = new Map<string, number>();
  for (const node of fabric.nodes) load.set(node, fabric.otherLoad.get(node) ?? 0);
  for (const workload of intent.workloads ?? []) {
    if (workload.node !== undefined && load.has(workload.node)) {
      load.set(workload.node, (load.get(workload.node) ?? 0) + 1);
    }
  }
  (intent.workloads ?? []).forEach((workload, index) => {
    if (workload.node !== undefined) return;
    let best: string | undefined;
    let bestLoad = Number.POSITIVE_INFINITY;
    for (const node of [...load.keys()].sort()) {
      const count = load.get(node) ?? 0;
      if (count < bestLoad) {
        best = node;
        bestLoad = count;
      }
    }
    if (best === undefined) {
      problems.push({
        path: `workloads[${index}].node`,
        message: "no forwarding node to place the workload on (apply a fabric file first)",
      });
      return;
    }
    workload.node = best as Name;
    load.set(best, bestLoad + 1);
  });
  return problems;
}

interface Pool {
  subnets: { cidr: string; gateway: number | undefined }[];
  taken: Set<number>;
  /** On a fabric external network: the addresses other tenants hold. */
  heldElsewhere?: ReadonlySet<number>;
}

/** A fabric external network as the allocator sees it: its subnets, what others hold. */
export interface ExternalPool {
  subnets: readonly { cidr: string; gateway?: string | undefined }[];
  held: ReadonlySet<number>;
}

/**
 * Hands out every address the intent leaves open: interfaces, floating IPs, nat outside
 * addresses. Next free address in file order; EXHAUSTED names the first path that found none.
 */
export function allocateAddresses(
  intent: IntentFile,
  currentNat: Record<string, string>,
  external: ReadonlyMap<string, ExternalPool> = new Map(),
): Prepared {
  const pools = new Map<string, Pool>();
  // Fabric external networks (spec 1.1) first: a network of the tenant's own takes precedence.
  for (const [name, network] of external) {
    pools.set(name, {
      subnets: network.subnets.map((subnet) => ({
        cidr: subnet.cidr,
        gateway: subnet.gateway === undefined ? undefined : parseIpv4(subnet.gateway),
      })),
      taken: new Set(network.held),
      heldElsewhere: network.held,
    });
  }
  for (const network of intent.networks ?? []) {
    pools.set(network.name, {
      subnets: network.subnets.map((subnet) => ({
        cidr: subnet.cidr,
        gateway: subnet.gateway === undefined ? undefined : parseIpv4(subnet.gateway),
      })),
      taken: new Set(),
    });
  }
  const heldProblems: Problem[] = [];
  const take = (network: string, ip: string | undefined, path?: string) => {
    const address = ip === undefined ? undefined : parseIpv4(ip);
    if (address === undefined) return;
    const pool = pools.get(network);
    if (path && pool?.heldElsewhere?.has(address)) {
      // Another tenant's: say so without saying whose (spec 1.1).
      heldProblems.push({ path, message: `${ip} on ${network} is already held in the fabric` });
    }
    pool?.taken.add(address);
  };
  const poolNetwork = new Map((intent.floatingIpPools ?? []).map((p) => [p.name, p.network]));
  (intent.workloads ?? []).forEach((workload, w) => {
    workload.interfaces.forEach((iface, i) => {
      take(iface.network, iface.ip);
      const fipNetwork = iface.floatingIp ? poolNetwork.get(iface.floatingIp.pool) : undefined;
      const fipPath = `workloads[${w}].interfaces[${i}].floatingIp.ip`;
      if (fipNetwork) take(fipNetwork, iface.floatingIp?.ip, fipPath);
    });
  });
  if (heldProblems.length > 0) throw NetloomError.invalid(heldProblems);
  const natAddresses: Record<string, string> = {};
  for (const service of intent.services ?? []) {
    if (service.type === "load-balancer") take(service.network, service.vip);
    if (service.type === "nat") {
      const kept = currentNat[service.name];
      const address = kept === undefined ? undefined : parseIpv4(kept);
      const pool = pools.get(service.outside);
      if (
        kept &&
        address !== undefined &&
        pool &&
        inPool(pool, address) &&
        !pool.taken.has(address)
      ) {
        natAddresses[service.name] = kept;
        pool.taken.add(address);
      }
    }
  }
  const allocate = (network: string, path: string): string => {
    const pool = pools.get(network);
    if (pool) {
      for (const subnet of pool.subnets) {
        const address =
          subnet.gateway === undefined
            ? nextFreeAddress(subnet.cidr, pool.taken)
            : nextFreeAddress(subnet.cidr, pool.taken, subnet.gateway);
        if (address !== undefined) {
          pool.taken.add(address);
          return formatIpv4(address);
        }
      }
    }
    throw new NetloomError("EXHAUSTED", `${path}: no address left on network ${network}`, [
      { path, message: `no address left to allocate on network ${network}` },
    ]);
  };
  (intent.workloads ?? []).forEach((workload, w) => {
    workload.interfaces.forEach((iface, i) => {
      if (iface.ip === undefined) {
        iface.ip = allocate(iface.network, `workloads[${w}].interfaces[${i}].ip`) as Ipv4;
      }
      const fip = iface.floatingIp;
      if (fip && fip.ip === undefined) {
        const network = poolNetwork.get(fip.pool);
        if (network) {
          fip.ip = allocate(network, `workloads[${w}].interfaces[${i}].floatingIp.ip`) as Ipv4;
        }
      }
    });
  });
  (intent.services ?? []).forEach((service, s) => {
    if (service.type === "nat" && natAddresses[service.name] === undefined) {
      natAddresses[service.name] = allocate(service.outside, `services[${s}].outside`);
    }
  });
  return { intent, natAddresses };
}

function inPool(pool: Pool, address: number): boolean {
  return pool.subnets.some((subnet) => {
    const prefix = parseCidr(subnet.cidr);
    return prefix.ok && prefixContains(prefix.value, address);
  });
}

/** The quota figures an intent uses. */
export function usageOf(intent: IntentFile): Quotas {
  let rules = 0;
  for (const group of intent.securityGroups ?? []) rules += group.rules.length;
  for (const policy of intent.policies ?? []) rules += policy.rules.length;
  for (const service of intent.services ?? []) {
    if (service.type === "firewall") rules += service.rules.length;
  }
  let floatingIps = 0;
  for (const workload of intent.workloads ?? []) {
    for (const iface of workload.interfaces) if (iface.floatingIp) floatingIps++;
  }
  return {
    networks: intent.networks?.length ?? 0,
    workloads: intent.workloads?.length ?? 0,
    securityGroups: intent.securityGroups?.length ?? 0,
    policies: intent.policies?.length ?? 0,
    services: intent.services?.length ?? 0,
    routers: intent.routers?.length ?? 0,
    floatingIpPools: intent.floatingIpPools?.length ?? 0,
    assertions: intent.assertions?.length ?? 0,
    rules,
    floatingIps,
  };
}

/** The tenant's effective quotas: defaults overridden by what the cloud admin set. */
export function effectiveQuotas(state: Pick<TenantState, "quotas">): Quotas {
  return { ...DEFAULT_QUOTAS, ...state.quotas };
}

/**
 * QUOTA_EXCEEDED for every figure above its quota that this change makes grow (a quota lowered
 * below what a tenant already uses does not block changes that do not add to it).
 */
export function checkQuotas(before: IntentFile, after: IntentFile, quotas: Quotas): void {
  const used = usageOf(after);
  const had = usageOf(before);
  const problems: Problem[] = [];
  for (const key of Object.keys(quotas) as (keyof Quotas)[]) {
    if (used[key] > quotas[key] && used[key] > had[key]) {
      const kindPath = key === "rules" || key === "floatingIps" ? key : `${key}[${quotas[key]}]`;
      problems.push({
        path: kindPath,
        message: `quota exceeded: ${used[key]} ${key}, the tenant's quota is ${quotas[key]}`,
      });
    }
  }
  if (problems.length > 0) {
    throw new NetloomError(
      "QUOTA_EXCEEDED",
      problems.map((p) => `${p.path}: ${p.message}`).join("\n"),
      problems,
    );
  }
}
