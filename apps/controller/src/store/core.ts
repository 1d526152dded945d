import type { BgpSpec, LearnedEvpnRoute } from "@netloom/model";
import { type Db, unavailableOr } from "../db";
import type { ChangedEvent, ControllerEvents } from "../events";
import type { Prisma } from "../generated/prisma/client";
import type { SqlRunner } from "../migrate";
import type { AssertionChecker } from "./assertions";
import { TenantCache } from "./cache";
import { CompileInputs, type CompileSourceView } from "./compile-inputs";
import { EvpnExportWatch } from "./evpn";
import type { ExternalNetworkView } from "./external";
import { FabricStateWriter } from "./fabric-state";
import type { FollowCounters } from "./follow";
import { KeyedMutex, Semaphore } from "./mutex";
import type { FabricNodeView, TenantState } from "./types";
import { WriteGate } from "./write-gate";

export type Tx = Prisma.TransactionClient;

/**
 * What every stage of the store shares: the database, the in-memory copy of every tenant and of
 * the fabric (reads are served from it; see cache.ts for how it follows other controllers), the
 * compile input made from it, and the locks and limits writes run under. The stages (reload,
 * change, tenants, fabric-change) are functions over it; `Store` is their table of contents.
 */
export class StoreCore implements CompileSourceView {
  readonly cache = new TenantCache();
  /** What following the database cost (objects parsed against objects reused): tests read it. */
  readonly follow: FollowCounters = { tenantReads: 0, specsParsed: 0, specsReused: 0 };
  nodes: FabricNodeView[] = [];
  /** The fabric's external networks (spec 1.1), by name order. */
  externalNetworks: ExternalNetworkView[] = [];
  /** Issue 14: the Fabric file's `bgp` section and every speaker's learned routes (evpn.ts). */
  bgp: BgpSpec | undefined;
  learned: LearnedEvpnRoute[] = [];
  /** The fabric-wide generation: grows with every committed change. */
  fabricGeneration = 0;
  readonly inputs = new CompileInputs(this);
  readonly evpnWatch = new EvpnExportWatch(() => this.inputs.current());
  /** Called after every re-read of the fabric (another controller's change included). */
  readonly fabricReloadListeners = new Set<() => void>();
  readonly fabricState: FabricStateWriter;
  /** When expired idempotency keys were last purged (change.ts: once an hour). */
  lastKeyPurge = 0;
  /** Writes in flight: closing waits for them before the database closes. */
  readonly writes = new WriteGate();
  private readonly locks = new KeyedMutex();
  /**
   * Transactions in flight (pool: 20). Prisma's driver-adapter transactions deadlocked when
   * every pool connection was held by a transaction that had begun (seen under 100 concurrent
   * writers): stay under the pool size and leave connections for reads.
   */
  private readonly transactions: Semaphore;

  constructor(
    readonly db: Db,
    readonly events: ControllerEvents,
    /** Checks stored assertions against every candidate before it is committed. */
    readonly assertionChecker: AssertionChecker,
  ) {
    this.transactions = new Semaphore(db.backend === "postgres" ? 16 : 1);
    this.fabricState = new FabricStateWriter(db.sql);
    events.on("changed", () => this.evpnWatch.poke());
  }

  /** Every tenant, by name. */
  listTenants(): TenantState[] {
    return [...this.cache.values()].sort((a, b) => a.name.localeCompare(b.name));
  }

  /** A write under `key`'s lock (one at a time per tenant, or for the fabric), while open. */
  exclusive<T>(key: string, write: () => Promise<T>): Promise<T> {
    return this.writes.run(() => this.locks.run(key, write));
  }

  /** A raw SQL transaction (the write path of intent changes) within the same limit. */
  sqlTransaction<T>(run: (tx: SqlRunner) => Promise<T>): Promise<T> {
    return this.transactions.run(() => this.db.sql.transaction(run));
  }

  /** Runs an interactive Prisma transaction within the concurrency limit. */
  transaction<T>(run: (tx: Tx) => Promise<T>): Promise<T> {
    return this.transactions.run(() =>
      this.db.prisma
        .$transaction(run, { maxWait: 30_000, timeout: 60_000 })
        .catch((error: unknown) => {
          throw unavailableOr(error);
        }),
    );
  }

  cacheTenant(state: TenantState): void {
    this.cache.put(state);
    this.inputs.invalidate();
    // Issue 14: a tenant followed from another controller may change what this fabric exports.
    this.evpnWatch.poke();
  }

  forgetTenant(state: Pick<TenantState, "id" | "name">): void {
    this.cache.forget(state);
    this.inputs.invalidate();
  }

  /** Tells every listener that a change committed (distribution, the BGP speaker, metrics). */
  announce(change: ChangedEvent): void {
    this.events.emit("changed", change);
  }
}
