import { describe, expect, it } from "vitest";
import { pushTo, ShardedMap } from "../src/derive/shardedMap";

function filled(count: number): ShardedMap<number[]> {
  const map = new ShardedMap<number[]>();
  for (let i = 0; i < count; i++) pushTo(map, `wl-${i}`, i);
  return map;
}

function entries(map: ShardedMap<number[]>): [string, number[]][] {
  const all: [string, number[]][] = [];
  map.forEach((value, key) => {
    all.push([key, value]);
  });
  return all.sort(([a], [b]) => (a < b ? -1 : 1));
}

describe("copy-on-write sharded map", () => {
  it("leaves the map it was made from unchanged by sets and deletes", () => {
    const before = filled(100);
    const snapshot = entries(before);
    const after = new ShardedMap(before);
    after.delete("wl-3");
    after.delete("absent");
    after.set("wl-4", [40]);
    after.set("wl-new", [1]);
    expect(entries(before)).toEqual(snapshot);
    expect(before.size).toBe(100);
    expect(after.size).toBe(100);
    expect(after.has("wl-3")).toBe(false);
    expect(after.get("wl-4")).toEqual([40]);
    expect(after.get("wl-new")).toEqual([1]);
    expect(after.get("wl-5")).toBe(before.get("wl-5"));
    expect(after.keys().sort()).toEqual(
      [...before.keys().filter((k) => k !== "wl-3"), "wl-new"].sort(),
    );
  });

  it("gives back the previous map when every list has the same elements, else shares equal lists", () => {
    const before = filled(50);
    const rebuilt = new ShardedMap(before);
    rebuilt.delete("wl-7");
    pushTo(rebuilt, "wl-7", 7);
    expect(ShardedMap.reuseLists(before, rebuilt)).toBe(before);

    const changed = new ShardedMap(before);
    changed.delete("wl-7");
    pushTo(changed, "wl-7", 70);
    changed.delete("wl-8");
    pushTo(changed, "wl-8", 8);
    const shared = ShardedMap.reuseLists(before, changed);
    expect(shared).toBe(changed);
    expect(shared.get("wl-7")).toEqual([70]);
    expect(shared.get("wl-8")).toBe(before.get("wl-8"));
    expect(shared.get("wl-9")).toBe(before.get("wl-9"));
  });
});
