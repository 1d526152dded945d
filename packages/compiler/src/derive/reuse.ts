import type { NetworkInstance } from "../config";
import type { NetInfo } from "./pieces";

/*
 * Structural comparisons and the "keep the previous object when equal" helpers every stage of
 * the derivation uses: an update keeps alive only what its edit changed.
 */

/**
 * Whether two JSON-like values (plain objects, arrays, strings, numbers, booleans) are equal,
 * walking both without serializing them. Key order is ignored: nothing derived depends on it.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  // Own keys only is not checked per key: both are plain objects (parsed or built here), whose
  // prototypes add no enumerable keys, so for-in counts own keys alike on both sides; an own-key
  // lookup runs only where y reads undefined (absent, or present as undefined). A third faster
  // than checking every key (an update compares every workload of the tenant).
  let keys = 0;
  for (const key in x) {
    const value = y[key];
    if (value === undefined && !Object.hasOwn(y, key)) return false;
    if (!sameJson(x[key], value)) return false;
    keys++;
  }
  for (const _key in y) keys--;
  return keys === 0;
}

/** The same elements (by identity) in the same order. */
export function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

export function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  return sameItems(a, b);
}

export function sameCidrs(cidrs: readonly string[], subnets: readonly { cidr: string }[]): boolean {
  if (cidrs.length !== subnets.length) return false;
  for (let i = 0; i < cidrs.length; i++) if (cidrs[i] !== subnets[i]?.cidr) return false;
  return true;
}

export function sameSlots(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `previous` when it holds the same elements as `list`, else `list`. */
export function reuseList<T>(previous: T[] | undefined, list: T[]): T[] {
  return previous !== undefined && previous !== list && sameItems(previous, list) ? previous : list;
}

/**
 * `previous` when it maps the same keys to the same values as `map` (insertion order may
 * differ: every map kept here is read by key, or its values are sorted or order-carrying).
 */
export function reuseMap<K, V>(previous: Map<K, V> | undefined, map: Map<K, V>): Map<K, V> {
  if (previous === undefined || previous === map || previous.size !== map.size) return map;
  let same = true;
  map.forEach((value, key) => {
    if (same && previous.get(key) !== value) same = false;
  });
  return same ? previous : map;
}

/** Like reuseMap, each list first replaced by the previous one when its elements are the same. */
export function reuseMapOfLists<K, V>(
  previous: Map<K, V[]> | undefined,
  map: Map<K, V[]>,
): Map<K, V[]> {
  if (previous === undefined) return map;
  map.forEach((list, key) => {
    const before = previous.get(key);
    if (before !== undefined && before !== list && sameItems(before, list)) map.set(key, before);
  });
  return reuseMap(previous, map);
}

/** Each element replaced by the previous list's element at its index when `same` says equal. */
export function reuseEach<T>(
  previous: readonly T[] | undefined,
  list: T[],
  same: (a: T, b: T) => boolean,
): T[] {
  if (previous === undefined) return list;
  for (let i = 0; i < list.length; i++) {
    const before = previous[i];
    const now = list[i];
    if (before !== undefined && now !== undefined && before !== now && same(before, now)) {
      list[i] = before;
    }
  }
  return list;
}

/** Equal reach maps: the same networks, each with the same set. */
export function sameReach(
  a: ReadonlyMap<string, Set<string>>,
  b: ReadonlyMap<string, Set<string>>,
): boolean {
  if (a.size !== b.size) return false;
  // forEach, not for-of: no iterator result per entry.
  let same = true;
  b.forEach((reach, name) => {
    if (!same) return;
    const other = a.get(name);
    if (other === undefined || other.size !== reach.size) same = false;
    else
      reach.forEach((target) => {
        if (same && !other.has(target)) same = false;
      });
  });
  return same;
}

/** The same network names in the same order. */
export function sameNetNames(before: readonly NetInfo[], after: readonly NetInfo[]): boolean {
  if (before.length !== after.length) return false;
  for (let i = 0; i < before.length; i++) if (before[i]?.name !== after[i]?.name) return false;
  return true;
}

/** The same networks at the same places with the same subnets (what interfaces derive from). */
export function sameNetSlots(before: readonly NetInfo[], after: readonly NetInfo[]): boolean {
  if (before.length !== after.length) return false;
  for (let i = 0; i < before.length; i++) {
    const x = before[i];
    const y = after[i];
    if (x === undefined || y === undefined) return false;
    if (x.name !== y.name || x.subnetsKey !== y.subnetsKey || x.order !== y.order) return false;
  }
  return true;
}

/** Equal network instances, their policy entries compared by identity. */
export function sameInstance(a: NetworkInstance, b: NetworkInstance): boolean {
  if (a.name !== b.name || a.vni !== b.vni || a.external !== b.external) return false;
  if (a.acl.length !== b.acl.length || !sameJson(a.subnets, b.subnets)) return false;
  for (let i = 0; i < a.acl.length; i++) if (a.acl[i] !== b.acl[i]) return false;
  return true;
}
