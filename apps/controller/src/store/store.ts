import type { CompileInput } from "@netloom/compiler";
import type {
  BgpSpec,
  EvpnType5Route,
  FabricFile,
  IntentFile,
  LearnedEvpnRoute,
  ResourceKind,
} from "@netloom/model";
import type { Db } from "../db";
import type { ControllerEvents } from "../events";
import type { AssertionChecker } from "./assertions";
import { type ChangeOutcome, type ChangeRequest, changeIntent, restoreGeneration } from "./change";
import { StoreCore } from "./core";
import { documentOf, resourcesOf } from "./document";
import { type LearnedRouteView, learnedRouteViews } from "./evpn";
import { type ExternalNetworkView, specOf } from "./external";
import {
  type ApplyFabricOptions,
  applyFabric,
  deleteFabricNode,
  type NodeList,
  replaceLearnedRoutes,
} from "./fabric-change";
import type { FollowCounters } from "./follow";
import type { IdempotentRequest } from "./idempotency";
import { nodeSpec } from "./load";
import { effectiveQuotas, usageOf } from "./quota";
import { refreshChange, refreshFabricNodes, reloadAll } from "./reload";
import { readHistory } from "./sql";
import { createTenant, deleteTenant, setQuotas } from "./tenants";
import type { AuditView, FabricNodeView, Quotas, StoredResource, TenantState } from "./types";

export type { ChangeOutcome } from "./change";

/**
 * The store of every tenant's intent and the fabric: the table of contents of its stages. Reads
 * are served from an in-memory copy (core.ts) that follows the database (reload.ts). An intent
 * change (change.ts) runs scope, candidate (candidate.ts: validate, schedule, allocate, quota,
 * assert), diff (document.ts) and commit (commit.ts, sql.ts) in one transaction that locks the
 * tenant row and re-checks the generation the copy was made at; after commit the copy is
 * updated and `changed` is emitted. Tenant lifecycle: tenants.ts; the fabric: fabric-change.ts.
 */
export class Store {
  private constructor(private readonly core: StoreCore) {}

  /** Opens the store and loads every tenant and node into memory. */
  static async open(
    db: Db,
    events: ControllerEvents,
    assertionChecker: AssertionChecker,
  ): Promise<Store> {
    const store = new Store(new StoreCore(db, events, assertionChecker));
    await store.reload();
    return store;
  }

  get db(): Db {
    return this.core.db;
  }

  get events(): ControllerEvents {
    return this.core.events;
  }

  /** What following the database cost (objects parsed against objects reused): tests read it. */
  get follow(): FollowCounters {
    return this.core.follow;
  }

  // ---------------------------------------------------------------- following the database

  /** Re-reads everything from the database (changes committed through other controllers). */
  reload(): Promise<void> {
    return reloadAll(this.core);
  }

  /** Follows one change committed through another controller (distribution's watch calls it). */
  refresh(change: { tenantId: string | null } | "full"): Promise<void> {
    return refreshChange(this.core, change);
  }

  /** Re-reads nodes after another layer (distribution) changed their status columns. */
  refreshFabricNodes(): Promise<void> {
    return refreshFabricNodes(this.core);
  }

  /**
   * Issue 14: calls `listener` after every re-read of the fabric, such as a `bgp` section
   * changed through another controller (no "changed" event is emitted for those). Answers the
   * unsubscribe.
   */
  onFabricReloaded(listener: () => void): () => void {
    this.core.fabricReloadListeners.add(listener);
    return () => this.core.fabricReloadListeners.delete(listener);
  }

  // ---------------------------------------------------------------- reads

  /** The fabric-wide generation: grows with every committed change. */
  get fabricGeneration(): number {
    return this.core.fabricGeneration;
  }

  /** Every tenant, by name. */
  listTenants(): TenantState[] {
    return this.core.listTenants();
  }

  /** A tenant by name, or undefined. */
  tenant(name: string): TenantState | undefined {
    return this.core.cache.named(name);
  }

  tenantById(id: string): TenantState | undefined {
    return this.core.cache.get(id);
  }

  /** The tenant's intent document, every allocation filled in. */
  document(state: TenantState): IntentFile {
    return documentOf(state);
  }

  /** The stored objects of one kind, in file order. */
  resources<K extends ResourceKind>(state: TenantState, kind: K): StoredResource<K>[] {
    return resourcesOf(state, kind);
  }

  usage(state: TenantState): { used: Quotas; quotas: Quotas } {
    return { used: usageOf(documentOf(state)), quotas: effectiveQuotas(state) };
  }

  /** One page of the tenant's audit events, newest first. */
  history(
    state: TenantState,
    page: { before?: string | undefined; limit: number },
  ): Promise<{ events: AuditView[]; next: string | null }> {
    return readHistory(this.core.db.sql, state.id, page);
  }

  fabricNodes(): FabricNodeView[] {
    return this.core.nodes;
  }

  /** The fabric's external networks (spec 1.1) with their fabric-wide VNIs. */
  fabricExternalNetworks(): ExternalNetworkView[] {
    return this.core.externalNetworks;
  }

  /** Issue 14: the Fabric file's `bgp` section, undefined when none is configured. */
  fabricBgp(): BgpSpec | undefined {
    return this.core.bgp;
  }

  /** The Fabric file as stored: nodes, external networks (with their `evpn`), `bgp`. */
  fabricFile(): FabricFile {
    const { nodes, externalNetworks, bgp } = this.core;
    return {
      apiVersion: "netloom/v1",
      kind: "Fabric",
      nodes: nodes.map(nodeSpec),
      ...(externalNetworks.length > 0 ? { externalNetworks: externalNetworks.map(specOf) } : {}),
      ...(bgp ? { bgp } : {}),
    };
  }

  /** The compiler's input: every tenant and node, allocations made. Cached between changes. */
  compileInput(): CompileInput {
    return this.core.inputs.current();
  }

  /** The compile input with one tenant replaced by a candidate (dry runs, assertions). */
  candidateInput(
    state: TenantState,
    prepared: { intent: IntentFile; natAddresses: Record<string, string> },
  ): CompileInput {
    return this.core.inputs.withCandidate(state, prepared);
  }

  // ---------------------------------------------------------------- EVPN (issue 14)

  /** Every speaker's learned EVPN routes (the union that compiles), sorted. */
  learnedRoutes(): LearnedEvpnRoute[] {
    return this.core.learned;
  }

  /** Every learned route with whether it is programmed, and why not. */
  learnedRouteViews(): LearnedRouteView[] {
    return learnedRouteViews(this.compileInput());
  }

  /** The EVPN type-5 routes this fabric exports, from the compiled node configs. */
  evpnExports(): Promise<EvpnType5Route[]> {
    return Promise.resolve(this.core.evpnWatch.current());
  }

  /**
   * Calls `listener` with the exported routes whenever they change (a change here or, once
   * refreshed, through another controller). Answers the unsubscribe.
   */
  onEvpnExportsChanged(listener: (routes: EvpnType5Route[]) => void): () => void {
    return this.core.evpnWatch.subscribe(listener);
  }

  /** Makes `source`'s learned routes exactly `routes` (a fabric change; see fabric-change.ts). */
  replaceLearnedRoutes(
    source: string,
    routes: readonly unknown[],
  ): Promise<{ changed: boolean; fabricGeneration: number }> {
    return replaceLearnedRoutes(this.core, source, routes);
  }

  // ---------------------------------------------------------------- tenant lifecycle

  /** Creates an empty tenant. CONFLICT when the name is taken. */
  createTenant(name: string, actor: string, idempotency?: IdempotentRequest): Promise<TenantState> {
    return createTenant(this.core, name, actor, idempotency);
  }

  /** Deletes a tenant and everything it owns; its configs leave every node. */
  deleteTenant(state: TenantState): Promise<void> {
    return deleteTenant(this.core, state);
  }

  /** Overrides some of a tenant's quotas (others keep their defaults). */
  setQuotas(state: TenantState, quotas: Partial<Quotas>, actor: string): Promise<Quotas> {
    return setQuotas(this.core, state, quotas, actor);
  }

  // ---------------------------------------------------------------- intent changes

  /**
   * The one way intent changes. `mutate` turns the current document into the desired one
   * (throwing CONFLICT or NOT_FOUND for stale revisions and missing objects); the candidate is
   * then validated as a whole tenant, allocated, quota- and assertion-checked, and committed
   * (or, with `dryRun`, only planned). The path: change.ts.
   */
  change(request: ChangeRequest): Promise<ChangeOutcome> {
    return changeIntent(this.core, request);
  }

  /** Makes the tenant's intent what it was at `generation` (a new generation, audited). */
  restore(state: TenantState, generation: number, actor: string, dryRun = false) {
    return restoreGeneration(this.core, state, generation, actor, dryRun);
  }

  // ---------------------------------------------------------------- fabric

  /**
   * Creates or updates forwarding nodes (by name); with `prune`, removes the ones not listed.
   * A node that still hosts workloads cannot be removed.
   */
  applyFabric(
    nodes: NodeList,
    options: ApplyFabricOptions,
  ): Promise<{ changed: string[]; fabricGeneration: number }> {
    return applyFabric(this.core, nodes, options);
  }

  /** Removes one node; CONFLICT listing the workloads it still hosts. */
  deleteFabricNode(name: string, expectedRevision?: number): Promise<number> {
    return deleteFabricNode(this.core, name, expectedRevision);
  }

  // ---------------------------------------------------------------- closing

  /**
   * Stops accepting writes (UNAVAILABLE from now on), waits for the ones in flight to commit or
   * fail, and for FabricState to hold their generations: after this the database may close.
   */
  async close(): Promise<void> {
    await this.core.writes.close();
    await this.core.fabricState.flush();
  }
}

// Re-exported for the callers that import them from the store.
export { notFound, staleRevision } from "./failures";
export { loadCompileInput } from "./load";
export type { AuditView, FabricNodeView } from "./types";
