import { randomUUID } from "node:crypto";
import type { IntentFile, Service, Workload } from "@netloom/model";
import type { SqlRunner } from "../migrate";
import type { ResourceDiff } from "./document";
import { objectsOf } from "./document";
import { FABRIC_TENANT } from "./external";
import { notFound, StaleState } from "./failures";
import { type IdempotentRequest, recordKeyedAnswer } from "./idempotency";
import { allocateVni, insertChunks, Statement } from "./sql";
import { resourceKey, type StoredResource, type TenantState } from "./types";

/**
 * The commit stage of a change: one planned change (diff, allocations) written in one open
 * transaction. The tenant row is locked and its generation re-checked (another controller may
 * have committed since the plan was made: StaleState, and the change is planned again); then
 * objects, addresses, audit, snapshot and the generations are written, most of them in one
 * statement.
 */
export interface PlannedChange {
  /** The cached state the change was planned against. */
  state: TenantState;
  before: IntentFile;
  /** The candidate intent with every allocation made. */
  intent: IntentFile;
  natAddresses: Record<string, string>;
  diff: ResourceDiff;
  actor: string;
  idempotency?: IdempotentRequest | undefined;
}

/** What a commit leaves: the tenant's next cached state and the fabric generation it took. */
export interface Committed {
  next: TenantState;
  fabricGeneration: number;
}

/** A new object's row, with the id it gets. */
type CreatedRow = ResourceDiff["creates"][number] & { id: string };

export async function commitChange(tx: SqlRunner, change: PlannedChange): Promise<Committed> {
  const { state } = change;
  await lockGeneration(tx, state);
  const generation = state.generation + 1;
  const { resources, vnis, created } = await writeObjectRows(tx, change);
  const addresses = addressRows(change, resources);
  if (addresses.rewritten.length > 0) {
    await tx.query(`DELETE FROM "IpAllocation" WHERE "ownerId" = ANY($1::text[])`, [
      addresses.rewritten,
    ]);
  }
  const written = await writeTheRest(tx, change, generation, created, addresses.wanted);
  // Another owner holds one of these addresses: the copy was stale. Reload and retry, which
  // hands out the next free address instead.
  if (written.inserted !== addresses.wanted.length) throw new StaleState();
  for (const row of created) {
    if (row.kind === "networks") vnis[row.name] = await allocateVni(tx, row.id);
  }
  if (change.idempotency) {
    const answer = {
      tenantId: state.id,
      generation,
      fabricGeneration: written.fabricGeneration,
      changes: change.diff.changes,
    };
    // Taken meanwhile: the same request committed elsewhere; the retry answers from it.
    if (!(await recordKeyedAnswer(tx, change.idempotency, answer))) throw new StaleState();
  }
  const next: TenantState = {
    ...state,
    generation,
    resources,
    vnis,
    natAddresses: change.natAddresses,
  };
  return { next, fabricGeneration: written.fabricGeneration };
}

/** Locks the tenant row; StaleState when the database is past the plan's generation. */
async function lockGeneration(tx: SqlRunner, state: TenantState): Promise<void> {
  if ((await lockTenantRow(tx, state)) !== state.generation) throw new StaleState();
}

/** Locks the tenant row until the transaction ends; answers its committed generation. */
export async function lockTenantRow(
  tx: SqlRunner,
  tenant: Pick<TenantState, "id" | "name">,
): Promise<number> {
  const locked = await tx.query<{ generation: number }>(
    `SELECT generation FROM "Tenant" WHERE id = $1 FOR UPDATE`,
    [tenant.id],
  );
  const row = locked[0];
  if (!row) throw notFound("tenant", tenant.name, "tenant");
  return row.generation;
}

/**
 * Deletes and updates object rows (an update checks the row's revision), and answers the
 * tenant's objects after the change; new objects are only given ids here (inserted with the
 * rest).
 */
async function writeObjectRows(tx: SqlRunner, change: PlannedChange) {
  const { state, diff } = change;
  const resources = new Map(state.resources);
  const vnis = { ...state.vnis };
  if (diff.deletes.length > 0) {
    await tx.query(`DELETE FROM "Resource" WHERE id = ANY($1::text[])`, [
      diff.deletes.map((gone) => gone.id),
    ]);
    for (const gone of diff.deletes) {
      resources.delete(resourceKey(gone.kind, gone.name));
      if (gone.kind === "networks") delete vnis[gone.name];
    }
  }
  for (const update of diff.updates) {
    const { resource } = update;
    const updated = await tx.query(
      `UPDATE "Resource" SET spec = $1::jsonb, ordinal = $2, revision = revision + 1,
         "updatedAt" = now() WHERE id = $3 AND revision = $4 RETURNING id`,
      [JSON.stringify(update.spec), update.ordinal, resource.id, resource.revision],
    );
    if (updated.length === 0) throw new StaleState();
    resources.set(resourceKey(resource.kind, resource.name), {
      ...resource,
      spec: update.spec as StoredResource["spec"],
      ordinal: update.ordinal,
      revision: resource.revision + 1,
    });
  }
  const created: CreatedRow[] = diff.creates.map((create) => ({ id: randomUUID(), ...create }));
  for (const row of created) {
    resources.set(resourceKey(row.kind, row.name), {
      id: row.id,
      kind: row.kind,
      name: row.name,
      ordinal: row.ordinal,
      spec: row.spec as StoredResource["spec"],
      revision: 1,
    });
  }
  return { resources, vnis, created };
}

/** One IpAllocation row: holder (tenant id, or the fabric's), network, ip, owner, purpose. */
type AddressRowCells = [string, string, string, string, string];

/**
 * The address rows to rewrite: owners whose addresses changed lose their old rows
 * (`rewritten`) and get their new ones (`wanted`). Addresses on a fabric external network are
 * held under the fabric's id, so that they are unique across tenants (spec 1.1).
 */
function addressRows(
  change: PlannedChange,
  resources: ReadonlyMap<string, StoredResource>,
): { rewritten: string[]; wanted: AddressRowCells[] } {
  const { state, diff } = change;
  const poolNetworks = poolNetworksOf(change.intent);
  const oldPoolNetworks = poolNetworksOf(change.before);
  const ownNetworks = new Set<string>(objectsOf(change.intent, "networks").map((n) => n.name));
  const deletedIds = new Set(diff.deletes.map((gone) => gone.id));
  const rewritten: string[] = [];
  const wanted: AddressRowCells[] = [];
  for (const resource of resources.values()) {
    const rows = addressesOf(resource, poolNetworks, change.natAddresses);
    const previous = state.resources.get(resourceKey(resource.kind, resource.name));
    const had =
      previous && previous.id === resource.id
        ? addressesOf(previous, oldPoolNetworks, state.natAddresses)
        : [];
    if (JSON.stringify(rows) === JSON.stringify(had)) continue;
    if (had.length > 0) rewritten.push(resource.id);
    if (deletedIds.has(resource.id)) continue;
    for (const row of rows) {
      const holder = ownNetworks.has(row.network) ? state.id : FABRIC_TENANT;
      wanted.push([holder, row.network, row.ip, resource.id, row.purpose]);
    }
  }
  return { rewritten, wanted };
}

function poolNetworksOf(intent: IntentFile): Map<string, string> {
  return new Map(objectsOf(intent, "floatingIpPools").map((pool) => [pool.name, pool.network]));
}

/** Pending allocation rows of one owner. */
interface AddressRow {
  network: string;
  ip: string;
  purpose: string;
}

/** The addresses an object holds, as IpAllocation rows. */
function addressesOf(
  resource: StoredResource,
  poolNetworks: ReadonlyMap<string, string>,
  natAddresses: Record<string, string>,
): AddressRow[] {
  const rows: AddressRow[] = [];
  if (resource.kind === "workloads") {
    const spec = resource.spec as Workload;
    spec.interfaces.forEach((iface, index) => {
      if (iface.ip) rows.push({ network: iface.network, ip: iface.ip, purpose: `if:${index}` });
      const network = iface.floatingIp ? poolNetworks.get(iface.floatingIp.pool) : undefined;
      if (network && iface.floatingIp?.ip) {
        rows.push({ network, ip: iface.floatingIp.ip, purpose: `fip:${index}` });
      }
    });
  } else if (resource.kind === "services") {
    const spec = resource.spec as Service;
    if (spec.type === "load-balancer")
      rows.push({ network: spec.network, ip: spec.vip, purpose: "vip" });
    const nat = natAddresses[spec.name];
    if (spec.type === "nat" && nat) rows.push({ network: spec.outside, ip: nat, purpose: "nat" });
  }
  return rows;
}

/** Typed cells of one row: [value, SQL type]. */
type Cells = [unknown, string][];

/** The rows a commit inserts, as typed cells. */
interface RowCells {
  resources: Cells[];
  addresses: Cells[];
  audit: Cells[];
}

/**
 * New objects, addresses, audit, the tenant's generation and its snapshot, in one statement
 * (data-modifying CTEs): under load every round trip costs a scheduler wake-up of both
 * processes, and most changes are small. PostgreSQL takes at most 65535 parameters a
 * statement, so a large apply inserts its rows in chunks first and keeps only the small writes
 * in the combined statement. Answers the fabric generation taken and the address rows inserted.
 */
async function writeTheRest(
  tx: SqlRunner,
  change: PlannedChange,
  generation: number,
  created: readonly CreatedRow[],
  wanted: readonly AddressRowCells[],
): Promise<{ fabricGeneration: number; inserted: number }> {
  const rows = rowCellsOf(change, generation, created, wanted);
  const large = created.length * 6 + wanted.length * 5 + change.diff.changes.length * 8 > 30_000;
  const insertedEarly = large ? await insertLarge(tx, rows) : 0;
  const combined = combinedStatement(
    change,
    generation,
    large ? { resources: [], addresses: [], audit: [] } : rows,
  );
  const written = await tx.query<{ generation: number; inserted: number }>(
    combined.text,
    combined.params,
  );
  return {
    fabricGeneration: written[0]?.generation ?? 0,
    inserted: (written[0]?.inserted ?? 0) + insertedEarly,
  };
}

function rowCellsOf(
  change: PlannedChange,
  generation: number,
  created: readonly CreatedRow[],
  wanted: readonly AddressRowCells[],
): RowCells {
  const { state, diff } = change;
  return {
    resources: created.map(
      (r): Cells => [
        [r.id, "text"],
        [state.id, "text"],
        [r.kind, "text"],
        [r.name, "text"],
        [r.ordinal, "int"],
        [JSON.stringify(r.spec), "jsonb"],
      ],
    ),
    addresses: wanted.map((row) => row.map((cell): [unknown, string] => [cell, "text"])),
    audit: diff.changes.map(
      (item): Cells => [
        [state.id, "text"],
        [change.actor, "text"],
        [item.action, "text"],
        [item.kind, "text"],
        [item.name, "text"],
        [item.before === null ? null : JSON.stringify(item.before), "jsonb"],
        [item.after === null ? null : JSON.stringify(item.after), "jsonb"],
        [generation, "int"],
      ],
    ),
  };
}

/** The combined statement: `rows` inserted, tenant generation, snapshot, next fabric generation. */
function combinedStatement(
  change: PlannedChange,
  generation: number,
  rows: RowCells,
): { text: string; params: unknown[] } {
  const { state } = change;
  const statement = new Statement();
  const tuples = (cells: Cells[], suffix = "") => cells.map((row) => statement.tuple(row, suffix));
  const resourceValues = tuples(rows.resources, ", now()");
  const ipValues = tuples(rows.addresses);
  const auditValues = tuples(rows.audit);
  const ctes: string[] = [];
  if (resourceValues.length > 0) {
    ctes.push(`created AS (INSERT INTO "Resource" (id, "tenantId", kind, name, ordinal, spec, "updatedAt")
      VALUES ${resourceValues.join(", ")})`);
  }
  if (ipValues.length > 0) {
    ctes.push(`addresses AS (INSERT INTO "IpAllocation" ("tenantId", network, ip, "ownerId", purpose)
      VALUES ${ipValues.join(", ")} ON CONFLICT DO NOTHING RETURNING 1)`);
  }
  ctes.push(
    `tenant AS (UPDATE "Tenant" SET generation = ${statement.value(generation, "int")} WHERE id = ${statement.value(state.id, "text")})`,
  );
  if (auditValues.length > 0) {
    ctes.push(`audit AS (INSERT INTO "AuditEvent" ("tenantId", actor, action, kind, name, before, after, generation)
      VALUES ${auditValues.join(", ")})`);
  }
  ctes.push(`snapshot AS (INSERT INTO "IntentSnapshot" ("tenantId", generation, document)
    VALUES (${statement.values([state.id, "text"], [generation, "int"], [JSON.stringify(change.intent), "jsonb"])}))`);
  const text = `WITH ${ctes.join(",\n")}
     SELECT nextval('"fabric_generation_seq"')::int AS generation,
       ${ipValues.length > 0 ? "(SELECT count(*) FROM addresses)::int" : "0"} AS inserted`;
  return { text, params: statement.params };
}

/** The rows of a large apply, in chunks under the parameter limit; answers addresses inserted. */
async function insertLarge(tx: SqlRunner, rows: RowCells): Promise<number> {
  await insertChunks(
    tx,
    `INSERT INTO "Resource" (id, "tenantId", kind, name, ordinal, spec, "updatedAt")`,
    rows.resources,
    ", now()",
  );
  const inserted = await insertChunks(
    tx,
    `INSERT INTO "IpAllocation" ("tenantId", network, ip, "ownerId", purpose)`,
    rows.addresses,
    "",
    "ON CONFLICT DO NOTHING RETURNING 1",
  );
  await insertChunks(
    tx,
    `INSERT INTO "AuditEvent" ("tenantId", actor, action, kind, name, before, after, generation)`,
    rows.audit,
  );
  return inserted;
}
