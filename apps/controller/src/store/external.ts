import {
  type FabricExternalNetworkSpec,
  fabricExternalNetworkSchema,
  type IntentFile,
  type Ipv4Prefix,
  NetloomError,
  type Problem,
  parseCidr,
  parseIpv4,
  prefixContains,
} from "@netloom/model";
import type { Prisma } from "../generated/prisma/client";
import type { SqlRunner } from "../migrate";
import { objectsOf } from "./document";
import type { TenantState } from "./types";

/**
 * Spec section 1.1, outside addresses are one space. The operator's external networks (Fabric
 * file `externalNetworks`) are stored fabric-wide; tenants use them by name. Their addresses are
 * `IpAllocation` rows under this tenant id, so the primary key (tenant, network, ip) makes each
 * one unique across tenants.
 */
export const FABRIC_TENANT = "*fabric*";

/** A fabric external network as the store keeps it. */
export interface ExternalNetworkView extends FabricExternalNetworkSpec {
  /** Fabric-wide VNI, from the top of the space down (tenant networks grow from 4096). */
  vni: number;
}

const TOP_VNI = 16_777_215;

export async function loadExternalNetworks(sql: SqlRunner): Promise<ExternalNetworkView[]> {
  const rows = await sql.query<{ spec: unknown; vni: number }>(
    `SELECT spec, vni FROM "FabricExternalNetwork" ORDER BY name`,
  );
  return rows.map((row) => {
    const spec = fabricExternalNetworkSchema.parse(row.spec);
    // Issue 14: a network with an EVPN door uses its L3 VNI, so a gateway's packets land on it.
    return { ...spec, vni: spec.evpn?.vni ?? Number(row.vni) };
  });
}

/** The fabric external networks a tenant may use (all, unless `tenants` lists others only). */
export function usableBy(
  networks: readonly ExternalNetworkView[],
  tenant: string,
): ExternalNetworkView[] {
  return networks.filter(
    (network) => !network.tenants || network.tenants.some((name) => name === tenant),
  );
}

/** Names of the networks an intent takes outside addresses from (pools, nat outsides). */
export function outsideNetworksOf(intent: IntentFile): Set<string> {
  const names = new Set<string>();
  for (const pool of objectsOf(intent, "floatingIpPools")) names.add(pool.network);
  for (const service of objectsOf(intent, "services")) {
    if (service.type === "nat") names.add(service.outside);
  }
  return names;
}

/** The fabric external networks an intent uses (not shadowed by a network of its own). */
export function fabricNetworksUsed(
  intent: IntentFile,
  networks: readonly ExternalNetworkView[],
): ExternalNetworkView[] {
  const own = new Set(objectsOf(intent, "networks").map((network) => network.name));
  const used = outsideNetworksOf(intent);
  return networks.filter((network) => used.has(network.name) && !own.has(network.name));
}

/** CIDRs of every external network declared outside one tenant: the fabric's and the others'. */
export function foreignExternalSubnets(
  networks: readonly ExternalNetworkView[],
  tenants: Iterable<TenantState>,
  tenantId: string,
): string[] {
  const cidrs: string[] = networks.flatMap((network) =>
    network.subnets.map((subnet) => subnet.cidr),
  );
  for (const tenant of tenants) {
    if (tenant.id === tenantId) continue;
    for (const resource of tenant.resources.values()) {
      if (resource.kind !== "networks") continue;
      const network = resource.spec as { external?: boolean; subnets: { cidr: string }[] };
      if (network.external) cidrs.push(...network.subnets.map((subnet) => subnet.cidr));
    }
  }
  return cidrs;
}

/**
 * Addresses other tenants hold on each fabric external network (floating IPs, nat outsides),
 * from the caches; the database's primary key has the last word when two commit at once.
 */
export function heldByOthers(
  networks: readonly ExternalNetworkView[],
  tenants: Iterable<TenantState>,
  tenantId: string,
): Map<string, Set<number>> {
  const held = new Map<string, Set<number>>(networks.map((n) => [n.name, new Set<number>()]));
  const hold = (network: string, ip: string | undefined) => {
    const address = ip === undefined ? undefined : parseIpv4(ip);
    if (address !== undefined) held.get(network)?.add(address);
  };
  for (const tenant of tenants) {
    if (tenant.id === tenantId) continue;
    const own = new Set<string>();
    const pools = new Map<string, string>();
    for (const resource of tenant.resources.values()) {
      if (resource.kind === "networks") own.add(resource.name);
      if (resource.kind === "floatingIpPools") {
        pools.set(resource.name, (resource.spec as { network: string }).network);
      }
    }
    for (const resource of tenant.resources.values()) {
      if (resource.kind === "workloads") {
        const spec = resource.spec as {
          interfaces: { floatingIp?: { pool: string; ip?: string } }[];
        };
        for (const iface of spec.interfaces) {
          const network = iface.floatingIp ? pools.get(iface.floatingIp.pool) : undefined;
          if (network && !own.has(network)) hold(network, iface.floatingIp?.ip);
        }
      } else if (resource.kind === "services") {
        const spec = resource.spec as { type: string; name: string; outside?: string };
        if (spec.type === "nat" && spec.outside && !own.has(spec.outside)) {
          hold(spec.outside, tenant.natAddresses[spec.name]);
        }
      }
    }
  }
  return held;
}

/** Addresses held on fabric external networks by owners outside one tenant, from the database. */
export async function heldInDatabase(
  sql: SqlRunner,
  tenantId: string,
): Promise<Map<string, Set<number>>> {
  const rows = await sql.query<{ network: string; ip: string }>(
    `SELECT a.network, a.ip FROM "IpAllocation" a JOIN "Resource" r ON r.id = a."ownerId"
      WHERE a."tenantId" = $1 AND r."tenantId" <> $2`,
    [FABRIC_TENANT, tenantId],
  );
  const held = new Map<string, Set<number>>();
  for (const row of rows) {
    const address = parseIpv4(row.ip);
    if (address === undefined) continue;
    const set = held.get(row.network) ?? new Set<number>();
    set.add(address);
    held.set(row.network, set);
  }
  return held;
}

/** What a Fabric file's `externalNetworks` change: networks to write and to remove. */
export interface ExternalNetworksPlan {
  upserts: FabricExternalNetworkSpec[];
  removed: string[];
}

/**
 * Checks a Fabric file's external networks against each other and against the tenants' own
 * external networks (the operator may be told which tenant), and plans the change. Without
 * `prune`, networks the file leaves out stay; with it they go, unless a tenant still uses one.
 */
export function planExternalNetworks(
  desired: readonly FabricExternalNetworkSpec[],
  current: readonly ExternalNetworkView[],
  tenants: readonly TenantState[],
  prune: boolean,
): ExternalNetworksPlan {
  const listed = new Set(desired.map((network) => network.name));
  const removed = prune
    ? current.filter((network) => !listed.has(network.name)).map((network) => network.name)
    : [];
  const problems = [...desiredProblems(desired, tenants), ...stillUsed(removed, tenants)];
  if (problems.length > 0) throw NetloomError.invalid(problems);
  const byName = new Map(current.map((network) => [network.name, network]));
  const upserts = desired.filter((network) => {
    const existing = byName.get(network.name);
    return !existing || JSON.stringify(specOf(existing)) !== JSON.stringify(specOf(network));
  });
  return { upserts, removed };
}

/** Names listed twice, bad CIDRs, and subnets overlapping each other or a tenant's own. */
function desiredProblems(
  desired: readonly FabricExternalNetworkSpec[],
  tenants: readonly TenantState[],
): Problem[] {
  const problems: Problem[] = [];
  const seen = new Set<string>();
  const prefixes: { cidr: string; path: string; prefix: Ipv4Prefix }[] = [];
  desired.forEach((network, index) => {
    if (seen.has(network.name)) {
      problems.push({
        path: `externalNetworks[${index}].name`,
        message: `${network.name} is listed twice`,
      });
    }
    seen.add(network.name);
    network.subnets.forEach((subnet, subnetIndex) => {
      const path = `externalNetworks[${index}].subnets[${subnetIndex}].cidr`;
      const parsed = parseCidr(subnet.cidr);
      if (!parsed.ok) {
        problems.push({ path, message: parsed.message });
        return;
      }
      const clash = prefixes.find((other) => overlap(other.prefix, parsed.value));
      if (clash) {
        problems.push({ path, message: `${subnet.cidr} overlaps ${clash.cidr} (${clash.path})` });
      }
      problems.push(...tenantOverlaps(subnet.cidr, parsed.value, path, tenants));
      prefixes.push({ cidr: subnet.cidr, path, prefix: parsed.value });
    });
  });
  return problems;
}

/** A fabric subnet overlapping a subnet of a tenant's own external network, named. */
function tenantOverlaps(
  cidr: string,
  prefix: Ipv4Prefix,
  path: string,
  tenants: readonly TenantState[],
): Problem[] {
  const problems: Problem[] = [];
  for (const tenant of tenants) {
    for (const resource of tenant.resources.values()) {
      if (resource.kind !== "networks") continue;
      const own = resource.spec as { external?: boolean; subnets: { cidr: string }[] };
      if (!own.external) continue;
      for (const ownSubnet of own.subnets) {
        const ownPrefix = parseCidr(ownSubnet.cidr);
        if (ownPrefix.ok && overlap(ownPrefix.value, prefix)) {
          problems.push({
            path,
            message: `${cidr} overlaps ${ownSubnet.cidr}, external network ${resource.name} of tenant ${tenant.name}`,
          });
        }
      }
    }
  }
  return problems;
}

/** External networks to remove that a tenant still uses (a pool or a nat service on it). */
function stillUsed(removed: readonly string[], tenants: readonly TenantState[]): Problem[] {
  const problems: Problem[] = [];
  for (const name of removed) {
    for (const tenant of tenants) {
      const own = new Set<string>();
      const used = new Set<string>();
      for (const resource of tenant.resources.values()) {
        if (resource.kind === "networks") own.add(resource.name);
        if (resource.kind === "floatingIpPools") {
          used.add((resource.spec as { network: string }).network);
        }
        if (resource.kind === "services") {
          const spec = resource.spec as { type: string; outside?: string };
          if (spec.type === "nat" && spec.outside) used.add(spec.outside);
        }
      }
      if (used.has(name) && !own.has(name)) {
        problems.push({
          path: "externalNetworks",
          message: `external network ${name} is still used by tenant ${tenant.name}`,
        });
      }
    }
  }
  return problems;
}

/** The spec of a fabric external network, as the Fabric file states it. */
export function specOf(network: FabricExternalNetworkSpec): FabricExternalNetworkSpec {
  return {
    name: network.name,
    subnets: network.subnets,
    ...(network.tenants ? { tenants: network.tenants } : {}),
    ...(network.evpn ? { evpn: network.evpn } : {}),
  };
}

function overlap(a: Ipv4Prefix, b: Ipv4Prefix): boolean {
  return prefixContains(a, b.network) || prefixContains(b, a.network);
}

/** Writes a planned change of the external networks inside the fabric change's transaction. */
export async function writeExternalNetworks(
  tx: Prisma.TransactionClient,
  plan: ExternalNetworksPlan,
): Promise<void> {
  if (plan.removed.length > 0) {
    await tx.$executeRawUnsafe(
      `DELETE FROM "FabricExternalNetwork" WHERE name = ANY($1::text[])`,
      plan.removed,
    );
  }
  for (const network of plan.upserts) {
    await tx.$executeRawUnsafe(
      `INSERT INTO "FabricExternalNetwork" (name, spec, vni)
       SELECT $1, $2::jsonb, COALESCE(MIN(vni) - 1, $3) FROM "FabricExternalNetwork"
       ON CONFLICT (name) DO UPDATE SET spec = EXCLUDED.spec`,
      network.name,
      JSON.stringify(specOf(network)),
      TOP_VNI,
    );
  }
}
