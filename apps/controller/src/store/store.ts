import { randomUUID } from "node:crypto";
import type { CompileInput, TenantInput } from "@netloom/compiler";
import {
  canonicalIntent,
  type FabricNodeSpec,
  type IntentFile,
  NetloomError,
  type Problem,
  RESOURCE_KINDS,
  type ResourceKind,
} from "@netloom/model";
import { type Db, logStoreError, unavailableOr } from "../db";
import type { ControllerEvents } from "../events";
import type { Prisma } from "../generated/prisma/client";
import type { SqlRunner } from "../migrate";
import { type AssertionChecker, noAssertionChecker } from "./assertions";
import { diffResources, documentOf, objectsOf, parseStoredSpec } from "./document";
import {
  findKeyedAnswer,
  type IdempotentRequest,
  type KeyedAnswer,
  purgeExpiredKeys,
  recordKeyedAnswer,
} from "./idempotency";
import { validateTenantIntent } from "./model";
import { KeyedMutex, Semaphore } from "./mutex";
import {
  allocateAddresses,
  carryOverAllocations,
  checkQuotas,
  effectiveQuotas,
  scheduleWorkloads,
  usageOf,
} from "./prepare";
import {
  type ChangeResult,
  QUOTA_NAMES,
  type Quotas,
  resourceKey,
  type StoredResource,
  type TenantState,
} from "./types";

type Tx = Prisma.TransactionClient;

/** A forwarding node as the store keeps it. */
export interface FabricNodeView {
  id: string;
  name: string;
  underlay: string;
  revision: number;
  appliedGeneration: number;
  appliedHash: string | null;
  lastSeenAt: string | null;
}

/** One audit event, as history pages show it. */
export interface AuditView {
  id: string;
  actor: string;
  action: string;
  kind: string;
  name: string;
  before: unknown;
  after: unknown;
  generation: number;
  at: string;
}

/** A change's result plus what dry runs and callers need to explain it. */
export type ChangeOutcome = ChangeResult & {
  before: IntentFile;
  natAddresses: Record<string, string>;
  /** Assertions the candidate breaks (a committed change always has none). */
  brokenAssertions: Problem[];
};

/** Thrown inside a transaction when the cache turned out older than the database. */
class StaleState extends Error {}

/** The first VNI handed out; lower ones are left for the operator's own use. */
const FIRST_VNI = 4096;
/**
 * How often a change is retried after finding the cache stale or an address taken. Each retry
 * re-reads the tenant, so with W writers on different controllers at least one wins per round:
 * this bounds the rounds, and running out means a true, sustained conflict (CONFLICT).
 */
const MAX_ATTEMPTS = 8;

/** Pending allocation rows of one owner. */
interface AddressRow {
  network: string;
  ip: string;
  purpose: string;
}

/**
 * The store of every tenant's intent and the fabric. Reads are served from an in-memory copy
 * (the controller is the only writer); every change runs in one transaction that locks the
 * tenant row, re-checks the generation the copy was made at, and writes objects, allocations,
 * audit, snapshot and generations together. After commit the copy is updated and `changed`
 * is emitted.
 */
export class Store {
  /**
   * The tenant caches. Replaced whole by `reload` (never emptied in place), so that a read
   * during a reload sees the old or the new map, never a tenant missing from both.
   */
  private tenants = new Map<string, TenantState>();
  private tenantIds = new Map<string, string>();
  /** Counts local cache writes; a reload keeps what was written here after it began. */
  private cacheSequence = 0;
  /** The cacheSequence of the last local write (change, create, delete) of each tenant id. */
  private readonly writtenAt = new Map<string, number>();
  private nodes: FabricNodeView[] = [];
  private fabricGenerationValue = 0;
  private compileInputCache: CompileInput | null = null;
  private readonly locks = new KeyedMutex();
  /**
   * Transactions in flight (pool: 20). Prisma's driver-adapter transactions deadlocked when
   * every pool connection was held by a transaction that had begun (seen under 100 concurrent
   * writers): stay under the pool size and leave connections for reads.
   */
  private readonly transactions: Semaphore;
  /** Checks stored assertions against a candidate; set once the compiler is wired. */
  assertionChecker: AssertionChecker = noAssertionChecker;

  private constructor(
    readonly db: Db,
    readonly events: ControllerEvents,
  ) {
    this.transactions = new Semaphore(db.backend === "postgres" ? 16 : 1);
  }

  private raising: Promise<void> | null = null;
  private raiseTo = 0;

  /**
   * Records a committed generation in FabricState outside the change's transaction, coalesced:
   * one write in flight at a time, always to the highest generation seen. Keeps the hot row out
   * of every transaction (its lock would serialize all commits behind one fsync each).
   */
  private raiseFabricState(generation: number): void {
    this.raiseTo = Math.max(this.raiseTo, generation);
    if (this.raising) return;
    this.raising = (async () => {
      let written = 0;
      while (written < this.raiseTo) {
        const target = this.raiseTo;
        await this.db.sql.query(RAISE_FABRIC_SQL, [target]).catch((error: unknown) => {
          // The sequence stays ahead; the next open (reloadFabric) raises the row from it.
          logStoreError(error, `raising FabricState to ${target}`);
        });
        written = target;
      }
    })().finally(() => {
      this.raising = null;
    });
  }

  /** Resolves once FabricState holds every generation committed so far. */
  async flushFabricState(): Promise<void> {
    while (this.raising) await this.raising;
  }

  /** A raw SQL transaction (the write path of intent changes) within the same limit. */
  private sqlTransaction<T>(run: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.transactions.run(() => this.db.sql.transaction(run));
  }

  /** Runs an interactive transaction within the concurrency limit. */
  private transaction<T>(run: (tx: Tx) => Promise<T>): Promise<T> {
    return this.transactions.run(() =>
      this.db.prisma
        .$transaction(run, { maxWait: 30_000, timeout: 60_000 })
        .catch((error: unknown) => {
          throw unavailableOr(error);
        }),
    );
  }

  /** Opens the store and loads every tenant and node into memory. */
  static async open(db: Db, events: ControllerEvents): Promise<Store> {
    const store = new Store(db, events);
    await store.reload();
    return store;
  }

  /**
   * Re-reads everything from the database (changes committed through other controllers) into
   * new maps and swaps them in. A tenant written here while the reload ran keeps its newer
   * state; a tenant gone from the database (deleted elsewhere) leaves the cache.
   */
  async reload(): Promise<void> {
    const startedAt = this.cacheSequence;
    const prisma = this.db.prisma;
    const rows = await prisma.tenant.findMany({ orderBy: { name: "asc" }, select: { id: true } });
    const loaded = new Map<string, TenantState>();
    for (const row of rows) {
      const state = await loadTenant(prisma, row.id);
      if (state) loaded.set(state.id, state);
    }
    const next = new Map<string, TenantState>();
    for (const [id, state] of loaded) {
      const cached = this.tenants.get(id);
      if (this.writtenSince(id, startedAt) && !cached) continue; // deleted here meanwhile
      next.set(id, newerOf(cached, state));
    }
    for (const [id, cached] of this.tenants) {
      if (!loaded.has(id) && this.writtenSince(id, startedAt)) next.set(id, cached);
    }
    this.tenants = next;
    this.tenantIds = new Map([...next.values()].map((state) => [state.name, state.id]));
    this.compileInputCache = null;
    await this.reloadFabric();
  }

  /**
   * Follows one change committed through another controller: re-reads that tenant (or, for a
   * fabric-wide change, everything). Called by distribution's cross-controller watch.
   */
  async refresh(change: { tenantId: string | null } | "full"): Promise<void> {
    if (change === "full" || change.tenantId === null) return this.reload();
    await this.refreshTenant(change.tenantId);
    const fabric = await this.db.sql.query<{ generation: number }>(
      `SELECT generation FROM "FabricState" WHERE id = 1`,
    );
    this.fabricGenerationValue = Math.max(
      this.fabricGenerationValue,
      Number(fabric[0]?.generation ?? 0),
    );
  }

  /** Re-reads one tenant by id; answers its state, undefined once it is gone. */
  private async refreshTenant(id: string): Promise<TenantState | undefined> {
    const startedAt = this.cacheSequence;
    const state = await loadTenant(this.db.prisma, id);
    const cached = this.tenants.get(id);
    if (this.writtenSince(id, startedAt)) return cached;
    if (!state) {
      if (cached) this.forgetTenant(cached);
      return undefined;
    }
    const newer = newerOf(cached, state);
    if (newer !== cached) this.cacheTenant(newer);
    return newer;
  }

  /** A tenant this controller has not cached yet (created through another controller). */
  private async loadTenantNamed(name: string): Promise<TenantState | undefined> {
    const row = await this.db.prisma.tenant.findUnique({ where: { name }, select: { id: true } });
    return row ? this.refreshTenant(row.id) : undefined;
  }

  /** Whether the database holds a newer generation of the tenant than the cache. */
  private async isStale(state: TenantState): Promise<boolean> {
    const rows = await this.db.sql.query<{ generation: number }>(
      `SELECT generation FROM "Tenant" WHERE id = $1`,
      [state.id],
    );
    const row = rows[0];
    return !row || row.generation !== state.generation;
  }

  private writtenSince(id: string, sequence: number): boolean {
    return (this.writtenAt.get(id) ?? -1) > sequence;
  }

  private async reloadFabric(): Promise<void> {
    // A crash between a commit and its FabricState write leaves the row behind the sequence;
    // a generation raised by another writer of FabricState must not be handed out again.
    await this.db.sql.query(
      `UPDATE "FabricState" SET generation = GREATEST(generation,
         (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM "fabric_generation_seq"))
       WHERE id = 1`,
    );
    await this.db.sql.query(
      `SELECT setval('"fabric_generation_seq"', generation) FROM "FabricState"
       WHERE id = 1 AND generation > (SELECT CASE WHEN is_called THEN last_value ELSE 0 END
         FROM "fabric_generation_seq")`,
    );
    const rows = await this.db.prisma.fabricNode.findMany({ orderBy: { name: "asc" } });
    this.nodes = rows.map(nodeView);
    const fabric = await this.db.prisma.fabricState.findUnique({ where: { id: 1 } });
    this.fabricGenerationValue = fabric?.generation ?? 0;
    this.compileInputCache = null;
  }

  private cacheTenant(state: TenantState): void {
    this.writtenAt.set(state.id, ++this.cacheSequence);
    this.tenants.set(state.id, state);
    this.tenantIds.set(state.name, state.id);
    this.compileInputCache = null;
  }

  private forgetTenant(state: Pick<TenantState, "id" | "name">): void {
    this.writtenAt.set(state.id, ++this.cacheSequence);
    this.tenants.delete(state.id);
    if (this.tenantIds.get(state.name) === state.id) this.tenantIds.delete(state.name);
    this.compileInputCache = null;
  }

  /** The fabric-wide generation: grows with every committed change. */
  get fabricGeneration(): number {
    return this.fabricGenerationValue;
  }

  // ---------------------------------------------------------------- reads

  /** Every tenant, by name. */
  listTenants(): TenantState[] {
    return [...this.tenants.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** A tenant by name, or undefined. */
  tenant(name: string): TenantState | undefined {
    const id = this.tenantIds.get(name);
    return id === undefined ? undefined : this.tenants.get(id);
  }

  tenantById(id: string): TenantState | undefined {
    return this.tenants.get(id);
  }

  /** The tenant's intent document, every allocation filled in. */
  document(state: TenantState): IntentFile {
    return documentOf(state);
  }

  /** The stored objects of one kind, in file order. */
  resources<K extends ResourceKind>(state: TenantState, kind: K): StoredResource<K>[] {
    const list: StoredResource<K>[] = [];
    for (const resource of state.resources.values()) {
      if (resource.kind === kind) list.push(resource as StoredResource<K>);
    }
    return list.sort((a, b) => a.ordinal - b.ordinal);
  }

  usage(state: TenantState): { used: Quotas; quotas: Quotas } {
    return { used: usageOf(documentOf(state)), quotas: effectiveQuotas(state) };
  }

  fabricNodes(): FabricNodeView[] {
    return this.nodes;
  }

  /** The compiler's input: every tenant and node, allocations made. Cached between changes. */
  compileInput(): CompileInput {
    if (!this.compileInputCache) {
      this.compileInputCache = {
        fabric: { nodes: this.nodes.map(nodeSpec) },
        tenants: this.listTenants().map(tenantInput),
      };
    }
    return this.compileInputCache;
  }

  async history(
    state: TenantState,
    page: { before?: string | undefined; limit: number },
  ): Promise<{ events: AuditView[]; next: string | null }> {
    // Raw SQL: this is the hot read of the API (Prisma's per-query cost dominated it).
    const rows = await this.db.sql.query<AuditRow>(
      page.before
        ? `${HISTORY_SQL} AND id < $3::bigint ORDER BY id DESC LIMIT $2`
        : `${HISTORY_SQL} ORDER BY id DESC LIMIT $2`,
      page.before ? [state.id, page.limit + 1, page.before] : [state.id, page.limit + 1],
    );
    const events = rows.slice(0, page.limit).map(auditView);
    const last = events[events.length - 1];
    return { events, next: rows.length > page.limit && last ? last.id : null };
  }

  // ---------------------------------------------------------------- tenant lifecycle

  /** Creates an empty tenant. CONFLICT when the name is taken. */
  async createTenant(
    name: string,
    actor: string,
    idempotency?: IdempotentRequest,
  ): Promise<TenantState> {
    return this.locks.run(`tenant:${name}`, async () => {
      const replay = idempotency && (await findKeyedAnswer(this.db.sql, idempotency));
      if (replay) {
        const state =
          this.tenantById(replay.tenantId) ?? (await this.refreshTenant(replay.tenantId));
        if (!state) throw notFound("tenant", name, "tenant");
        return state;
      }
      return this.createTenantLocked(name, actor, idempotency);
    });
  }

  private async createTenantLocked(
    name: string,
    actor: string,
    idempotency?: IdempotentRequest,
  ): Promise<TenantState> {
    const exists = () =>
      new NetloomError("CONFLICT", `tenant ${name} exists`, [
        { path: "tenant", message: `tenant ${name} exists` },
      ]);
    if (this.tenant(name)) throw exists();
    const row = await this.transaction(async (tx) => {
      const created = await tx.tenant.create({ data: { name } });
      await tx.auditEvent.create({
        data: {
          tenantId: created.id,
          actor,
          action: "create",
          kind: "tenant",
          name,
          generation: 0,
        },
      });
      await tx.intentSnapshot.create({
        data: {
          tenantId: created.id,
          generation: 0,
          document: { apiVersion: "netloom/v1", tenant: name },
        },
      });
      if (idempotency) {
        const answer: KeyedAnswer = {
          tenantId: created.id,
          generation: 0,
          fabricGeneration: this.fabricGenerationValue,
          changes: [],
        };
        await tx.$executeRawUnsafe(RECORD_KEY_SQL, ...keyRow(idempotency, answer));
      }
      return created;
    }).catch(async (error: unknown) => {
      // Created meanwhile through another controller: the database's unique name decides.
      if (!isUniqueViolation(error)) throw error;
      await this.loadTenantNamed(name);
      throw exists();
    });
    const state = emptyTenant(name, row.id);
    this.cacheTenant(state);
    return state;
  }

  /** Deletes a tenant and everything it owns; its configs leave every node. */
  async deleteTenant(state: TenantState): Promise<void> {
    await this.locks.run(`tenant:${state.name}`, async () => {
      const fabricGeneration = await this.transaction(async (tx) => {
        const deleted = await tx.tenant.deleteMany({ where: { id: state.id } });
        // Deleted meanwhile through another controller.
        if (deleted.count === 0) throw notFound("tenant", state.name, "tenant");
        return bumpFabric(tx);
      }).catch((error: unknown) => {
        if (error instanceof NetloomError && error.code === "NOT_FOUND") this.forgetTenant(state);
        throw error;
      });
      this.forgetTenant(state);
      this.fabricGenerationValue = Math.max(this.fabricGenerationValue, fabricGeneration);
      this.events.emit("changed", {
        tenantId: state.id,
        tenant: state.name,
        generation: state.generation + 1,
        fabricGeneration,
      });
    });
  }

  /** Overrides some of a tenant's quotas (others keep their defaults). */
  async setQuotas(state: TenantState, quotas: Partial<Quotas>, actor: string): Promise<Quotas> {
    return this.locks.run(`tenant:${state.name}`, async () => {
      const current = this.tenants.get(state.id) ?? state;
      const merged: Partial<Quotas> = { ...current.quotas };
      for (const key of QUOTA_NAMES) {
        const value = quotas[key];
        if (value !== undefined) merged[key] = value;
      }
      const [updated] = await this.db.prisma
        .$transaction([
          this.db.prisma.tenant.updateMany({ where: { id: state.id }, data: { quotas: merged } }),
          this.db.prisma.auditEvent.create({
            data: {
              tenantId: state.id,
              actor,
              action: "update",
              kind: "quotas",
              name: state.name,
              before: current.quotas,
              after: merged,
              generation: current.generation,
            },
          }),
        ])
        .catch((error: unknown) => {
          // The audit row's foreign key fails first when the tenant was deleted elsewhere.
          if (isForeignKeyViolation(error)) throw notFound("tenant", state.name, "tenant");
          throw unavailableOr(error);
        });
      if (updated.count === 0) throw notFound("tenant", state.name, "tenant");
      const next = { ...current, quotas: merged };
      this.cacheTenant(next);
      return effectiveQuotas(next);
    });
  }

  // ---------------------------------------------------------------- intent changes

  /**
   * The one way intent changes. `mutate` turns the current document into the desired one
   * (throwing CONFLICT or NOT_FOUND for stale revisions and missing objects); the candidate is
   * then validated as a whole tenant, allocated, quota- and assertion-checked, and committed
   * (or, with `dryRun`, only planned).
   */
  async change(args: {
    tenant: string;
    actor: string;
    mutate: (state: TenantState, document: IntentFile) => IntentFile;
    createTenant?: boolean;
    dryRun?: boolean;
    /** A keyed request: a retry with the same key answers what the first one committed. */
    idempotency?: IdempotentRequest | undefined;
  }): Promise<ChangeOutcome> {
    const keyed = args.dryRun ? undefined : args.idempotency;
    return this.locks.run(`tenant:${args.tenant}`, async () => {
      const replay = keyed && (await findKeyedAnswer(this.db.sql, keyed));
      if (replay) return this.replayed(args.tenant, replay);
      let state = await this.tenantForChange(args);
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.changeOnce(state, { ...args, idempotency: keyed });
        } catch (error) {
          // A refusal (CONFLICT on a revision, NOT_FOUND, INVALID...) judged against a cache
          // that another controller has overtaken is re-judged against the database's state.
          const retry =
            error instanceof StaleState ||
            (error instanceof NetloomError &&
              state.id !== placeholderId(args.tenant) &&
              (await this.isStale(state)));
          if (!retry) throw error;
          if (attempt >= MAX_ATTEMPTS) {
            throw new NetloomError(
              "CONFLICT",
              `tenant ${args.tenant} kept changing concurrently; retry the request`,
              [{ path: "tenant", message: "changed concurrently by other writers" }],
            );
          }
          await pause(attempt);
          // The same keyed request may have committed through another controller meanwhile.
          const committed = keyed && (await findKeyedAnswer(this.db.sql, keyed));
          if (committed) return this.replayed(args.tenant, committed);
          const reloaded = await this.refreshTenant(state.id);
          if (!reloaded) throw notFound("tenant", args.tenant, "tenant");
          state = reloaded;
        }
      }
    });
  }

  /** The answer of a keyed change that already committed, rebuilt from its key's row. */
  private async replayed(tenant: string, answer: KeyedAnswer): Promise<ChangeOutcome> {
    const state = this.tenantById(answer.tenantId) ?? (await this.refreshTenant(answer.tenantId));
    const document = state ? documentOf(state) : documentOf(emptyTenant(tenant));
    return {
      tenant,
      tenantId: answer.tenantId,
      generation: answer.generation,
      fabricGeneration: answer.fabricGeneration,
      changes: answer.changes.map((change) => ({ ...change, before: null, after: null })),
      document,
      dryRun: false,
      before: document,
      natAddresses: { ...(state?.natAddresses ?? {}) },
      brokenAssertions: [],
    };
  }

  /** Once an hour, keys older than a day go (after a keyed commit, never in its way). */
  private lastKeyPurge = 0;
  private purgeKeysNowAndThen(): void {
    if (Date.now() - this.lastKeyPurge < 60 * 60 * 1000) return;
    this.lastKeyPurge = Date.now();
    purgeExpiredKeys(this.db.sql).catch((error: unknown) => {
      logStoreError(error, "purging expired idempotency keys");
    });
  }

  /** The tenant a change starts from: cached, else read (or, if allowed, created). */
  private async tenantForChange(args: {
    tenant: string;
    actor: string;
    createTenant?: boolean;
    dryRun?: boolean;
  }): Promise<TenantState> {
    const known = this.tenant(args.tenant) ?? (await this.loadTenantNamed(args.tenant));
    if (known) return known;
    if (!args.createTenant) throw notFound("tenant", args.tenant, "tenant");
    if (args.dryRun) return emptyTenant(args.tenant);
    try {
      return await this.createTenantLocked(args.tenant, args.actor);
    } catch (error) {
      // Another controller created it first: change that one.
      const created = this.tenant(args.tenant);
      if (created && error instanceof NetloomError && error.code === "CONFLICT") return created;
      throw error;
    }
  }

  private async changeOnce(
    state: TenantState,
    args: {
      actor: string;
      mutate: (state: TenantState, document: IntentFile) => IntentFile;
      dryRun?: boolean;
      idempotency?: IdempotentRequest | undefined;
    },
  ): Promise<ChangeOutcome> {
    const before = documentOf(state);
    const desired = args.mutate(state, structuredClone(before));
    const prepared = this.prepare(state, before, desired);
    const diff = diffResources(state, prepared.intent);
    const natChanged = JSON.stringify(prepared.natAddresses) !== JSON.stringify(state.natAddresses);
    const result = (generation: number, fabricGeneration: number, dryRun: boolean) => ({
      natAddresses: prepared.natAddresses,
      brokenAssertions: prepared.broken,
      tenant: state.name,
      tenantId: state.id,
      generation,
      fabricGeneration,
      changes: diff.changes,
      document: prepared.intent,
      dryRun,
      before,
    });
    if (args.dryRun) return result(state.generation, this.fabricGenerationValue, true);
    if (prepared.broken.length > 0) {
      throw new NetloomError(
        "ASSERTION_FAILED",
        prepared.broken.map((p) => `${p.path}: ${p.message}`).join("\n"),
        prepared.broken,
      );
    }
    if (diff.changes.length === 0 && !natChanged) {
      return result(state.generation, this.fabricGenerationValue, false);
    }

    const poolNetworks = new Map(
      objectsOf(prepared.intent, "floatingIpPools").map((pool) => [pool.name, pool.network]),
    );
    const oldPoolNetworks = new Map(
      objectsOf(before, "floatingIpPools").map((pool) => [pool.name, pool.network]),
    );
    const committed = await this.sqlTransaction(async (tx) => {
      const locked = await tx.query<{ generation: number }>(
        `SELECT generation FROM "Tenant" WHERE id = $1 FOR UPDATE`,
        [state.id],
      );
      const row = locked[0];
      if (!row) throw notFound("tenant", state.name, "tenant");
      if (row.generation !== state.generation) throw new StaleState();
      const generation = state.generation + 1;
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
      const created = diff.creates.map((create) => ({ id: randomUUID(), ...create }));
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

      // Addresses: rewrite the rows of every owner whose addresses changed.
      const deletedIds = new Set(diff.deletes.map((gone) => gone.id));
      const rewritten: string[] = [];
      const wantedRows: unknown[][] = [];
      for (const resource of resources.values()) {
        const wanted = addressesOf(resource, poolNetworks, prepared.natAddresses);
        const previous = state.resources.get(resourceKey(resource.kind, resource.name));
        const had =
          previous && previous.id === resource.id
            ? addressesOf(previous, oldPoolNetworks, state.natAddresses)
            : [];
        if (JSON.stringify(wanted) === JSON.stringify(had)) continue;
        if (had.length > 0) rewritten.push(resource.id);
        if (deletedIds.has(resource.id)) continue;
        for (const row of wanted) {
          wantedRows.push([state.id, row.network, row.ip, resource.id, row.purpose]);
        }
      }
      if (rewritten.length > 0) {
        await tx.query(`DELETE FROM "IpAllocation" WHERE "ownerId" = ANY($1::text[])`, [rewritten]);
      }

      // The rest in one statement (data-modifying CTEs): under load every round trip costs a
      // scheduler wake-up of both processes, and most changes are small.
      const statement = new Statement();
      // PostgreSQL takes at most 65535 parameters a statement: a large apply inserts its rows
      // in chunks first and keeps only the small writes in the combined statement.
      const large = created.length * 6 + wantedRows.length * 5 + diff.changes.length * 8 > 30_000;
      // The rows as typed cells, written either way.
      const resourceCells = created.map((r): [unknown, string][] => [
        [r.id, "text"],
        [state.id, "text"],
        [r.kind, "text"],
        [r.name, "text"],
        [r.ordinal, "int"],
        [JSON.stringify(r.spec), "jsonb"],
      ]);
      const ipCells = wantedRows.map((row) => row.map((cell): [unknown, string] => [cell, "text"]));
      const auditCells = diff.changes.map((change): [unknown, string][] => [
        [state.id, "text"],
        [args.actor, "text"],
        [change.action, "text"],
        [change.kind, "text"],
        [change.name, "text"],
        [change.before === null ? null : JSON.stringify(change.before), "jsonb"],
        [change.after === null ? null : JSON.stringify(change.after), "jsonb"],
        [generation, "int"],
      ]);
      let insertedEarly = 0;
      if (large) {
        await insertChunks(
          tx,
          `INSERT INTO "Resource" (id, "tenantId", kind, name, ordinal, spec, "updatedAt")`,
          resourceCells,
          ", now()",
        );
        insertedEarly = await insertChunks(
          tx,
          `INSERT INTO "IpAllocation" ("tenantId", network, ip, "ownerId", purpose)`,
          ipCells,
          "",
          "ON CONFLICT DO NOTHING RETURNING 1",
        );
        await insertChunks(
          tx,
          `INSERT INTO "AuditEvent" ("tenantId", actor, action, kind, name, before, after, generation)`,
          auditCells,
        );
      }
      const tuples = (cells: [unknown, string][][], suffix = "") =>
        (large ? [] : cells).map((row) => statement.tuple(row, suffix));
      const resourceValues = tuples(resourceCells, ", now()");
      const ipValues = tuples(ipCells);
      const auditValues = tuples(auditCells);
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
        VALUES (${statement.values([state.id, "text"], [generation, "int"], [JSON.stringify(prepared.intent), "jsonb"])}))`);
      const written = await tx.query<{ generation: number; inserted: number }>(
        `WITH ${ctes.join(",\n")}
         SELECT nextval('"fabric_generation_seq"')::int AS generation,
           ${ipValues.length > 0 ? "(SELECT count(*) FROM addresses)::int" : "0"} AS inserted`,
        statement.params,
      );
      // Another owner holds one of these addresses: the copy was stale. Reload and retry, which
      // hands out the next free address instead.
      if ((written[0]?.inserted ?? 0) + insertedEarly !== wantedRows.length) throw new StaleState();
      for (const row of created) {
        if (row.kind === "networks") vnis[row.name] = await allocateVni(tx, row.id);
      }
      const fabric = written;
      if (args.idempotency) {
        const answer: KeyedAnswer = {
          tenantId: state.id,
          generation,
          fabricGeneration: fabric[0]?.generation ?? 0,
          changes: diff.changes,
        };
        // Taken meanwhile: the same request committed elsewhere; the retry answers from it.
        if (!(await recordKeyedAnswer(tx, args.idempotency, answer))) throw new StaleState();
      }
      const next: TenantState = {
        ...state,
        generation,
        resources,
        vnis,
        natAddresses: prepared.natAddresses,
      };
      return { next, fabricGeneration: fabric[0]?.generation ?? 0 };
    });
    this.cacheTenant(committed.next);
    if (args.idempotency) this.purgeKeysNowAndThen();
    this.fabricGenerationValue = Math.max(this.fabricGenerationValue, committed.fabricGeneration);
    this.raiseFabricState(committed.fabricGeneration);
    this.events.emit("changed", {
      tenantId: state.id,
      tenant: state.name,
      generation: committed.next.generation,
      fabricGeneration: committed.fabricGeneration,
    });
    return result(committed.next.generation, committed.fabricGeneration, false);
  }

  /** Validation, scheduling, allocation, quotas and assertions of a candidate document. */
  private prepare(state: TenantState, before: IntentFile, desired: IntentFile) {
    if (desired.tenant !== state.name) {
      throw NetloomError.invalid([
        { path: "tenant", message: `is ${desired.tenant}, the call is for tenant ${state.name}` },
      ]);
    }
    const candidate = carryOverAllocations(before, desired);
    const nodeNames = this.nodes.map((node) => node.name);
    const problems = validateTenantIntent(candidate, nodeNames);
    if (problems.length > 0) throw NetloomError.invalid(problems);
    const scheduling = scheduleWorkloads(candidate, {
      nodes: nodeNames,
      otherLoad: this.loadExcept(state.id),
    });
    if (scheduling.length > 0) throw NetloomError.invalid(scheduling);
    const allocated = allocateAddresses(candidate, state.natAddresses);
    // Stored specs are canonical (schema key order, empty optional lists dropped), so that a
    // spec compares equal to its own export.
    const prepared = { ...allocated, intent: canonicalIntent(allocated.intent) };
    checkQuotas(before, prepared.intent, effectiveQuotas(state));
    const broken =
      (prepared.intent.assertions?.length ?? 0) > 0
        ? this.assertionChecker.check(this.candidateInput(state, prepared), state.name)
        : [];
    return { ...prepared, broken };
  }

  /** The compile input with one tenant replaced by a candidate (dry runs, assertions). */
  candidateInput(
    state: TenantState,
    prepared: { intent: IntentFile; natAddresses: Record<string, string> },
  ): CompileInput {
    const current = this.compileInput();
    const vnis: Record<string, number> = {};
    let provisional = 16_000_000;
    for (const network of objectsOf(prepared.intent, "networks")) {
      vnis[network.name] = state.vnis[network.name] ?? provisional++;
    }
    const replacement: TenantInput = {
      id: state.id,
      intent: prepared.intent,
      vnis,
      natAddresses: prepared.natAddresses,
    };
    const others = current.tenants.filter((tenant) => tenant.id !== state.id);
    return { fabric: current.fabric, tenants: [...others, replacement] };
  }

  /** Workloads per node of every tenant but one (the scheduler's view of the others). */
  private loadExcept(tenantId: string): Map<string, number> {
    const load = new Map<string, number>();
    for (const tenant of this.tenants.values()) {
      if (tenant.id === tenantId) continue;
      for (const resource of tenant.resources.values()) {
        if (resource.kind !== "workloads") continue;
        const node = (resource.spec as { node?: string }).node;
        if (node) load.set(node, (load.get(node) ?? 0) + 1);
      }
    }
    return load;
  }

  /** Makes the tenant's intent what it was at `generation` (a new generation, audited). */
  async restore(state: TenantState, generation: number, actor: string, dryRun = false) {
    const snapshot = await this.db.prisma.intentSnapshot.findUnique({
      where: { tenantId_generation: { tenantId: state.id, generation } },
    });
    if (!snapshot) {
      throw new NetloomError("NOT_FOUND", `tenant ${state.name} has no generation ${generation}`, [
        { path: "generation", message: `no snapshot at generation ${generation}` },
      ]);
    }
    const document = snapshot.document as unknown as IntentFile;
    return this.change({
      tenant: state.name,
      actor,
      dryRun,
      mutate: () => structuredClone(document),
    });
  }

  // ---------------------------------------------------------------- fabric

  /**
   * Creates or updates forwarding nodes (by name); with `prune`, removes the ones not listed.
   * A node that still hosts workloads cannot be removed.
   */
  async applyFabric(
    nodes: readonly { name: string; underlay: string }[],
    options: {
      prune: boolean;
      expectedRevision?: number | undefined;
      mode: "upsert" | "create" | "update";
      dryRun?: boolean;
    },
  ): Promise<{ changed: string[]; fabricGeneration: number }> {
    return this.locks.run("fabric", async () => {
      // Another controller may have changed the nodes since this one last read them.
      await this.refreshFabricNodes();
      const byName = new Map(this.nodes.map((node) => [node.name, node]));
      const seen = new Set<string>();
      const problems: Problem[] = [];
      nodes.forEach((node, index) => {
        if (seen.has(node.name)) {
          problems.push({ path: `nodes[${index}].name`, message: `${node.name} is listed twice` });
        }
        seen.add(node.name);
        const existing = byName.get(node.name);
        if (options.mode === "create" && existing) {
          throw new NetloomError("CONFLICT", `node ${node.name} exists`, [
            { path: "name", message: `node ${node.name} exists` },
          ]);
        }
        if (options.mode === "update" && !existing) throw notFound("node", node.name, "name");
        if (
          existing &&
          options.expectedRevision !== undefined &&
          existing.revision !== options.expectedRevision
        ) {
          throw staleRevision("node", node.name, existing.revision);
        }
      });
      const removed = options.prune ? this.nodes.filter((node) => !seen.has(node.name)) : [];
      for (const node of removed) problems.push(...this.hostedWorkloads(node.name));
      // Underlays must stay unique in the fabric the change leaves behind.
      const final = new Map(
        this.nodes.filter((node) => !removed.includes(node)).map((n) => [n.name, n.underlay]),
      );
      for (const node of nodes) final.set(node.name, node.underlay);
      nodes.forEach((node, index) => {
        for (const [other, underlay] of final) {
          if (other !== node.name && underlay === node.underlay) {
            problems.push({
              path: `nodes[${index}].underlay`,
              message: `${node.underlay} is the underlay of node ${other}`,
            });
          }
        }
      });
      if (problems.length > 0) throw NetloomError.invalid(problems);
      const changed = [
        ...nodes
          .filter((node) => byName.get(node.name)?.underlay !== node.underlay)
          .map((n) => n.name),
        ...removed.map((node) => node.name),
      ];
      if (changed.length === 0 || options.dryRun) {
        return { changed, fabricGeneration: this.fabricGenerationValue };
      }
      const fabricGeneration = await this.commitFabric(async (tx) => {
        if (removed.length > 0) {
          await tx.fabricNode.deleteMany({
            where: { name: { in: removed.map((node) => node.name) } },
          });
        }
        // Two-step so that nodes may swap underlays in one file without a unique clash.
        for (const node of nodes) {
          const existing = byName.get(node.name);
          if (existing && existing.underlay !== node.underlay) {
            await tx.fabricNode.update({
              where: { name: node.name },
              data: { underlay: `moving:${node.name}` },
            });
          }
        }
        for (const node of nodes) {
          const existing = byName.get(node.name);
          if (!existing)
            await tx.fabricNode.create({ data: { name: node.name, underlay: node.underlay } });
          else if (existing.underlay !== node.underlay) {
            await tx.fabricNode.update({
              where: { name: node.name },
              data: { underlay: node.underlay, revision: { increment: 1 } },
            });
          }
        }
      });
      return { changed, fabricGeneration };
    });
  }

  /** Removes one node; CONFLICT listing the workloads it still hosts. */
  async deleteFabricNode(name: string, expectedRevision?: number): Promise<number> {
    return this.locks.run("fabric", async () => {
      await this.refreshFabricNodes();
      const node = this.nodes.find((candidate) => candidate.name === name);
      if (!node) throw notFound("node", name, "name");
      if (expectedRevision !== undefined && node.revision !== expectedRevision) {
        throw staleRevision("node", name, node.revision);
      }
      const hosted = this.hostedWorkloads(name);
      if (hosted.length > 0) {
        throw new NetloomError("CONFLICT", `node ${name} still hosts workloads`, hosted);
      }
      return this.commitFabric(async (tx) => {
        await tx.fabricNode.delete({ where: { name } });
      });
    });
  }

  /**
   * Commits a change to the fabric's nodes under the next fabric generation, reloads them and
   * tells every listener (the change belongs to no tenant). Call under the "fabric" lock.
   */
  private async commitFabric(change: (tx: Tx) => Promise<void>): Promise<number> {
    const fabricGeneration = await this.transaction(async (tx) => {
      await change(tx);
      return bumpFabric(tx);
    });
    await this.reloadFabric();
    this.fabricGenerationValue = fabricGeneration;
    this.events.emit("changed", { tenantId: null, tenant: null, generation: 0, fabricGeneration });
    return fabricGeneration;
  }

  private hostedWorkloads(node: string): Problem[] {
    const problems: Problem[] = [];
    for (const tenant of this.listTenants()) {
      this.resources(tenant, "workloads").forEach((workload, index) => {
        if (workload.spec.node === node) {
          problems.push({
            path: `${tenant.name}: workloads[${index}].node`,
            message: `workload ${workload.name} is placed on node ${node}`,
          });
        }
      });
    }
    return problems;
  }

  /** Re-reads nodes after another layer (distribution) changed their status columns. */
  async refreshFabricNodes(): Promise<void> {
    const rows = await this.db.prisma.fabricNode.findMany({ orderBy: { name: "asc" } });
    const nodes = rows.map(nodeView);
    const layout = (list: FabricNodeView[]) => list.map((n) => `${n.name}@${n.underlay}`).join();
    if (layout(nodes) !== layout(this.nodes)) this.compileInputCache = null;
    this.nodes = nodes;
  }
}

// ------------------------------------------------------------------ helpers

function placeholderId(name: string): string {
  return `new:${name}`;
}

/** The cached state unless the one read from the database is at least as new. */
function newerOf(cached: TenantState | undefined, read: TenantState): TenantState {
  return cached && cached.generation > read.generation ? cached : read;
}

/** A short, growing, jittered wait between retries, so that racing writers spread out. */
function pause(attempt: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.random() * 4 * attempt));
}

/** Prisma's unique-constraint violation (P2002), through the driver adapter too. */
function isUniqueViolation(error: unknown): boolean {
  return hasCode(error, ["P2002", "23505"]);
}

function isForeignKeyViolation(error: unknown): boolean {
  return hasCode(error, ["P2003", "23503"]);
}

function hasCode(error: unknown, codes: string[]): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === "object"; depth++) {
    const { code, originalCode, cause } = current as {
      code?: unknown;
      originalCode?: unknown;
      cause?: unknown;
    };
    if (typeof code === "string" && codes.includes(code)) return true;
    if (typeof originalCode === "string" && codes.includes(originalCode)) return true;
    current = cause;
  }
  return false;
}

/** A tenant with nothing in it; `id` is a placeholder until the tenant is stored. */
function emptyTenant(name: string, id = placeholderId(name)): TenantState {
  return {
    id,
    name,
    generation: 0,
    quotas: {},
    resources: new Map(),
    vnis: {},
    natAddresses: {},
  };
}

/** NOT_FOUND for an object of a kind, the same text whether missing or foreign. */
export function notFound(kind: string, name: string, path: string): NetloomError {
  return new NetloomError("NOT_FOUND", `${kind} ${name} not found`, [
    { path, message: `${kind} ${name} not found` },
  ]);
}

/** CONFLICT for an update or delete made against an older revision. */
export function staleRevision(kind: string, name: string, current: number): NetloomError {
  return new NetloomError(
    "CONFLICT",
    `${kind} ${name} changed since it was read (now revision ${current})`,
    [{ path: "revision", message: `stale: the current revision is ${current}` }],
  );
}

/** Takes the next fabric generation and records it in FabricState (rare fabric-wide changes). */
async function bumpFabric(tx: Tx): Promise<number> {
  const rows = await tx.$queryRawUnsafe<{ generation: number }[]>(NEXT_FABRIC_GENERATION_SQL);
  const generation = rows[0]?.generation ?? 0;
  await tx.$executeRawUnsafe(RAISE_FABRIC_SQL, generation);
  return generation;
}

async function allocateVni(tx: SqlRunner, networkId: string): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const rows = await tx.query<{ vni: number }>(
      `INSERT INTO "VniAllocation" (vni, "networkId")
       SELECT GREATEST(COALESCE(MAX(vni) + 1, $1), $1), $2 FROM "VniAllocation"
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

/** A key recorded with a tenant's creation (Prisma transaction; see idempotency.ts). */
const RECORD_KEY_SQL = `INSERT INTO "IdempotencyKey"
  (scope, key, "requestHash", "tenantId", generation, "fabricGeneration", changes)
  VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb) ON CONFLICT (scope, key) DO NOTHING`;

function keyRow(request: IdempotentRequest, answer: KeyedAnswer): unknown[] {
  return [
    request.scope,
    request.key,
    request.requestHash,
    answer.tenantId,
    answer.generation,
    answer.fabricGeneration,
    JSON.stringify(answer.changes),
  ];
}

const NEXT_FABRIC_GENERATION_SQL = `SELECT nextval('"fabric_generation_seq"')::int AS generation`;

/** Raises FabricState.generation to at least $1 (never lowers it). */
const RAISE_FABRIC_SQL = `INSERT INTO "FabricState" (id, generation) VALUES (1, $1)
  ON CONFLICT (id) DO UPDATE SET generation = GREATEST("FabricState".generation, EXCLUDED.generation)`;

/** A multi-row INSERT in chunks under the parameter limit; answers the rows RETURNING gave. */
async function insertChunks(
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
class Statement {
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

/** The addresses an object holds, as IpAllocation rows. */
function addressesOf(
  resource: StoredResource,
  poolNetworks: ReadonlyMap<string, string>,
  natAddresses: Record<string, string>,
): AddressRow[] {
  const rows: AddressRow[] = [];
  if (resource.kind === "workloads") {
    const spec = resource.spec as import("@netloom/model").Workload;
    spec.interfaces.forEach((iface, index) => {
      if (iface.ip) rows.push({ network: iface.network, ip: iface.ip, purpose: `if:${index}` });
      const network = iface.floatingIp ? poolNetworks.get(iface.floatingIp.pool) : undefined;
      if (network && iface.floatingIp?.ip) {
        rows.push({ network, ip: iface.floatingIp.ip, purpose: `fip:${index}` });
      }
    });
  } else if (resource.kind === "services") {
    const spec = resource.spec as import("@netloom/model").Service;
    if (spec.type === "load-balancer")
      rows.push({ network: spec.network, ip: spec.vip, purpose: "vip" });
    const nat = natAddresses[spec.name];
    if (spec.type === "nat" && nat) rows.push({ network: spec.outside, ip: nat, purpose: "nat" });
  }
  return rows;
}

const HISTORY_SQL = `SELECT id, actor, action, kind, name, before, after, generation, at
  FROM "AuditEvent" WHERE "tenantId" = $1`;

/** An AuditEvent row as the driver returns it: the id and time not yet made text. */
type AuditRow = Omit<AuditView, "id" | "at"> & { id: bigint | string | number; at: Date | string };

function auditView(row: AuditRow): AuditView {
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

/** A FabricNode row (which has more columns than these) as the store keeps it. */
function nodeView(
  row: Omit<FabricNodeView, "lastSeenAt"> & { lastSeenAt: Date | null },
): FabricNodeView {
  return {
    id: row.id,
    name: row.name,
    underlay: row.underlay,
    revision: row.revision,
    appliedGeneration: row.appliedGeneration,
    appliedHash: row.appliedHash,
    lastSeenAt: row.lastSeenAt ? row.lastSeenAt.toISOString() : null,
  };
}

function nodeSpec(node: FabricNodeView): FabricNodeSpec {
  return { name: node.name, underlay: node.underlay } as FabricNodeSpec;
}

function tenantInput(state: TenantState): TenantInput {
  return {
    id: state.id,
    intent: documentOf(state),
    vnis: { ...state.vnis },
    natAddresses: { ...state.natAddresses },
  };
}

/** Reads one tenant with its objects, VNIs and nat addresses from the database. */
async function loadTenant(
  prisma: Db["prisma"] | Tx,
  tenantId: string,
): Promise<TenantState | undefined> {
  const tenant = await prisma.tenant.findUnique({ where: { id: tenantId } });
  if (!tenant) return undefined;
  const rows = await prisma.resource.findMany({
    where: { tenantId },
    include: { vni: true },
    orderBy: [{ kind: "asc" }, { ordinal: "asc" }],
  });
  const resources = new Map<string, StoredResource>();
  const vnis: Record<string, number> = {};
  for (const row of rows) {
    const kind = row.kind as ResourceKind;
    if (!RESOURCE_KINDS.includes(kind)) continue;
    resources.set(resourceKey(kind, row.name), {
      id: row.id,
      kind,
      name: row.name,
      ordinal: row.ordinal,
      spec: parseStoredSpec(kind, row.spec),
      revision: row.revision,
    });
    if (row.vni) vnis[row.name] = row.vni.vni;
  }
  const nat = await prisma.ipAllocation.findMany({
    where: { tenantId, purpose: "nat" },
    include: { owner: true },
  });
  const natAddresses: Record<string, string> = {};
  for (const row of nat) natAddresses[row.owner.name] = row.ip;
  return {
    id: tenant.id,
    name: tenant.name,
    generation: tenant.generation,
    quotas: (tenant.quotas ?? {}) as Partial<Quotas>,
    resources,
    vnis,
    natAddresses,
  };
}

/**
 * The compiler's input straight from the database: every tenant and every node. The Store
 * keeps the same value cached (`Store.compileInput`); this is for processes without one.
 */
export async function loadCompileInput(db: Db): Promise<CompileInput> {
  const tenants = await db.prisma.tenant.findMany({ orderBy: { name: "asc" } });
  const inputs: TenantInput[] = [];
  for (const tenant of tenants) {
    const state = await loadTenant(db.prisma, tenant.id);
    if (state) inputs.push(tenantInput(state));
  }
  const nodes = await db.prisma.fabricNode.findMany({ orderBy: { name: "asc" } });
  return { fabric: { nodes: nodes.map((node) => nodeSpec(nodeView(node))) }, tenants: inputs };
}
