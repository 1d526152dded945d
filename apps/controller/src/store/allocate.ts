import {
  formatIpv4,
  type IntentFile,
  type Ipv4,
  NetloomError,
  nextFreeAddress,
  type Problem,
  parseCidr,
  parseIpv4,
  prefixContains,
} from "@netloom/model";

/** A candidate intent with every allocation made (addresses, nodes, nat outside addresses). */
export interface Prepared {
  intent: IntentFile;
  natAddresses: Record<string, string>;
}

/** A fabric external network as the allocator sees it: its subnets, what others hold. */
export interface ExternalPool {
  subnets: readonly { cidr: string; gateway?: string | undefined }[];
  held: ReadonlySet<number>;
}

interface Pool {
  subnets: { cidr: string; gateway: number | undefined }[];
  taken: Set<number>;
  /** On a fabric external network: the addresses other tenants hold. */
  heldElsewhere?: ReadonlySet<number>;
}

/**
 * Hands out every address the intent leaves open: interfaces, floating IPs, nat outside
 * addresses. Next free address in file order; EXHAUSTED names the first path that found none.
 * A floating IP another tenant holds on a fabric external network is INVALID.
 */
export function allocateAddresses(
  intent: IntentFile,
  currentNat: Record<string, string>,
  external: ReadonlyMap<string, ExternalPool> = new Map(),
): Prepared {
  const pools = new AddressPools(intent, external);
  const poolNetwork = new Map((intent.floatingIpPools ?? []).map((p) => [p.name, p.network]));
  takeWorkloadAddresses(intent, pools, poolNetwork);
  const natAddresses = takeServiceAddresses(intent, pools, currentNat);
  (intent.workloads ?? []).forEach((workload, w) => {
    workload.interfaces.forEach((iface, i) => {
      if (iface.ip === undefined) {
        iface.ip = pools.allocate(iface.network, `workloads[${w}].interfaces[${i}].ip`) as Ipv4;
      }
      const fip = iface.floatingIp;
      const network = fip ? poolNetwork.get(fip.pool) : undefined;
      if (fip && fip.ip === undefined && network) {
        fip.ip = pools.allocate(network, `workloads[${w}].interfaces[${i}].floatingIp.ip`) as Ipv4;
      }
    });
  });
  (intent.services ?? []).forEach((service, s) => {
    if (service.type === "nat" && natAddresses[service.name] === undefined) {
      natAddresses[service.name] = pools.allocate(service.outside, `services[${s}].outside`);
    }
  });
  return { intent, natAddresses };
}

/** The workloads' given addresses, taken; INVALID for floating IPs held elsewhere. */
function takeWorkloadAddresses(
  intent: IntentFile,
  pools: AddressPools,
  poolNetwork: ReadonlyMap<string, string>,
): void {
  const heldProblems: Problem[] = [];
  (intent.workloads ?? []).forEach((workload, w) => {
    workload.interfaces.forEach((iface, i) => {
      pools.take(iface.network, iface.ip);
      const fipNetwork = iface.floatingIp ? poolNetwork.get(iface.floatingIp.pool) : undefined;
      const ip = iface.floatingIp?.ip;
      if (fipNetwork && pools.take(fipNetwork, ip) === "held elsewhere") {
        // Another tenant's: say so without saying whose (spec 1.1).
        heldProblems.push({
          path: `workloads[${w}].interfaces[${i}].floatingIp.ip`,
          message: `${ip} on ${fipNetwork} is already held in the fabric`,
        });
      }
    });
  });
  if (heldProblems.length > 0) throw NetloomError.invalid(heldProblems);
}

/** Load-balancer VIPs taken; nat services keep their outside address while it is still free. */
function takeServiceAddresses(
  intent: IntentFile,
  pools: AddressPools,
  currentNat: Record<string, string>,
): Record<string, string> {
  const natAddresses: Record<string, string> = {};
  for (const service of intent.services ?? []) {
    if (service.type === "load-balancer") pools.take(service.network, service.vip);
    if (service.type === "nat") {
      const kept = currentNat[service.name];
      if (kept && pools.keep(service.outside, kept)) natAddresses[service.name] = kept;
    }
  }
  return natAddresses;
}

/** Per network (the tenant's own, and the fabric external networks it may use), its addresses. */
class AddressPools {
  private readonly pools = new Map<string, Pool>();

  constructor(intent: IntentFile, external: ReadonlyMap<string, ExternalPool>) {
    // Fabric external networks (spec 1.1) first: a network of the tenant's own takes precedence.
    for (const [name, network] of external) {
      this.pools.set(name, {
        subnets: network.subnets.map(subnetOf),
        taken: new Set(network.held),
        heldElsewhere: network.held,
      });
    }
    for (const network of intent.networks ?? []) {
      this.pools.set(network.name, { subnets: network.subnets.map(subnetOf), taken: new Set() });
    }
  }

  /** Marks `ip` in use on `network`; answers whether another tenant holds it there. */
  take(network: string, ip: string | undefined): "taken" | "held elsewhere" {
    const address = ip === undefined ? undefined : parseIpv4(ip);
    if (address === undefined) return "taken";
    const pool = this.pools.get(network);
    const held = pool?.heldElsewhere?.has(address) ? "held elsewhere" : "taken";
    pool?.taken.add(address);
    return held;
  }

  /** Takes `ip` on `network` if it lies in the network and is still free. */
  keep(network: string, ip: string): boolean {
    const address = parseIpv4(ip);
    const pool = this.pools.get(network);
    if (address === undefined || !pool || !inPool(pool, address) || pool.taken.has(address)) {
      return false;
    }
    pool.taken.add(address);
    return true;
  }

  /** The next free address on `network`; EXHAUSTED at `path` when there is none. */
  allocate(network: string, path: string): string {
    const pool = this.pools.get(network);
    const address = pool ? firstFree(pool) : undefined;
    if (pool === undefined || address === undefined) {
      throw new NetloomError("EXHAUSTED", `${path}: no address left on network ${network}`, [
        { path, message: `no address left to allocate on network ${network}` },
      ]);
    }
    pool.taken.add(address);
    return formatIpv4(address);
  }
}

/** The first free address of a pool, subnet by subnet (never a subnet's gateway). */
function firstFree(pool: Pool): number | undefined {
  for (const subnet of pool.subnets) {
    const address =
      subnet.gateway === undefined
        ? nextFreeAddress(subnet.cidr, pool.taken)
        : nextFreeAddress(subnet.cidr, pool.taken, subnet.gateway);
    if (address !== undefined) return address;
  }
  return undefined;
}

function subnetOf(subnet: { cidr: string; gateway?: string | undefined }) {
  return {
    cidr: subnet.cidr,
    gateway: subnet.gateway === undefined ? undefined : parseIpv4(subnet.gateway),
  };
}

function inPool(pool: Pool, address: number): boolean {
  return pool.subnets.some((subnet) => {
    const prefix = parseCidr(subnet.cidr);
    return prefix.ok && prefixContains(prefix.value, address);
  });
}
