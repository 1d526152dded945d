import type { SqlRunner } from "../migrate";
import { storedResourceOf } from "./document";
import type { Quotas, StoredResource, TenantState } from "./types";
import { resourceKey } from "./types";

/**
 * How a controller follows a tenant another controller changed: one statement reads the
 * tenant row and only the objects whose (id, revision) the cache does not hold (new or
 * changed), plus the ids of cached objects that are gone. A one-object change of a tenant with
 * a thousand objects thus moves and parses one object, not a thousand (Prisma's per-row cost and
 * the spec parse were most of a follower's delay behind the writer). One statement is one
 * snapshot: the generation read is the generation of the objects read. Every write of an object
 * bumps its revision (commit.ts), and VNIs are allocated with the network's row and never
 * change, so an object at a cached revision, and its VNI, are the cached ones.
 */

/** A new or changed object row of the follow read. */
interface FollowedRow {
  id: string;
  kind: string;
  name: string;
  ordinal: number;
  revision: number;
  vni: number | null;
  spec: unknown;
}

interface FollowedTenant {
  name: string;
  generation: number;
  quotas: unknown;
  changed: unknown;
  gone: unknown;
  nat: unknown;
}

const FOLLOW_TENANT_SQL = `
SELECT t.name, t.generation, t.quotas,
  COALESCE((SELECT json_agg(json_build_object(
      'id', r.id, 'kind', r.kind, 'name', r.name, 'ordinal', r.ordinal,
      'revision', r.revision, 'vni', v.vni, 'spec', r.spec) ORDER BY r.kind, r.ordinal)
    FROM "Resource" r
    LEFT JOIN "VniAllocation" v ON v."networkId" = r.id
    LEFT JOIN unnest($2::text[], $3::int[]) AS k(id, revision)
      ON k.id = r.id AND k.revision = r.revision
    WHERE r."tenantId" = t.id AND k.id IS NULL), '[]'::json) AS changed,
  COALESCE((SELECT json_agg(k.id) FROM unnest($2::text[]) AS k(id)
    WHERE NOT EXISTS (SELECT 1 FROM "Resource" r WHERE r.id = k.id AND r."tenantId" = t.id)),
    '[]'::json) AS gone,
  COALESCE((SELECT json_agg(json_build_object('owner', o.name, 'ip', a.ip))
    FROM "IpAllocation" a JOIN "Resource" o ON o.id = a."ownerId"
    WHERE o."tenantId" = t.id AND a.purpose = 'nat'), '[]'::json) AS nat
FROM "Tenant" t WHERE t.id = $1`;

/** What the follow reads did, for tests and diagnostics. */
export interface FollowCounters {
  /** Tenants read. */
  tenantReads: number;
  /** Object specs parsed (objects new or changed since the cached revision). */
  specsParsed: number;
  /** Objects taken over from the cache unchanged. */
  specsReused: number;
}

/** A json column: drivers hand it over parsed (pg, PGlite); text is parsed to be safe. */
function jsonValue(value: unknown): unknown {
  return typeof value === "string" ? JSON.parse(value) : value;
}

/**
 * Reads tenant `id` from the database, reusing the cached objects whose revision did not
 * change. Answers undefined when the tenant no longer exists.
 */
export async function followTenant(
  sql: SqlRunner,
  id: string,
  cached: TenantState | undefined,
  counters?: FollowCounters,
): Promise<TenantState | undefined> {
  const byId = new Map<string, StoredResource>();
  for (const resource of cached?.resources.values() ?? []) byId.set(resource.id, resource);
  const known = [...byId.values()];
  const rows = await sql.query<FollowedTenant>(FOLLOW_TENANT_SQL, [
    id,
    known.map((resource) => resource.id),
    known.map((resource) => resource.revision),
  ]);
  const tenant = rows[0];
  if (!tenant) return undefined;
  if (counters) counters.tenantReads += 1;
  const gone = new Set(jsonValue(tenant.gone) as string[]);
  const changed = jsonValue(tenant.changed) as FollowedRow[];
  const replaced = new Set(changed.map((row) => row.id));
  const resources = new Map<string, StoredResource>();
  const vnis: Record<string, number> = {};
  for (const resource of known) {
    if (gone.has(resource.id) || replaced.has(resource.id)) continue;
    resources.set(resourceKey(resource.kind, resource.name), resource);
    const vni = cached?.vnis[resource.name];
    if (resource.kind === "networks" && vni !== undefined) vnis[resource.name] = vni;
    if (counters) counters.specsReused += 1;
  }
  for (const row of changed) {
    const resource = storedResourceOf(row);
    if (!resource) continue;
    resources.set(resourceKey(resource.kind, resource.name), resource);
    if (row.vni !== null) vnis[row.name] = row.vni;
    if (counters) counters.specsParsed += 1;
  }
  const natAddresses: Record<string, string> = {};
  for (const row of jsonValue(tenant.nat) as { owner: string; ip: string }[]) {
    natAddresses[row.owner] = row.ip;
  }
  return {
    id,
    name: tenant.name,
    generation: Number(tenant.generation),
    quotas: (jsonValue(tenant.quotas) ?? {}) as Partial<Quotas>,
    resources,
    vnis,
    natAddresses,
  };
}
