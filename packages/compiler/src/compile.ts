import { assertNever } from "@netloom/model";
import type { CompiledFabric, CompileInput, NodeConfig, TenantConfig, TenantInput } from "./config";
import { type FabricView, fabricViewOf, type TenantDerived } from "./derive/pieces";
import { deriveTenant } from "./derive/tenant";
import { importLearnedRoutes, learnedRoutesOfNode, NO_IMPORTED_ROUTES } from "./evpn/import";
import { HashFold } from "./hash";
import { type NodeCut, NodeCutter } from "./nodeConfig";
import { changeScope, nodeAffected } from "./scope";

/** One change to the compiler's input. */
export type CompileChange =
  /** Adds a tenant or replaces its whole intent (object edits arrive as the new intent). */
  | { kind: "tenant"; tenant: TenantInput }
  | { kind: "removeTenant"; tenantId: string }
  /** Replaces the fabric (nodes and underlays): recompiles everything. */
  | { kind: "fabric"; fabric: CompileInput["fabric"] };

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

/** One tenant's config on one node. */
interface NodeTenant {
  id: string;
  config: TenantConfig;
  /** The config's hash, as halves: compared by an update, folded into the node's hash. */
  high: number;
  low: number;
}

/** One node's assembled config and hash. */
interface NodeResult {
  config: NodeConfig;
  hash: string;
}

/**
 * Node results live in chunks of CHUNK_SIZE, in fabric order. An update copies the chunk list
 * and only the chunks it writes (copy on write), so earlier snapshots stay intact and an update
 * costs what it changed plus fabric size / CHUNK_SIZE pointers, not a copy of every node.
 */
const CHUNK_BITS = 4;
const CHUNK_SIZE = 1 << CHUNK_BITS;
const CHUNK_MASK = CHUNK_SIZE - 1;

class CompilerState {
  private fabric: FabricView = fabricViewOf(new Map(), []);
  private readonly cutter = new NodeCutter();
  /** The node hash fold, reset per node (never reentered: assemble is synchronous). */
  private readonly nodeFold = new HashFold();
  private nodeOrder: string[] = [];
  private nodeIndex = new Map<string, number>();
  /** Sorted fabric indexes of a tenant's node list, for the current fabric. */
  private indexCache = new WeakMap<readonly string[], number[]>();
  private readonly tenants = new Map<string, TenantEntry>();
  /** Per node (by fabric index): its tenants' configs, sorted by tenant id. */
  private perNode: NodeTenant[][] = [];
  /** Every node's result in fabric order, chunked; never mutated once published. */
  private chunks: NodeResult[][] = [];
  private compiled: CompiledFabric = { nodes: {}, hashes: {} };
  /** Issue 14: the fabric's learned EVPN routes, decided once per fabric change (evpn/). */
  private learned = NO_IMPORTED_ROUTES;

  constructor(
    input: CompileInput,
    /** Keeps per-tenant caches for updates; a one-shot compile skips them. */
    private readonly incremental: boolean,
  ) {
    this.setFabric(input.fabric);
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
        this.setFabric(change.fabric);
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

  private setFabric(fabric: CompileInput["fabric"]): void {
    const nodes = fabric.nodes;
    this.fabric = fabricViewOf(
      new Map(nodes.map((node) => [node.name, node.underlay])),
      fabric.externalNetworks ?? [],
    );
    this.nodeOrder = nodes.map((node) => node.name);
    this.nodeIndex = new Map(this.nodeOrder.map((node, index) => [node, index]));
    this.indexCache = new WeakMap();
    this.learned = importLearnedRoutes(fabric);
  }

  private derive(input: TenantInput, previous?: TenantDerived): TenantEntry {
    return {
      input,
      derived: deriveTenant(input, this.fabric, previous, this.incremental),
    };
  }

  private rebuildAll(): void {
    this.perNode = this.nodeOrder.map(() => []);
    for (const [id, entry] of this.tenants) {
      for (const node of entry.derived.nodes) {
        const index = this.nodeIndex.get(node);
        if (index === undefined) continue;
        const cut = this.cutter.cut(entry.derived, node, undefined);
        if (cut !== undefined) this.perNode[index]?.push(nodeTenant(id, cut));
      }
    }
    for (const list of this.perNode) list.sort((a, b) => compareIds(a.id, b.id));
    const chunks: NodeResult[][] = [];
    const nodes: Record<string, NodeConfig> = {};
    const hashes: Record<string, string> = {};
    this.nodeOrder.forEach((node, index) => {
      const chunk = index >> CHUNK_BITS;
      let results = chunks[chunk];
      if (results === undefined) {
        results = [];
        chunks.push(results);
      }
      const assembled = this.assemble(index);
      results.push(assembled);
      nodes[node] = assembled.config;
      hashes[node] = assembled.hash;
    });
    this.chunks = chunks;
    this.compiled = { nodes, hashes };
  }

  private refreshTenant(
    id: string,
    previous: TenantEntry | undefined,
    next: TenantEntry | undefined,
  ): CompileUpdate {
    const scope =
      previous !== undefined && next !== undefined
        ? changeScope(previous.derived, next.derived)
        : undefined;
    const changedNodes: string[] = [];
    let chunks: NodeResult[][] | undefined;
    // Chunks copied by this update (one byte each; a fabric of 1,000 nodes has 63 chunks).
    let copiedChunks: Uint8Array | undefined;
    // In fabric order, without walking the whole fabric.
    const touched = this.touchedIndexes(previous, next);
    for (let k = 0; k < touched.length; k++) {
      const index = touched[k] ?? -1;
      const node = this.nodeOrder[index];
      const tenantsHere = this.perNode[index];
      if (node === undefined || tenantsHere === undefined) continue;
      const position = positionOf(tenantsHere, id);
      const before = tenantsHere[position]?.id === id ? tenantsHere[position] : undefined;
      if (scope !== undefined && !nodeAffected(scope, node, before?.config)) continue;
      const cut =
        next === undefined ? undefined : this.cutter.cut(next.derived, node, before?.config);
      if (cut === undefined) {
        if (before === undefined) continue;
        tenantsHere.splice(position, 1);
      } else if (before === undefined) {
        tenantsHere.splice(position, 0, nodeTenant(id, cut));
      } else if (before.high === cut.high && before.low === cut.low) {
        // Same content: keep the old objects so unchanged nodes stay identical.
        continue;
      } else {
        tenantsHere[position] = nodeTenant(id, cut);
      }
      const assembled = this.assemble(index);
      chunks ??= this.chunks.slice();
      copiedChunks ??= new Uint8Array(chunks.length);
      const chunk = index >> CHUNK_BITS;
      let results = chunks[chunk];
      if (results === undefined) continue;
      if (copiedChunks[chunk] !== 1) {
        results = results.slice();
        chunks[chunk] = results;
        copiedChunks[chunk] = 1;
      }
      if (results[index & CHUNK_MASK]?.hash !== assembled.hash) changedNodes.push(node);
      results[index & CHUNK_MASK] = assembled;
    }
    if (chunks !== undefined) {
      this.chunks = chunks;
      this.compiled = snapshotOf(this.nodeOrder, chunks);
    }
    return { compiled: this.compiled, changedNodes };
  }

  /** Fabric indexes of the nodes the tenant was or is on, ascending. */
  private touchedIndexes(
    previous: TenantEntry | undefined,
    next: TenantEntry | undefined,
  ): readonly number[] {
    // The same node list as before (the derivation keeps it when equal): its indexes, once.
    const nodes = next?.derived.nodes;
    if (nodes !== undefined && previous?.derived.nodes === nodes) {
      const known = this.indexCache.get(nodes);
      if (known !== undefined) return known;
      const indexes = this.indexesOf(nodes);
      this.indexCache.set(nodes, indexes);
      return indexes;
    }
    const indexes: number[] = [];
    this.pushIndexes(previous?.derived.nodes ?? [], indexes);
    const before = indexes.length;
    this.pushIndexes(next?.derived.nodes ?? [], indexes);
    indexes.sort((a, b) => a - b);
    if (before === 0 || before === indexes.length) return indexes;
    // Both lists: drop the duplicates, in place.
    let kept = 0;
    for (let k = 0; k < indexes.length; k++) {
      const index = indexes[k] ?? -1;
      if (kept === 0 || indexes[kept - 1] !== index) indexes[kept++] = index;
    }
    indexes.length = kept;
    return indexes;
  }

  /** Fabric indexes of the nodes, ascending. */
  private indexesOf(nodes: readonly string[]): number[] {
    return this.pushIndexes(nodes, []).sort((a, b) => a - b);
  }

  /** Adds the fabric index of each known node (an indexed loop: no iterator per update). */
  private pushIndexes(nodes: readonly string[], indexes: number[]): number[] {
    for (let k = 0; k < nodes.length; k++) {
      const index = this.nodeIndex.get(nodes[k] ?? "");
      if (index !== undefined) indexes.push(index);
    }
    return indexes;
  }

  /**
   * A node's config and hash: FNV-1a 64 of `node,underlay,` and then each tenant config's hash
   * as two 32-bit words (two steps per tenant, where its 16 hex digits and a comma took 17).
   */
  private assemble(index: number): NodeResult {
    const node = this.nodeOrder[index] ?? "";
    const underlay = this.fabric.underlays.get(node) ?? "";
    const entries = this.perNode[index] ?? [];
    // Pushed, not preallocated: a packed array keeps JSON.stringify on its fast path.
    const tenants: TenantConfig[] = [];
    const fold = this.nodeFold.reset().chars(node).chars(",").chars(underlay).chars(",");
    for (let k = 0; k < entries.length; k++) {
      const entry = entries[k];
      if (entry === undefined) continue;
      tenants.push(entry.config);
      fold.pair(entry.high, entry.low);
    }
    // Issue 14: learned EVPN routes of the networks carried here, folded in when there are any.
    const learned = learnedRoutesOfNode(this.learned, tenants);
    if (learned === undefined) return { config: { node, underlay, tenants }, hash: fold.digest() };
    fold.chars(",evpn:").chars(learned.hash);
    return {
      config: { node, underlay, tenants, learnedRoutes: learned.routes },
      hash: fold.digest(),
    };
  }
}

/** A tenant's entry on a node for a config the cutter has just made. */
function nodeTenant(id: string, cut: NodeCut): NodeTenant {
  return { id, config: cut.config, high: cut.high, low: cut.low };
}

function compareIds(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Where the tenant id is, or would be inserted, in a list sorted by id. */
function positionOf(list: readonly NodeTenant[], id: string): number {
  let low = 0;
  let high = list.length;
  while (low < high) {
    const middle = (low + high) >> 1;
    if ((list[middle]?.id ?? "") < id) low = middle + 1;
    else high = middle;
  }
  return low;
}

/**
 * A CompiledFabric over immutable chunks of node results. Its records are built on first read:
 * an update costs what it changed, not a copy of every node's entry.
 */
function snapshotOf(nodeOrder: readonly string[], chunks: readonly NodeResult[][]): CompiledFabric {
  const snapshot = {} as CompiledFabric;
  const materialize = () => {
    const nodes: Record<string, NodeConfig> = {};
    const hashes: Record<string, string> = {};
    nodeOrder.forEach((node, index) => {
      const entry = chunks[index >> CHUNK_BITS]?.[index & CHUNK_MASK];
      if (entry === undefined) return;
      nodes[node] = entry.config;
      hashes[node] = entry.hash;
    });
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
