import { NetloomError } from "@netloom/model";
import type { Prisma } from "../generated/prisma/client";
import type { SqlRunner } from "../migrate";
import type { AuditView } from "./types";

/** The SQL the store writes with: fabric generations, VNIs, multi-row inserts, history. */

type Tx = Prisma.TransactionClient;

/** The first VNI handed out; lower ones are left for the operator's own use. */
export const FIRST_VNI = 4096;

/** Takes the next fabric generation and records it in FabricState (rare fabric-wide changes). */
export async function bumpFabric(tx: Tx): Promise<number> {
  const rows = await tx.$queryRawUnsafe<{ generation: number }[]>(NEXT_FABRIC_GENERATION_SQL);
  const generation = rows[0]?.generation ?? 0;
  await tx.$executeRawUnsafe(RAISE_FABRIC_SQL, generation);
  return generation;
}

export async function allocateVni(tx: SqlRunner, networkId: string): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const rows = await tx.query<{ vni: number }>(
      // The next VNI above every allocation that is no external network's EVPN L3 VNI (issue 14).
      `WITH next AS (
         SELECT GREATEST(COALESCE(MAX(vni) + 1, $1), $1) AS first FROM "VniAllocation"
       )
       INSERT INTO "VniAllocation" (vni, "networkId")
       SELECT MIN(candidate), $2 FROM next, generate_series(next.first, next.first + 4096) AS candidate
        WHERE candidate NOT IN (SELECT ("spec"->'evpn'->>'vni')::int FROM "FabricExternalNetwork"
                                 WHERE "spec"->'evpn' IS NOT NULL)
       ON CONFLICT (vni) DO NOTHING
       RETURNING vni`,
      [FIRST_VNI, networkId],
    );
    const vni = rows[0]?.vni;
    if (vni !== undefined) {
      if (vni > 16_777_215) throw new NetloomError("EXHAUSTED", "no VNI left in the fabric");
      return vni;
    }
  }
  throw new NetloomError("EXHAUSTED", "could not allocate a VNI");
}

export const NEXT_FABRIC_GENERATION_SQL = `SELECT nextval('"fabric_generation_seq"')::int AS generation`;

/** Raises FabricState.generation to at least $1 (never lowers it). */
export const RAISE_FABRIC_SQL = `INSERT INTO "FabricState" (id, generation) VALUES (1, $1)
  ON CONFLICT (id) DO UPDATE SET generation = GREATEST("FabricState".generation, EXCLUDED.generation)`;

/** A multi-row INSERT in chunks under the parameter limit; answers the rows RETURNING gave. */
export async function insertChunks(
  tx: SqlRunner,
  head: string,
  rows: [unknown, string][][],
  suffix = "",
  tail = "",
): Promise<number> {
  let count = 0;
  const perChunk = Math.max(1, Math.floor(30_000 / Math.max(1, rows[0]?.length ?? 1)));
  for (let start = 0; start < rows.length; start += perChunk) {
    const statement = new Statement();
    const tuples = rows
      .slice(start, start + perChunk)
      .map((cells) => statement.tuple(cells, suffix));
    const returned = await tx.query(
      `${head} VALUES ${tuples.join(", ")} ${tail}`,
      statement.params,
    );
    count += returned.length;
  }
  return count;
}

/** Parameters of one SQL statement, each cast to its type where it is used. */
export class Statement {
  readonly params: unknown[] = [];

  value(value: unknown, type: string): string {
    this.params.push(value);
    return `$${this.params.length}::${type}`;
  }

  values(...cells: [unknown, string][]): string {
    return cells.map(([value, type]) => this.value(value, type)).join(", ");
  }

  /** One row of a VALUES list; `suffix` appends literal cells (`, now()`). */
  tuple(cells: [unknown, string][], suffix = ""): string {
    return `(${this.values(...cells)}${suffix})`;
  }
}

export const HISTORY_SQL = `SELECT id, actor, action, kind, name, before, after, generation, at
  FROM "AuditEvent" WHERE "tenantId" = $1`;

/** An AuditEvent row as the driver returns it: the id and time not yet made text. */
export type AuditRow = Omit<AuditView, "id" | "at"> & {
  id: bigint | string | number;
  at: Date | string;
};

export function auditView(row: AuditRow): AuditView {
  return {
    id: row.id.toString(),
    actor: row.actor,
    action: row.action,
    kind: row.kind,
    name: row.name,
    before: row.before ?? null,
    after: row.after ?? null,
    generation: row.generation,
    at: (row.at instanceof Date ? row.at : new Date(row.at)).toISOString(),
  };
}

/** One page of a tenant's audit events, newest first; `next` continues after the last. */
export async function readHistory(
  sql: SqlRunner,
  tenantId: string,
  page: { before?: string | undefined; limit: number },
): Promise<{ events: AuditView[]; next: string | null }> {
  // Raw SQL: this is the hot read of the API (Prisma's per-query cost dominated it).
  const rows = await sql.query<AuditRow>(
    page.before
      ? `${HISTORY_SQL} AND id < $3::bigint ORDER BY id DESC LIMIT $2`
      : `${HISTORY_SQL} ORDER BY id DESC LIMIT $2`,
    page.before ? [tenantId, page.limit + 1, page.before] : [tenantId, page.limit + 1],
  );
  const events = rows.slice(0, page.limit).map(auditView);
  const last = events[events.length - 1];
  return { events, next: rows.length > page.limit && last ? last.id : null };
}
