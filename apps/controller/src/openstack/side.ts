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

const CREATE_SQL = `CREATE TABLE IF NOT EXISTS "OpenStackAttribute" (
  "tenantId" text NOT NULL REFERENCES "Tenant"(id) ON DELETE CASCADE,
  kind text NOT NULL,
  key text NOT NULL,
  attributes jsonb NOT NULL,
  PRIMARY KEY ("tenantId", kind, key)
)`;

/** One row to write: `attributes` null deletes it. */
export interface SideWrite {
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
  }

  /** Every row of one kind of one tenant, by key. */
  async rows(tenantId: string, kind: SideKind): Promise<Map<string, SideAttributes>> {
    const rows = await this.sql.query<{ key: string; attributes: SideAttributes | string }>(
      `SELECT key, attributes FROM "OpenStackAttribute" WHERE "tenantId" = $1 AND kind = $2`,
      [tenantId, kind],
    );
    return new Map(rows.map((row) => [row.key, parseAttributes(row.attributes)]));
  }

  /** Rows of several kinds of one tenant, in one query. */
  async rowsOf(tenantId: string, kinds: readonly SideKind[]): Promise<SideRows> {
    const rows = await this.sql.query<{
      kind: SideKind;
      key: string;
      attributes: SideAttributes | string;
    }>(
      `SELECT kind, key, attributes FROM "OpenStackAttribute" WHERE "tenantId" = $1 AND kind = ANY($2::text[])`,
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

  /**
   * The tenant's side-table version: grows with every write, so cached list answers know
   * when a change (made through any controller) has made them stale.
   */
  async version(tenantId: string): Promise<number> {
    const rows = await this.sql.query<{ version: number | string }>(
      `SELECT (attributes->>'revision')::int AS version FROM "OpenStackAttribute"
       WHERE "tenantId" = $1 AND kind = '${VERSION_KIND}' AND key = ''`,
      [tenantId],
    );
    return Number(rows[0]?.version ?? 0);
  }

  /** Writes (upserts or deletes) rows in one transaction and bumps each tenant's version. */
  async write(writes: readonly SideWrite[]): Promise<void> {
    if (writes.length === 0) return;
    await this.sql.transaction(async (tx) => {
      for (const tenantId of new Set(writes.map((write) => write.tenantId))) {
        await tx.query(
          `INSERT INTO "OpenStackAttribute" ("tenantId", kind, key, attributes)
           VALUES ($1, '${VERSION_KIND}', '', '{"revision": 1}'::jsonb)
           ON CONFLICT ("tenantId", kind, key) DO UPDATE SET attributes =
             jsonb_build_object('revision', ("OpenStackAttribute".attributes->>'revision')::int + 1)`,
          [tenantId],
        );
      }
      for (const write of writes) {
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
