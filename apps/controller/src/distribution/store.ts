import { driftReportSchema } from "@netloom/protocol";
import { z } from "zod";
import type { SqlRunner } from "../migrate";
import type { DistributionStore, DriftState, NodeReport, NodeStateRow } from "./hub";

/** The hub's persistence over raw SQL: hot paths batch many nodes into one statement. */
export function createDistributionStore(sql: SqlRunner): DistributionStore {
  return {
    async fabricGeneration() {
      const rows = await sql.query<{ generation: number }>(
        'SELECT generation FROM "FabricState" WHERE id = 1',
      );
      return Number(rows[0]?.generation ?? 0);
    },
    async tenantGenerations() {
      const rows = await sql.query<{ id: string; generation: number }>(
        'SELECT id, generation FROM "Tenant"',
      );
      return new Map(rows.map((row) => [row.id, Number(row.generation)]));
    },
    async raiseFabricGeneration(generation) {
      const rows = await sql.query<{ generation: number }>(
        `INSERT INTO "FabricState" (id, generation) VALUES (1, $1)
         ON CONFLICT (id) DO UPDATE SET generation = GREATEST("FabricState".generation, EXCLUDED.generation)
         RETURNING generation`,
        [generation],
      );
      return Number(rows[0]?.generation ?? generation);
    },
    async saveNodeStates(states: NodeStateRow[]) {
      if (states.length === 0) return;
      const payload = JSON.stringify(
        states.map((state) => ({
          name: state.name,
          g: state.appliedGeneration,
          h: state.appliedHash,
          t: state.lastSeenAt.toISOString(),
          // Per-tenant counts sit under `byTenant` next to the per-rule sums, so readers of the
          // old shape (rule id to number) still read the sums and skip the object.
          c: state.hitCounts
            ? { ...state.hitCounts, [BY_TENANT]: state.tenantHitCounts ?? {} }
            : null,
          r: { [REPORT]: state.report },
        })),
      );
      // lastSeenAt is TIMESTAMP(3) holding UTC, as Prisma writes it. A row last written from a
      // newer observation (the agent moved to another controller since) is left alone.
      await sql.query(
        `UPDATE "FabricNode" AS n
            SET "appliedGeneration" = v.g, "appliedHash" = v.h,
                "lastSeenAt" = (v.t AT TIME ZONE 'UTC'),
                "hitCounts" = COALESCE(v.c, n."hitCounts", '{}'::jsonb) || v.r
           FROM jsonb_to_recordset($1::jsonb) AS v(name text, g int, h text, t timestamptz, c jsonb, r jsonb)
          WHERE n.name = v.name
            AND (n."lastSeenAt" IS NULL OR n."lastSeenAt" <= (v.t AT TIME ZONE 'UTC'))`,
        [payload],
      );
    },
  };
}

/** Key of the per-tenant counts inside `FabricNode.hitCounts`. */
const BY_TENANT = "byTenant";
/**
 * Key of the node's report (connected, last error, drift, agent errors) inside the same JSON
 * column: readers of the counts skip non-numbers, so it needs no schema change.
 */
const REPORT = "report";

/** A node as the status reads it from the database (written by whichever controller serves it). */
export interface StoredNodeRow {
  name: string;
  underlay: string;
  appliedGeneration: number;
  appliedHash: string | null;
  lastSeenAt: Date | null;
  hitCounts: Record<string, number>;
  /** Per tenant id, then rule id; empty for rows written before counts were kept per tenant. */
  tenantHitCounts: Record<string, Record<string, number>>;
  /** The serving controller's last report of the node. */
  report: NodeReport;
}

/** Every fabric node with its last persisted applied state, by name. */
export async function readNodeRows(sql: SqlRunner): Promise<StoredNodeRow[]> {
  const rows = await sql.query<{
    name: string;
    underlay: string;
    appliedGeneration: number;
    appliedHash: string | null;
    lastSeen: string | null;
    hitCounts: unknown;
  }>(
    `SELECT name, underlay, "appliedGeneration", "appliedHash", "hitCounts",
            to_char("lastSeenAt", 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "lastSeen"
       FROM "FabricNode" ORDER BY name`,
  );
  return rows.map((row) => ({
    name: row.name,
    underlay: row.underlay,
    appliedGeneration: Number(row.appliedGeneration),
    appliedHash: row.appliedHash,
    lastSeenAt: row.lastSeen ? new Date(row.lastSeen) : null,
    hitCounts: parseCounts(row.hitCounts),
    tenantHitCounts: parseTenantCounts(row.hitCounts),
    report: parseReport(row.hitCounts),
  }));
}

const NO_DRIFT: DriftState = { count: 0, lastRepaired: null, at: null };

/** The report as stored; a field that does not read back well takes its neutral value. */
const storedReportSchema = z.object({
  connected: z.boolean().catch(true),
  lastError: z.string().nullable().catch(null),
  drift: driftReportSchema.catch(NO_DRIFT),
  errors: z.record(z.string(), z.number()).catch({}),
});
const storedColumnSchema = z.object({ [REPORT]: storedReportSchema.optional() });

/** The report part of the JSON column; rows written before it existed read as connected. */
function parseReport(value: unknown): NodeReport {
  const parsed = storedColumnSchema.safeParse(
    typeof value === "string" ? JSON.parse(value) : value,
  );
  return (
    (parsed.success ? parsed.data[REPORT] : undefined) ?? {
      connected: true,
      lastError: null,
      drift: NO_DRIFT,
      errors: {},
    }
  );
}
function parseTenantCounts(value: unknown): Record<string, Record<string, number>> {
  const parsed: unknown = typeof value === "string" ? JSON.parse(value) : value;
  const byTenant: Record<string, Record<string, number>> = {};
  if (typeof parsed !== "object" || parsed === null) return byTenant;
  const tenants: unknown = (parsed as Record<string, unknown>)[BY_TENANT];
  if (typeof tenants !== "object" || tenants === null) return byTenant;
  for (const [tenantId, counts] of Object.entries(tenants))
    byTenant[tenantId] = parseCounts(counts);
  return byTenant;
}

function parseCounts(value: unknown): Record<string, number> {
  const parsed: unknown = typeof value === "string" ? JSON.parse(value) : value;
  const counts: Record<string, number> = {};
  if (typeof parsed !== "object" || parsed === null) return counts;
  for (const [key, count] of Object.entries(parsed)) {
    if (typeof count === "number") counts[key] = count;
  }
  return counts;
}
