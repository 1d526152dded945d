import { assertNever, type FabricNodeSpec } from "@netloom/model";
import type { CompiledFabric, CompileInput, NodeConfig, TenantConfig, TenantInput } from "./config";
import { fnv1a64 } from "./hash";
import {
  changeScope,
  deriveTenant,
  nodeAffected,
  type TenantDerived,
  tenantConfigFor,
} from "./tenant";

/** One change to the compiler's input. */
export type CompileChange =
  /** Adds a tenant or replaces its whole intent (object edits arrive as the new intent). */
  | { kind: "tenant"; tenant: TenantInput }
  | { kind: "removeTenant"; tenantId: string }
  /** Replaces the fabric (nodes and underlays): recompiles everything. */
  | { kind: "fabric"; fabric: { nodes: FabricNodeSpec[] } };

/** The result of an incremental update. */
export interface CompileUpdate {
  compiled: CompiledFabric;
  /** Nodes whose hash changed, were added or removed, in fabric order (removed ones last). */
  changedNodes: string[];
}

/** A compiler that keeps per-tenant and per-node results and recompiles only what a change touches. */
export interface IncrementalCompiler {
  current(): CompiledFabric;
  update(change: CompileChange): CompileUpdate;
}

interface TenantEntry {
  input: TenantInput;
  derived: TenantDerived;
}

interface NodeTenant {
  config: TenantConfig;
  hash: string;
}

class CompilerState {
  private underlays = new Map<string, string>();
  private nodeOrder: string[] = [];
  private nodeIndex = new Map<string, number>();
  private readonly tenants = new Map<string, TenantEntry>();
  /** Per node: its tenants' configs, by tenant id. */
  private readonly perNode = new Map<string, Map<string, NodeTenant>>();
  /** Every node's config and hash, in fabric order; copied (not mutated) on each change. */
  private assembled = new Map<string, { config: NodeConfig; hash: string }>();
  private compiled: CompiledFabric = { nodes: {}, hashes: {} };

  constructor(
    input: CompileInput,
    /** Keeps per-tenant caches for updates; a one-shot compile skips them. */
    private readonly incremental: boolean,
  ) {
    this.setFabric(input.fabric.nodes);
    for (const tenant of input.tenants) this.tenants.set(tenant.id, this.derive(tenant));
    this.rebuildAll();
  }

  current(): CompiledFabric {
    return this.compiled;
  }

  update(change: CompileChange): CompileUpdate {
    switch (change.kind) {
      case "fabric": {
        const before = this.compiled;
        this.setFabric(change.fabric.nodes);
        for (const [id, entry] of this.tenants) {
          this.tenants.set(id, this.derive(entry.input));
        }
        this.rebuildAll();
        return { compiled: this.compiled, changedNodes: changedBetween(before, this.compiled) };
      }
      case "tenant": {
        const previous = this.tenants.get(change.tenant.id);
        const entry = this.derive(change.tenant, previous?.derived);
        this.tenants.set(change.tenant.id, entry);
        return this.refreshTenant(change.tenant.id, previous, entry);
      }
      case "removeTenant": {
        const previous = this.tenants.get(change.tenantId);
        if (previous === undefined) return { compiled: this.compiled, changedNodes: [] };
        this.tenants.delete(change.tenantId);
        return this.refreshTenant(change.tenantId, previous, undefined);
      }
      default:
        return assertNever(change, "change");
    }
  }

  private setFabric(nodes: readonly FabricNodeSpec[]): void {
    this.underlays = new Map(nodes.map((node) => [node.name, node.underlay]));
    this.nodeOrder = nodes.map((node) => node.name);
    this.nodeIndex = new Map(this.nodeOrder.map((node, index) => [node, index]));
  }

  private derive(input: TenantInput, previous?: TenantDerived): TenantEntry {
    return {
      input,
      derived: deriveTenant(input, this.underlays, previous, this.incremental),
    };
  }

  private rebuildAll(): void {
    this.perNode.clear();
    for (const node of this.nodeOrder) this.perNode.set(node, new Map());
    for (const [id, entry] of this.tenants) {
      for (const node of entry.derived.nodes) {
        const config = tenantConfigFor(entry.derived, node, this.underlays);
        if (config !== undefined) {
          this.perNode.get(node)?.set(id, { config: config.value, hash: config.hash });
        }
      }
    }
    const nodes: Record<string, NodeConfig> = {};
    const hashes: Record<string, string> = {};
    this.assembled = new Map();
    for (const node of this.nodeOrder) {
      const assembled = this.assemble(node);
      this.assembled.set(node, assembled);
      nodes[node] = assembled.config;
      hashes[node] = assembled.hash;
    }
    this.compiled = { nodes, hashes };
  }

  private refreshTenant(
    id: string,
    previous: TenantEntry | undefined,
    next: TenantEntry | undefined,
  ): CompileUpdate {
    const touched = new Set<string>(previous?.derived.nodes ?? []);
    for (const node of next?.derived.nodes ?? []) touched.add(node);
    const scope =
      previous !== undefined && next !== undefined
        ? changeScope(previous.derived, next.derived)
        : undefined;
    const changedNodes: string[] = [];
    let updated: Map<string, { config: NodeConfig; hash: string }> | undefined;
    // In fabric order, without walking the whole fabric.
    const ordered = [...touched].sort(
      (a, b) => (this.nodeIndex.get(a) ?? 0) - (this.nodeIndex.get(b) ?? 0),
    );
    for (const node of ordered) {
      const tenantsHere = this.perNode.get(node);
      if (tenantsHere === undefined) continue;
      const before = tenantsHere.get(id);
      if (scope !== undefined && !nodeAffected(scope, node, before?.config)) continue;
      const config =
        next === undefined ? undefined : tenantConfigFor(next.derived, node, this.underlays);
      if (config === undefined) {
        if (before === undefined) continue;
        tenantsHere.delete(id);
      } else {
        if (before !== undefined && before.hash === config.hash) {
          // Same content: keep the old objects so unchanged nodes stay identical.
          continue;
        }
        tenantsHere.set(id, { config: config.value, hash: config.hash });
      }
      const assembled = this.assemble(node);
      updated ??= new Map(this.assembled);
      if (updated.get(node)?.hash !== assembled.hash) changedNodes.push(node);
      updated.set(node, assembled);
    }
    if (updated !== undefined) {
      this.assembled = updated;
      this.compiled = snapshotOf(updated);
    }
    return { compiled: this.compiled, changedNodes };
  }

  private assemble(node: string): { config: NodeConfig; hash: string } {
    const underlay = this.underlays.get(node) ?? "";
    const entries = [...(this.perNode.get(node)?.entries() ?? [])].sort((a, b) =>
      a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0,
    );
    const config: NodeConfig = {
      node,
      underlay,
      tenants: entries.map(([, entry]) => entry.config),
    };
    const hash = fnv1a64(`${node},${underlay},${entries.map(([, entry]) => entry.hash).join(",")}`);
    return { config, hash };
  }
}

/**
 * A CompiledFabric over an immutable map of node results. Its records are built on first read:
 * an update costs what it changed, not a copy of every node's entry.
 */
function snapshotOf(
  entries: ReadonlyMap<string, { config: NodeConfig; hash: string }>,
): CompiledFabric {
  const snapshot = {} as CompiledFabric;
  const materialize = () => {
    const nodes: Record<string, NodeConfig> = {};
    const hashes: Record<string, string> = {};
    for (const [node, entry] of entries) {
      nodes[node] = entry.config;
      hashes[node] = entry.hash;
    }
    Object.defineProperty(snapshot, "nodes", { value: nodes, enumerable: true, writable: true });
    Object.defineProperty(snapshot, "hashes", { value: hashes, enumerable: true, writable: true });
  };
  for (const key of ["nodes", "hashes"] as const) {
    Object.defineProperty(snapshot, key, {
      enumerable: true,
      configurable: true,
      get: () => {
        materialize();
        return snapshot[key];
      },
    });
  }
  return snapshot;
}

function changedBetween(before: CompiledFabric, after: CompiledFabric): string[] {
  const changed: string[] = [];
  for (const [node, hash] of Object.entries(after.hashes)) {
    if (before.hashes[node] !== hash) changed.push(node);
  }
  for (const node of Object.keys(before.hashes)) {
    if (after.hashes[node] === undefined) changed.push(node);
  }
  return changed;
}

/**
 * Compiles every tenant's intent and the fabric into one config per fabric node, each with a
 * content hash. Pure and deterministic: the same input gives byte-identical JSON.
 * Throws NetloomError INVALID when an allocation (node, address, VNI, NAT address) is missing.
 */
export function compile(input: CompileInput): CompiledFabric {
  return new CompilerState(input, false).current();
}

/** An incremental compiler seeded with `input`; see CompileChange. */
export function createIncrementalCompiler(input: CompileInput): IncrementalCompiler {
  const state = new CompilerState(input, true);
  return {
    current: () => state.current(),
    update: (change) => state.update(change),
  };
}
