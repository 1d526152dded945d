import type { CompileInput, TenantInput } from "@netloom/compiler";
import {
  type BgpSpec,
  type EvpnType5Route,
  type FabricExternalNetworkSpec,
  type FabricFile,
  type IntentFile,
  type LearnedEvpnRoute,
  NetloomError,
  type Problem,
  type ResourceKind,
} from "@netloom/model";
import { type Db, logStoreError, unavailableOr } from "../db";
import type { ControllerEvents } from "../events";
import type { Prisma } from "../generated/prisma/client";
import type { SqlRunner } from "../migrate";
import type { AssertionChecker } from "./assertions";
import { emptyTenant, newerOf, placeholderId, TenantCache } from "./cache";
import { type FabricContext, outsideAddressesHeld, prepareCandidate } from "./candidate";
import { commitChange } from "./commit";
import { diffResources, documentOf, objectsOf } from "./document";
import {
  checkEvpnVnis,
  EvpnExportWatch,
  type LearnedRouteView,
  learnedRoutesOf,
  learnedRouteViews,
  loadBgp,
  loadLearnedRoutes,
  parseLearnedRoutes,
  sameBgp,
  sameRoutes,
  validateFabricBgp,
  writeBgp,
  writeLearnedRoutes,
} from "./evpn";
import {
  type ExternalNetworkView,
  fabricNetworksUsed,
  loadExternalNetworks,
  planExternalNetworks,
  specOf,
  writeExternalNetworks,
} from "./external";
import { planNodes } from "./fabric";
import {
  isForeignKeyViolation,
  isUniqueViolation,
  notFound,
  pause,
  StaleState,
  staleRevision,
} from "./failures";
import { type FollowCounters, followTenant } from "./follow";
import {
  findKeyedAnswer,
  type IdempotentRequest,
  type KeyedAnswer,
  keyRow,
  purgeExpiredKeys,
  RECORD_KEY_SQL,
} from "./idempotency";
import { loadTenant, nodeSpec, nodeView, tenantInput } from "./load";
import { KeyedMutex, Semaphore } from "./mutex";
import { effectiveQuotas, usageOf } from "./prepare";
import { type AuditRow, auditView, bumpFabric, HISTORY_SQL, RAISE_FABRIC_SQL } from "./sql";
import {
  type AuditView,
  type ChangeResult,
  type FabricNodeView,
  QUOTA_NAMES,
  type Quotas,
  type StoredResource,
  type TenantState,
} from "./types";

type Tx = Prisma.TransactionClient;

/** A change's result plus what dry runs and callers need to explain it. */
export type ChangeOutcome = ChangeResult & {
  before: IntentFile;
  natAddresses: Record<string, string>;
  /** Assertions the candidate breaks (a committed change always has none). */
  brokenAssertions: Problem[];
};

/**
 * How often a change is retried after finding the cache stale or an address taken. Each retry
 * re-reads the tenant, so with W writers on different controllers at least one wins per round:
 * this bounds the rounds, and running out means a true, sustained conflict (CONFLICT).
 */
const MAX_ATTEMPTS = 8;

/**
 * The store of every tenant's intent and the fabric. Reads are served from an in-memory copy
 * (the controller is the only writer); every change runs in one transaction that locks the
 * tenant row, re-checks the generation the copy was made at, and writes objects, allocations,
 * audit, snapshot and generations together. After commit the copy is updated and `changed`
 * is emitted.
 */
export class Store {
  /** Every tenant's state: reads are served from here (see cache.ts for how it follows). */
  private readonly cache = new TenantCache();
  /** What following the database cost (objects parsed against objects reused): tests read it. */
  readonly follow: FollowCounters = { tenantReads: 0, specsParsed: 0, specsReused: 0 };
  private nodes: FabricNodeView[] = [];
  /** The fabric's external networks (spec 1.1), by name order. */
  private externalNetworks: ExternalNetworkView[] = [];
  /** Issue 14: the Fabric file's `bgp` section and every speaker's learned routes (store/evpn.ts). */
  private bgp: BgpSpec | undefined;
  private learned: LearnedEvpnRoute[] = [];
  private readonly evpnWatch = new EvpnExportWatch(() => this.compileInput());
  /** Called after every re-read of the fabric (another controller's change included). */
  private readonly fabricReloadListeners = new Set<() => void>();
  private fabricGenerationValue = 0;
  private compileInputCache: CompileInput | null = null;
  /** Per cached tenant state, its compile input (see `tenantInputOf`). */
  private tenantInputs = new WeakMap<TenantState, TenantInput>();
  /** The external networks those inputs were made against (re-read: new array, inputs remade). */
  private tenantInputsFor: readonly ExternalNetworkView[] = [];
  private readonly locks = new KeyedMutex();
  /**
   * Transactions in flight (pool: 20). Prisma's driver-adapter transactions deadlocked when
   * every pool connection was held by a transaction that had begun (seen under 100 concurrent
   * writers): stay under the pool size and leave connections for reads.
   */
  private readonly transactions: Semaphore;
  private constructor(
    readonly db: Db,
    readonly events: ControllerEvents,
    /** Checks stored assertions against every candidate before it is committed. */
    readonly assertionChecker: AssertionChecker,
  ) {
    this.transactions = new Semaphore(db.backend === "postgres" ? 16 : 1);
    events.on("changed", () => this.evpnWatch.poke());
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
  static async open(
    db: Db,
    events: ControllerEvents,
    assertionChecker: AssertionChecker,
  ): Promise<Store> {
    const store = new Store(db, events, assertionChecker);
    await store.reload();
    return store;
  }

  /**
   * Re-reads everything from the database (changes committed through other controllers) into
   * new maps and swaps them in. A tenant written here while the reload ran keeps its newer
   * state; a tenant gone from the database (deleted elsewhere) leaves the cache.
   */
  async reload(): Promise<void> {
    const startedAt = this.cache.mark;
    const prisma = this.db.prisma;
    const rows = await prisma.tenant.findMany({ orderBy: { name: "asc" }, select: { id: true } });
    const loaded = new Map<string, TenantState>();
    for (const row of rows) {
      const state = await followTenant(this.db.sql, row.id, this.cache.get(row.id), this.follow);
      if (state) loaded.set(state.id, state);
    }
    this.cache.swap(loaded, startedAt);
    this.compileInputCache = null;
    await this.reloadFabric();
  }

  /**
   * Follows one change committed through another controller: re-reads that tenant (or, for a
   * fabric-wide change, everything). Called by distribution's cross-controller watch.
   */
  async refresh(change: { tenantId: string | null } | "full"): Promise<void> {
    if (change === "full" || change.tenantId === null) return this.reload();
    await this.refreshTenant(change.tenantId, "changed objects");
    const fabric = await this.db.sql.query<{ generation: number }>(
      `SELECT generation FROM "FabricState" WHERE id = 1`,
    );
    this.fabricGenerationValue = Math.max(
      this.fabricGenerationValue,
      Number(fabric[0]?.generation ?? 0),
    );
  }

  /**
   * Re-reads one tenant by id; answers its state, undefined once it is gone. Following another
   * controller's change reads only the objects whose revision moved (follow.ts). The write
   * path's re-read after losing a race reads the whole tenant through Prisma: its pace spreads
   * racing writers apart (with the fast read, three writers re-planning in step lost 8 rounds
   * in a row now and then: a CONFLICT for no true conflict).
   */
  private async refreshTenant(
    id: string,
    read: "whole tenant" | "changed objects" = "whole tenant",
  ): Promise<TenantState | undefined> {
    const startedAt = this.cache.mark;
    const state =
      read === "changed objects"
        ? await followTenant(this.db.sql, id, this.cache.get(id), this.follow)
        : await loadTenant(this.db.prisma, id);
    const cached = this.cache.get(id);
    if (this.cache.writtenSince(id, startedAt)) return cached;
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
    this.externalNetworks = await loadExternalNetworks(this.db.sql);
    const fabric = await this.db.prisma.fabricState.findUnique({ where: { id: 1 } });
    this.fabricGenerationValue = fabric?.generation ?? 0;
    this.compileInputCache = null;
    // Issue 14: the `bgp` section and every speaker's learned routes (store/evpn.ts).
    this.bgp = await loadBgp(this.db.sql);
    this.learned = await loadLearnedRoutes(this.db.sql);
    this.evpnWatch.poke();
    for (const listener of this.fabricReloadListeners) listener();
  }

  /**
   * Issue 14: calls `listener` after every re-read of the fabric, such as a `bgp` section
   * changed through another controller (no "changed" event is emitted for those). Answers the
   * unsubscribe.
   */
  onFabricReloaded(listener: () => void): () => void {
    this.fabricReloadListeners.add(listener);
    return () => this.fabricReloadListeners.delete(listener);
  }

  private cacheTenant(state: TenantState): void {
    this.cache.put(state);
    this.compileInputCache = null;
    // Issue 14: a tenant followed from another controller may change what this fabric exports.
    this.evpnWatch.poke();
  }

  private forgetTenant(state: Pick<TenantState, "id" | "name">): void {
    this.cache.forget(state);
    this.compileInputCache = null;
  }

  /** The fabric-wide generation: grows with every committed change. */
  get fabricGeneration(): number {
    return this.fabricGenerationValue;
  }

  // ---------------------------------------------------------------- reads

  /** Every tenant, by name. */
  listTenants(): TenantState[] {
    return [...this.cache.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** A tenant by name, or undefined. */
  tenant(name: string): TenantState | undefined {
    return this.cache.named(name);
  }

  tenantById(id: string): TenantState | undefined {
    return this.cache.get(id);
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

  /** Issue 14: the Fabric file's `bgp` section, undefined when none is configured. */
  fabricBgp(): BgpSpec | undefined {
    return this.bgp;
  }

  /** The Fabric file as stored: nodes, external networks (with their `evpn`), `bgp`. */
  fabricFile(): FabricFile {
    return {
      apiVersion: "netloom/v1",
      kind: "Fabric",
      nodes: this.nodes.map(nodeSpec),
      ...(this.externalNetworks.length > 0
        ? { externalNetworks: this.externalNetworks.map(specOf) }
        : {}),
      ...(this.bgp ? { bgp: this.bgp } : {}),
    };
  }

  /** Issue 14: every speaker's learned EVPN routes (the union that compiles), sorted. */
  learnedRoutes(): LearnedEvpnRoute[] {
    return this.learned;
  }

  /** Issue 14: every learned route with whether it is programmed, and why not. */
  learnedRouteViews(): LearnedRouteView[] {
    return learnedRouteViews(this.compileInput());
  }

  /** Issue 14: the EVPN type-5 routes this fabric exports, from the compiled node configs. */
  evpnExports(): Promise<EvpnType5Route[]> {
    return Promise.resolve(this.evpnWatch.current());
  }

  /**
   * Calls `listener` with the exported routes whenever they change (a change here or, once
   * refreshed, through another controller). Answers the unsubscribe.
   */
  onEvpnExportsChanged(listener: (routes: EvpnType5Route[]) => void): () => void {
    return this.evpnWatch.subscribe(listener);
  }

  /**
   * Issue 14: makes `source`'s learned routes (a speaker's whole table) exactly `routes`. A
   * change is a fabric change: a new fabric generation, recompiled and pushed like any other.
   * Bad routes are refused (INVALID, `routes[i].field`) and change nothing.
   */
  async replaceLearnedRoutes(
    source: string,
    routes: readonly unknown[],
  ): Promise<{ changed: boolean; fabricGeneration: number }> {
    const parsed = parseLearnedRoutes(source, routes);
    return this.locks.run("fabric", async () => {
      const current = await learnedRoutesOf(this.db.sql, source);
      if (sameRoutes(current, parsed)) {
        return { changed: false, fabricGeneration: this.fabricGenerationValue };
      }
      const fabricGeneration = await this.commitFabric((tx) =>
        writeLearnedRoutes(tx, source, parsed),
      );
      return { changed: true, fabricGeneration };
    });
  }

  /** The fabric's external networks (spec 1.1) with their fabric-wide VNIs. */
  fabricExternalNetworks(): ExternalNetworkView[] {
    return this.externalNetworks;
  }

  /**
   * One tenant's compile input, made once per cached state (states are replaced, never
   * changed in place): after a change only the changed tenant's document is rebuilt, not
   * every tenant's. Forgotten with the external networks it was made against.
   */
  private tenantInputOf(state: TenantState): TenantInput {
    if (this.tenantInputsFor !== this.externalNetworks) {
      this.tenantInputs = new WeakMap();
      this.tenantInputsFor = this.externalNetworks;
    }
    let input = this.tenantInputs.get(state);
    if (!input) {
      input = tenantInput(state, this.externalNetworks);
      this.tenantInputs.set(state, input);
    }
    return input;
  }

  /** The compiler's input: every tenant and node, allocations made. Cached between changes. */
  compileInput(): CompileInput {
    if (!this.compileInputCache) {
      this.compileInputCache = {
        fabric: {
          nodes: this.nodes.map(nodeSpec),
          externalNetworks: this.externalNetworks.map(specOf),
          ...(this.learned.length > 0 ? { learnedRoutes: this.learned } : {}),
        },
        tenants: this.listTenants().map((state) => this.tenantInputOf(state)),
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
      const current = this.cache.get(state.id) ?? state;
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
          return await this.changeOnce(state, { ...args, idempotency: keyed, attempt });
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
      attempt: number;
    },
  ): Promise<ChangeOutcome> {
    const before = documentOf(state);
    const desired = args.mutate(state, structuredClone(before));
    const fabric = this.fabricContext();
    const held = await outsideAddressesHeld(fabric, this.db.sql, state, desired, args.attempt);
    const prepared = prepareCandidate(fabric, state, before, desired, held);
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

    const committed = await this.sqlTransaction((tx) =>
      commitChange(tx, {
        state,
        before,
        intent: prepared.intent,
        natAddresses: prepared.natAddresses,
        diff,
        actor: args.actor,
        idempotency: args.idempotency,
      }),
    );
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

  /** The candidate stage's view of the fabric around a tenant. */
  private fabricContext(): FabricContext {
    return {
      nodeNames: this.nodes.map((node) => node.name),
      externalNetworks: this.externalNetworks,
      tenants: () => this.cache.values(),
      brokenAssertions: (state, candidate) =>
        this.assertionChecker.check(this.candidateInput(state, candidate), state.name),
    };
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
    for (const network of fabricNetworksUsed(prepared.intent, this.externalNetworks)) {
      vnis[network.name] = network.vni;
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
      /** The Fabric file's external networks (spec 1.1); absent: left as they are. */
      externalNetworks?: readonly FabricExternalNetworkSpec[] | undefined;
      /** Whether external networks not listed go (default: `prune`), independently of nodes. */
      pruneExternalNetworks?: boolean | undefined;
      /** Issue 14: the Fabric file's `bgp` section; undefined: left as it is; null: removed. */
      bgp?: BgpSpec | null | undefined;
    },
  ): Promise<{ changed: string[]; fabricGeneration: number }> {
    return this.locks.run("fabric", async () => {
      // Another controller may have changed the nodes since this one last read them.
      await this.refreshFabricNodes();
      this.externalNetworks = await loadExternalNetworks(this.db.sql);
      const external = options.externalNetworks
        ? planExternalNetworks(
            options.externalNetworks,
            this.externalNetworks,
            this.listTenants(),
            options.pruneExternalNetworks ?? options.prune,
          )
        : { upserts: [], removed: [] };
      const byName = new Map(this.nodes.map((node) => [node.name, node]));
      const removed = planNodes(nodes, this.nodes, options, (node) => this.hostedWorkloads(node));
      const bgpChanged = await this.checkEvpnChange(options.externalNetworks, options.bgp);
      const changed = [
        ...(bgpChanged ? ["bgp"] : []),
        ...nodes
          .filter((node) => byName.get(node.name)?.underlay !== node.underlay)
          .map((n) => n.name),
        ...removed.map((node) => node.name),
        ...external.upserts.map((network) => network.name),
        ...external.removed,
      ];
      if (changed.length === 0 || options.dryRun) {
        return { changed, fabricGeneration: this.fabricGenerationValue };
      }
      const fabricGeneration = await this.commitFabric(async (tx) => {
        await writeExternalNetworks(tx, external);
        if (bgpChanged) await writeBgp(tx, options.bgp ?? null);
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
      }).catch((error: unknown) => {
        // Issue 14: another controller took the L3 VNI (its unique index) since the check.
        if (!isUniqueViolation(error) || !external.upserts.some((network) => network.evpn)) {
          throw error;
        }
        throw new NetloomError("CONFLICT", "the fabric changed concurrently; retry", [
          { path: "externalNetworks", message: "an L3 VNI was taken concurrently; retry" },
        ]);
      });
      return { changed, fabricGeneration };
    });
  }

  /**
   * Issue 14: checks a Fabric file's `bgp` and `evpn` sections (INVALID naming the field) and
   * answers whether the `bgp` section changes. Call under the "fabric" lock.
   */
  private async checkEvpnChange(
    externalNetworks: readonly FabricExternalNetworkSpec[] | undefined,
    bgp: BgpSpec | null | undefined,
  ): Promise<boolean> {
    this.bgp = await loadBgp(this.db.sql);
    const problems = validateFabricBgp(externalNetworks, bgp);
    if (externalNetworks) {
      problems.push(...(await checkEvpnVnis(this.db.sql, externalNetworks, this.externalNetworks)));
    }
    if (problems.length > 0) throw NetloomError.invalid(problems);
    return bgp !== undefined && !sameBgp(this.bgp, bgp ?? undefined);
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

// Re-exported for the callers that import them from the store.
export { notFound, staleRevision } from "./failures";
export { loadCompileInput } from "./load";
export type { AuditView, FabricNodeView } from "./types";
