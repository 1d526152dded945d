import type { TenantState } from "./types";

/**
 * The tenant caches of one controller: every tenant's state by id and by name. Several
 * controllers share one database, so the cache follows it (`swap` after a full re-read,
 * `put`/`forget` per tenant) and must never show a tenant missing that exists: a full re-read
 * builds new maps and swaps them in, and what this controller wrote while the re-read ran wins
 * over the older rows the re-read saw.
 */
export class TenantCache {
  private byId = new Map<string, TenantState>();
  private idByName = new Map<string, string>();
  /** Counts local writes; a re-read keeps what was written after it began. */
  private sequence = 0;
  /** The sequence of the last local write (put, forget) of each tenant id. */
  private readonly writtenAt = new Map<string, number>();

  /** Where local writes stand now; pass it back to `swap` or `writtenSince`. */
  get mark(): number {
    return this.sequence;
  }

  named(name: string): TenantState | undefined {
    const id = this.idByName.get(name);
    return id === undefined ? undefined : this.byId.get(id);
  }

  get(id: string): TenantState | undefined {
    return this.byId.get(id);
  }

  values(): IterableIterator<TenantState> {
    return this.byId.values();
  }

  put(state: TenantState): void {
    this.writtenAt.set(state.id, ++this.sequence);
    this.byId.set(state.id, state);
    this.idByName.set(state.name, state.id);
  }

  forget(state: Pick<TenantState, "id" | "name">): void {
    this.writtenAt.set(state.id, ++this.sequence);
    this.byId.delete(state.id);
    if (this.idByName.get(state.name) === state.id) this.idByName.delete(state.name);
  }

  /** Whether this controller wrote the tenant after `mark`. */
  writtenSince(id: string, mark: number): boolean {
    return (this.writtenAt.get(id) ?? -1) > mark;
  }

  /**
   * Replaces the maps with a full re-read that began at `mark`: a tenant written here since
   * keeps the newer state (or stays deleted); one gone from the database leaves.
   */
  swap(loaded: ReadonlyMap<string, TenantState>, mark: number): void {
    const next = new Map<string, TenantState>();
    for (const [id, state] of loaded) {
      const cached = this.byId.get(id);
      if (this.writtenSince(id, mark) && !cached) continue; // deleted here meanwhile
      next.set(id, newerOf(cached, state));
    }
    for (const [id, cached] of this.byId) {
      if (!loaded.has(id) && this.writtenSince(id, mark)) next.set(id, cached);
    }
    this.byId = next;
    this.idByName = new Map([...next.values()].map((state) => [state.name, state.id]));
  }
}

/** The id a tenant has before it is stored (dry runs of a tenant's first file). */
export function placeholderId(name: string): string {
  return `new:${name}`;
}
/** The cached state unless the one read from the database is at least as new. */
export function newerOf(cached: TenantState | undefined, read: TenantState): TenantState {
  return cached && cached.generation > read.generation ? cached : read;
}

/** A tenant with nothing in it; `id` is a placeholder until the tenant is stored. */
export function emptyTenant(name: string, id = placeholderId(name)): TenantState {
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
