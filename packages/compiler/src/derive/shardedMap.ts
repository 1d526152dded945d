import { sameItems } from "./reuse";

/*
 * A map from names to values split into a fixed number of small shards, copied on write: a map
 * made `from` a previous one shares every shard and copies only those it writes to. The
 * interface indexes (by workload, node, network, group) are patched by every update; copying
 * four whole Maps (and growing each copy by rehashing) was ~20 KB per update on a 100-workload
 * tenant, a copied shard is one sixteenth of that. A map is written only while its derivation
 * builds it; once published it is read only (ReadonlyIndex).
 */

/** What the derivation's readers use of an index (a ReadonlyMap is one too). */
export interface ReadonlyIndex<V> {
  readonly size: number;
  get(key: string): V | undefined;
  has(key: string): boolean;
  forEach(visit: (value: V, key: string) => void): void;
}

const SHARDS = 16;

/** The shard of a name: a multiplicative string hash, its low bits. */
function shardOf(key: string): number {
  let hash = 0;
  for (let i = 0; i < key.length; i++) hash = (Math.imul(hash, 31) + key.charCodeAt(i)) | 0;
  return (hash ^ (hash >>> 7)) & (SHARDS - 1);
}

export class ShardedMap<V> implements ReadonlyIndex<V> {
  private readonly shards: (Map<string, V> | undefined)[];
  /** Bit i set: shard i is this map's own (written to since it was made), not shared. */
  private owned = 0;
  private count: number;

  /** An empty map, or one sharing every shard of `previous` until written to. */
  constructor(previous?: ShardedMap<V>) {
    if (previous === undefined) {
      this.shards = new Array<Map<string, V> | undefined>(SHARDS).fill(undefined);
      this.count = 0;
    } else {
      this.shards = previous.shards.slice();
      this.count = previous.count;
    }
  }

  get size(): number {
    return this.count;
  }

  get(key: string): V | undefined {
    return this.shards[shardOf(key)]?.get(key);
  }

  has(key: string): boolean {
    return this.shards[shardOf(key)]?.has(key) ?? false;
  }

  /** Shard by shard, each in insertion order (readers look up by key or sort). */
  forEach(visit: (value: V, key: string) => void): void {
    for (const shard of this.shards) shard?.forEach(visit);
  }

  keys(): string[] {
    const keys: string[] = [];
    this.forEach((_value, key) => {
      keys.push(key);
    });
    return keys;
  }

  set(key: string, value: V): void {
    const shard = this.writable(shardOf(key));
    const before = shard.size;
    shard.set(key, value);
    this.count += shard.size - before;
  }

  delete(key: string): void {
    const index = shardOf(key);
    if (this.shards[index]?.has(key) !== true) return;
    this.writable(index).delete(key);
    this.count--;
  }

  /** Shard `index`, copied first when it is still shared with the map this one was made from. */
  private writable(index: number): Map<string, V> {
    const bit = 1 << index;
    const shard = this.shards[index];
    if (shard !== undefined && (this.owned & bit) !== 0) return shard;
    const own = new Map<string, V>();
    shard?.forEach((value, key) => {
      own.set(key, value);
    });
    this.shards[index] = own;
    this.owned |= bit;
    return own;
  }

  /**
   * `previous` when this map holds the same lists as it, else this map with each list and each
   * shard replaced by the previous one where its elements are the same (an update then keeps
   * alive only the lists and shards its edit changed).
   */
  static reuseLists<T>(
    previous: ShardedMap<T[]> | undefined,
    map: ShardedMap<T[]>,
  ): ShardedMap<T[]> {
    if (previous === undefined || previous === map) return map;
    let same = previous.count === map.count;
    for (let index = 0; index < SHARDS; index++) {
      const shard = map.shards[index];
      const before = previous.shards[index];
      if (shard === before) continue;
      if (shard === undefined || before === undefined || !reuseShardLists(before, shard)) {
        same = false;
        continue;
      }
      map.shards[index] = before;
      map.owned &= ~(1 << index);
    }
    return same && map.shards.every((shard, index) => shard === previous.shards[index])
      ? previous
      : map;
  }
}

/** Replaces each list of `shard` by the one of `before` with the same elements; true when the
 * shards then hold the same lists under the same keys. */
function reuseShardLists<T>(before: Map<string, T[]>, shard: Map<string, T[]>): boolean {
  let same = before.size === shard.size;
  shard.forEach((list, key) => {
    const kept = before.get(key);
    if (kept === undefined) {
      same = false;
    } else if (kept !== list) {
      if (sameItems(kept, list)) shard.set(key, kept);
      else same = false;
    }
  });
  return same;
}

export function pushTo<V>(map: ShardedMap<V[]>, key: string, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}
