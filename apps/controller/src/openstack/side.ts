import type { SqlRunner } from "../migrate";

/**
 * What Neutron shows about an object that netloom's intent has no place for. The intent stays
 * the one model; these rows only decorate it (and hold the few Neutron objects that cannot be
 * intent yet: a network before its first subnet, a router before its first interface, a
 * floating IP before it is associated).
 */
export interface SideAttributes {
  name: string;
  description: string;
  tags: string[];
  createdAt: string;
  updatedAt: string;
  /** Bumped on every change made through Neutron. */
  revision: number;
  /** Kind-specific extras (allocation pools, pending state). */
  extra: Record<string, unknown>;
}

/** The OpenStack object kinds the side table knows. */
export type SideKind =
  | "network"
  | "subnet"
  | "port"
  | "security_group"
  | "security_group_rule"
  | "router"
  | "floatingip";

/** The row holding a tenant's side-table version (never a Neutron kind). */
const VERSION_KIND = "_version";

/**
 * The scope of the fabric's own objects (the cloud admin's external networks, spec 1.1): one
 * set of rows every project reads, in their own table (tenant rows cascade with the tenant).
 * In a SideRows they appear under keys prefixed `fabric:`.
 */
export const FABRIC_SCOPE = "*fabric*";
export const FABRIC_KEY_PREFIX = "fabric:";

const CREATE_FABRIC_SQL = `CREATE TABLE IF NOT EXISTS "OpenStackFabricAttribute" (
  kind text NOT NULL,
  key text NOT NULL,
  attributes jsonb NOT NULL,
  PRIMARY KEY (kind, key)
)`;

const CREATE_SQL = `CREATE TABLE IF NOT EXISTS "OpenStackAttribute" (
  "tenantId" text NOT NULL REFERENCES "Tenant"(id) ON DELETE CASCADE,
  kind text NOT NULL,
  key text NOT NULL,
  attributes jsonb NOT NULL,
  PRIMARY KEY ("tenantId", kind, key)
)`;

/** One row to write: `attributes` null deletes it. */
export interface SideWrite {
  /** The tenant, or FABRIC_SCOPE for a fabric row (its key without the `fabric:` prefix). */
  tenantId: string;
  kind: SideKind;
  key: string;
  attributes: SideAttributes | null;
}

/**
 * The side table, keyed by (tenant, kind, netloom object name or sub-path). Every list reads
 * one kind of one tenant in one query.
 */
export class SideTable {
  constructor(private readonly sql: SqlRunner) {}

  async ensure(): Promise<void> {
    await this.sql.exec(CREATE_SQL);
    await this.sql.exec(CREATE_FABRIC_SQL);
  }

  /** Every row of one kind of one tenant, by key. */
  async rows(tenantId: string, kind: SideKind): Promise<Map<string, SideAttributes>> {
    const rows = await this.sql.query<{ key: string; attributes: SideAttributes | string }>(
      `SELECT key, attributes FROM "OpenStackAttribute" WHERE "tenantId" = $1 AND kind = $2`,
      [tenantId, kind],
    );
    return new Map(rows.map((row) => [row.key, parseAttributes(row.attributes)]));
  }

  /** Rows of several kinds of one tenant, and the fabric's (keys `fabric:...`), in one query. */
  async rowsOf(tenantId: string, kinds: readonly SideKind[]): Promise<SideRows> {
    const rows = await this.sql.query<{
      kind: SideKind;
      key: string;
      attributes: SideAttributes | string;
    }>(
      `SELECT kind, key, attributes FROM "OpenStackAttribute" WHERE "tenantId" = $1 AND kind = ANY($2::text[])
       UNION ALL
       SELECT kind, '${FABRIC_KEY_PREFIX}' || key, attributes FROM "OpenStackFabricAttribute" WHERE kind = ANY($2::text[])`,
      [tenantId, [...kinds]],
    );
    const result = new SideRows();
    for (const row of rows) result.set(row.kind, row.key, parseAttributes(row.attributes));
    return result;
  }

  /** Rows of one kind across every tenant (floating IP addresses are one fabric-wide space). */
  async allOfKind(kind: SideKind): Promise<{ tenantId: string; key: string }[]> {
    return this.sql.query<{ tenantId: string; key: string }>(
      `SELECT "tenantId", key FROM "OpenStackAttribute" WHERE kind = $1`,
      [kind],
    );
  }

  /** External networks that some project's floating IP rows name (in use, even unassociated). */
  async floatingIpNetworks(): Promise<Set<string>> {
    const rows = await this.sql.query<{ network: string | null }>(
      `SELECT DISTINCT attributes->'extra'->>'network' AS network FROM "OpenStackAttribute" WHERE kind = 'floatingip'`,
    );
    return new Set(rows.flatMap((row) => (row.network ? [row.network] : [])));
  }

  /**
   * The tenant's side-table version: grows with every write, so cached list answers know
   * when a change (made through any controller) has made them stale.
   */
  async version(tenantId: string): Promise<string> {
    const rows = await this.sql.query<{ scope: string; version: number | string }>(
      `SELECT 't' AS scope, (attributes->>'revision')::int AS version FROM "OpenStackAttribute"
       WHERE "tenantId" = $1 AND kind = '${VERSION_KIND}' AND key = ''
       UNION ALL
       SELECT 'f' AS scope, (attributes->>'revision')::int AS version FROM "OpenStackFabricAttribute"
       WHERE kind = '${VERSION_KIND}' AND key = ''`,
      [tenantId],
    );
    const of = (scope: string) => Number(rows.find((row) => row.scope === scope)?.version ?? 0);
    // Fabric rows (the cloud admin's external networks) show in every project's lists.
    return `${of("t")}.${of("f")}`;
  }

  /** Writes (upserts or deletes) rows in one transaction and bumps each tenant's version. */
  async write(writes: readonly SideWrite[]): Promise<void> {
    if (writes.length === 0) return;
    await this.sql.transaction(async (tx) => {
      for (const tenantId of new Set(writes.map((write) => write.tenantId))) {
        if (tenantId === FABRIC_SCOPE) {
          await tx.query(
            `INSERT INTO "OpenStackFabricAttribute" (kind, key, attributes)
             VALUES ('${VERSION_KIND}', '', '{"revision": 1}'::jsonb)
             ON CONFLICT (kind, key) DO UPDATE SET attributes =
               jsonb_build_object('revision', ("OpenStackFabricAttribute".attributes->>'revision')::int + 1)`,
          );
          continue;
        }
        await tx.query(
          `INSERT INTO "OpenStackAttribute" ("tenantId", kind, key, attributes)
           VALUES ($1, '${VERSION_KIND}', '', '{"revision": 1}'::jsonb)
           ON CONFLICT ("tenantId", kind, key) DO UPDATE SET attributes =
             jsonb_build_object('revision', ("OpenStackAttribute".attributes->>'revision')::int + 1)`,
          [tenantId],
        );
      }
      for (const write of writes) {
        if (write.tenantId === FABRIC_SCOPE) {
          if (write.attributes === null) {
            await tx.query(`DELETE FROM "OpenStackFabricAttribute" WHERE kind = $1 AND key = $2`, [
              write.kind,
              write.key,
            ]);
          } else {
            await tx.query(
              `INSERT INTO "OpenStackFabricAttribute" (kind, key, attributes) VALUES ($1, $2, $3::jsonb)
               ON CONFLICT (kind, key) DO UPDATE SET attributes = EXCLUDED.attributes`,
              [write.kind, write.key, JSON.stringify(write.attributes)],
            );
          }
          continue;
        }
        if (write.attributes === null) {
          await tx.query(
            `DELETE FROM "OpenStackAttribute" WHERE "tenantId" = $1 AND kind = $2 AND key = $3`,
            [write.tenantId, write.kind, write.key],
          );
        } else {
          await tx.query(
            `INSERT INTO "OpenStackAttribute" ("tenantId", kind, key, attributes) VALUES ($1, $2, $3, $4::jsonb)
             ON CONFLICT ("tenantId", kind, key) DO UPDATE SET attributes = EXCLUDED.attributes`,
            [write.tenantId, write.kind, write.key, JSON.stringify(write.attributes)],
          );
        }
      }
    });
  }
}

/** Side rows of one tenant, by kind and key. */
export class SideRows {
  private readonly byKind = new Map<SideKind, Map<string, SideAttributes>>();

  set(kind: SideKind, key: string, attributes: SideAttributes): void {
    let map = this.byKind.get(kind);
    if (!map) {
      map = new Map();
      this.byKind.set(kind, map);
    }
    map.set(key, attributes);
  }

  get(kind: SideKind, key: string): SideAttributes | undefined {
    return this.byKind.get(kind)?.get(key);
  }

  delete(kind: SideKind, key: string): void {
    this.byKind.get(kind)?.delete(key);
  }

  /** A copy to plan on (a plan may be retried, and a failed plan must leave no trace). */
  clone(): SideRows {
    const copy = new SideRows();
    for (const [kind, map] of this.byKind) {
      for (const [key, attributes] of map) copy.set(kind, key, attributes);
    }
    return copy;
  }

  of(kind: SideKind): Map<string, SideAttributes> {
    return this.byKind.get(kind) ?? new Map();
  }
}

function parseAttributes(value: SideAttributes | string): SideAttributes {
  return typeof value === "string" ? (JSON.parse(value) as SideAttributes) : value;
}
