import {
  type CompileInput,
  createIncrementalCompiler,
  type IncrementalCompiler,
  type TenantInput,
} from "@netloom/compiler";
import type { DistributionHub, DistributionStore } from "./hub";

/** Where compile input comes from: the store. */
export interface CompileSource {
  /** Every tenant's resolved intent and the fabric, as committed. */
  loadCompileInput(): Promise<CompileInput>;
  /** One tenant's resolved intent, or null when it no longer exists. Optional: speeds up deltas. */
  loadTenantInput?(tenantId: string): Promise<TenantInput | null>;
  /**
   * Called before compiling changes committed by another controller, so that a source that
   * caches (the store) re-reads them from the database: one tenant, or everything.
   */
  refresh?(change: { tenantId: string | null } | "full"): Promise<void>;
}

/** A committed change as far as distribution cares: which tenant (null: the fabric), and when. */
export interface FabricChange {
  tenantId: string | null;
  fabricGeneration: number;
  /** The tenant's generation after the change, when known (tenant changes). */
  tenantGeneration?: number;
}

/** Why the last compile failed, until one succeeds (shown in `fabric.status`). */
export interface CompileFailure {
  message: string;
  at: string;
}

/** Where the feed reports a failed compile: logged with context and counted by its owner. */
export type CompileFailureSink = (error: unknown, context: Record<string, unknown>) => void;

/**
 * Turns committed changes into installed compiles, one at a time, coalescing changes that arrive
 * while a compile runs. A tenant change recompiles that tenant only (incremental compiler); a
 * fabric change, an unknown change (seen by polling) or a failure recompiles everything.
 */
export class FabricFeed {
  /** Where the last tenant change's time went (metrics, the benchmark). */
  lastTimings = { loadMs: 0, compileMs: 0, installMs: 0 };
  /**
   * Compiles made: of the whole fabric, and of single tenants (a tenant change, here or on
   * another controller, compiles that tenant only). Tests and /metrics read them.
   */
  readonly compiles = { full: 0, tenants: 0 };
  /** The last compile's failure, null once a compile succeeded again. */
  lastFailure: CompileFailure | null = null;
  /** Tenant generations of changes queued but not yet compiled, by tenant id. */
  private readonly pendingTenantGenerations = new Map<string, number>();
  private compiler: IncrementalCompiler | undefined;
  private readonly pendingTenants = new Set<string>();
  private pendingFull = false;
  /** Changes from other controllers not yet re-read by the source: tenant ids, or null = all. */
  private readonly pendingRemote = new Set<string | null>();
  private pendingGeneration = 0;
  private running: Promise<void> | undefined;
  private scheduled = false;
  private closed = false;

  constructor(
    private readonly hub: DistributionHub,
    private readonly store: DistributionStore,
    private readonly source: CompileSource,
    private readonly onFailure: CompileFailureSink = () => {},
  ) {}

  /** Highest generation installed or about to be. */
  get knownGeneration(): number {
    return Math.max(this.hub.newestGeneration, this.pendingGeneration);
  }

  /**
   * Queues a change; resolves once it (and everything queued with it) is installed. `remote`:
   * committed by another controller, so the source refreshes it from the database first.
   */
  schedule(change: FabricChange | "full", remote = false): Promise<void> {
    if (remote) this.pendingRemote.add(change === "full" ? null : change.tenantId);
    if (change === "full" || change.tenantId === null) this.pendingFull = true;
    else this.pendingTenants.add(change.tenantId);
    if (change !== "full" && change.tenantId !== null && change.tenantGeneration !== undefined) {
      const known = this.pendingTenantGenerations.get(change.tenantId) ?? 0;
      if (change.tenantGeneration > known) {
        this.pendingTenantGenerations.set(change.tenantId, change.tenantGeneration);
      }
    }
    if (change !== "full") {
      this.pendingGeneration = Math.max(this.pendingGeneration, change.fabricGeneration);
    }
    return this.kick();
  }

  /** Resolves when nothing is queued or compiling. */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  private kick(): Promise<void> {
    if (this.running) {
      this.scheduled = true;
      // Resolve after the run that will pick this change up.
      return this.running.then(() => this.settled());
    }
    this.running = this.loop().finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async loop(): Promise<void> {
    do {
      this.scheduled = false;
      const full = this.pendingFull || this.compiler === undefined;
      const tenants = [...this.pendingTenants];
      const generation = this.pendingGeneration;
      const remote = [...this.pendingRemote];
      const tenantGenerations = new Map(this.pendingTenantGenerations);
      this.pendingFull = false;
      this.pendingTenants.clear();
      this.pendingRemote.clear();
      this.pendingTenantGenerations.clear();
      if (this.closed) return;
      try {
        if (full) {
          // Read before the input is re-read and loaded: the compile holds at least these.
          for (const [tenantId, stored] of await this.store.tenantGenerations()) {
            tenantGenerations.set(tenantId, Math.max(stored, tenantGenerations.get(tenantId) ?? 0));
          }
        }
        if (this.source.refresh && remote.length > 0) {
          if (remote.includes(null)) await this.source.refresh("full");
          else for (const tenantId of remote) await this.source.refresh({ tenantId });
        }
        if (full) await this.compileAll(generation, tenantGenerations);
        else await this.compileTenants(tenants, generation, tenantGenerations);
        this.lastFailure = null;
      } catch (error) {
        // Keep serving the last good compile; the next change (or poll) recompiles everything.
        this.compiler = undefined;
        this.pendingFull = true;
        if (!this.closed) {
          this.lastFailure = {
            message: error instanceof Error ? error.message : String(error),
            at: new Date().toISOString(),
          };
          this.onFailure(error, { full, tenants, generation });
        }
        // Queued again so that the next change or poll compiles it; not retried in a loop.
        this.scheduled = false;
        return;
      }
    } while ((this.scheduled || this.pendingFull || this.pendingTenants.size > 0) && !this.closed);
  }

  private async compileAll(
    eventGeneration: number,
    tenantGenerations: ReadonlyMap<string, number>,
  ): Promise<void> {
    // Read before loading: the input is at least as new as the generation it is tagged with.
    const stored = await this.store.fabricGeneration();
    const input = await this.source.loadCompileInput();
    this.compiler = createIncrementalCompiler(input);
    this.compiles.full += 1;
    this.hub.install(
      this.compiler.current(),
      Math.max(stored, eventGeneration),
      false,
      tenantGenerations,
    );
  }

  private async compileTenants(
    tenantIds: string[],
    generation: number,
    tenantGenerations: ReadonlyMap<string, number>,
  ): Promise<void> {
    const compiler = this.compiler;
    if (!compiler) return this.compileAll(generation, tenantGenerations);
    const started = performance.now();
    let inputs: Map<string, TenantInput | null>;
    const loadTenant = this.source.loadTenantInput?.bind(this.source);
    if (loadTenant) {
      inputs = new Map();
      for (const id of tenantIds) inputs.set(id, await loadTenant(id));
    } else {
      const all = await this.source.loadCompileInput();
      const byId = new Map(all.tenants.map((tenant) => [tenant.id, tenant]));
      inputs = new Map(tenantIds.map((id) => [id, byId.get(id) ?? null]));
    }
    const loaded = performance.now();
    for (const [tenantId, tenant] of inputs) {
      compiler.update(tenant ? { kind: "tenant", tenant } : { kind: "removeTenant", tenantId });
      this.compiles.tenants += 1;
    }
    const compiled = performance.now();
    this.hub.install(compiler.current(), generation, true, tenantGenerations);
    this.lastTimings = {
      loadMs: loaded - started,
      compileMs: compiled - loaded,
      installMs: performance.now() - compiled,
    };
  }

  close(): void {
    this.closed = true;
  }
}
