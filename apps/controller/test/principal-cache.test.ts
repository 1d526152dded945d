import { describe, expect, it } from "vitest";
import type { Principal } from "../src/auth/principal";
import { PrincipalCache } from "../src/auth/principal-cache";

function principal(userId: string): Principal {
  return { userId, email: `${userId}@example.test`, globalRole: "none", memberships: new Map() };
}

/** A lookup that counts its calls and answers when told to. */
function gatedLookup(answer: Principal | null) {
  const calls = { count: 0 };
  let open: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    open = resolve;
  });
  const lookup = async () => {
    calls.count += 1;
    await gate;
    return answer;
  };
  return { calls, lookup, open: () => open() };
}

function cacheAt(clock: { now: number }, failures: unknown[] = []) {
  return new PrincipalCache({
    ttlMs: 30_000,
    refreshAheadMs: 5_000,
    onRefreshError: (error) => failures.push(error),
    now: () => clock.now,
  });
}

/** A cache whose `t:a` holds `userId`, looked up at time 0. */
async function cachedAtZero(userId: string) {
  const clock = { now: 0 };
  const failures: unknown[] = [];
  const cache = cacheAt(clock, failures);
  const first = gatedLookup(principal(userId));
  first.open();
  await cache.resolve("t:a", first.lookup);
  return { clock, failures, cache };
}

describe("PrincipalCache", () => {
  it("answers 100 concurrent misses for one credential with one lookup", async () => {
    const cache = cacheAt({ now: 0 });
    const { calls, lookup, open } = gatedLookup(principal("u1"));
    const waiting = Array.from({ length: 100 }, () => cache.resolve("t:a", lookup));
    open();
    const answers = await Promise.all(waiting);
    expect(calls.count).toBe(1);
    expect(new Set(answers.map((answer) => answer?.userId))).toEqual(new Set(["u1"]));
    await cache.resolve("t:a", lookup);
    expect(calls.count).toBe(1);
  });

  it("looks up again once the entry has expired, once for all waiting", async () => {
    const clock = { now: 1_000 };
    const cache = cacheAt(clock);
    const first = gatedLookup(principal("u1"));
    first.open();
    await cache.resolve("t:a", first.lookup);
    clock.now += 30_001;
    const second = gatedLookup(principal("u1"));
    const waiting = Array.from({ length: 10 }, () => cache.resolve("t:a", second.lookup));
    second.open();
    await Promise.all(waiting);
    expect([first.calls.count, second.calls.count]).toEqual([1, 1]);
  });

  it("keeps no answer of a lookup that began before a clear", async () => {
    const cache = cacheAt({ now: 0 });
    const stale = gatedLookup(principal("before-revocation"));
    const inFlight = cache.resolve("t:a", stale.lookup);
    cache.clear();
    stale.open();
    expect((await inFlight)?.userId).toBe("before-revocation");
    const fresh = gatedLookup(null);
    fresh.open();
    expect(await cache.resolve("t:a", fresh.lookup)).toBeNull();
    expect(fresh.calls.count).toBe(1);
  });

  it("keeps no null answer, and a failed lookup is retried by the next request", async () => {
    const cache = cacheAt({ now: 0 });
    const none = gatedLookup(null);
    none.open();
    expect(await cache.resolve("t:x", none.lookup)).toBeNull();
    expect(await cache.resolve("t:x", none.lookup)).toBeNull();
    expect(none.calls.count).toBe(2);
    const failing = async (): Promise<Principal | null> => {
      throw new Error("database unavailable");
    };
    await expect(cache.resolve("t:y", failing)).rejects.toThrow("database unavailable");
    const found = gatedLookup(principal("u2"));
    found.open();
    expect((await cache.resolve("t:y", found.lookup))?.userId).toBe("u2");
  });

  it("answers from the cache near expiry while one background lookup refreshes it", async () => {
    const { clock, failures, cache } = await cachedAtZero("old-roles");
    clock.now = 26_000;
    const refresh = gatedLookup(principal("new-roles"));
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => cache.resolve("t:a", refresh.lookup)),
    );
    expect(answers.map((answer) => answer?.userId)).toEqual(Array(20).fill("old-roles"));
    expect(refresh.calls.count).toBe(1);
    refresh.open();
    await new Promise((resolve) => setImmediate(resolve));
    expect((await cache.resolve("t:a", refresh.lookup))?.userId).toBe("new-roles");
    expect(refresh.calls.count).toBe(1);
    expect(failures).toEqual([]);
  });

  it("reports a failed background lookup and answers from the cache until expiry", async () => {
    const { clock, failures, cache } = await cachedAtZero("u1");
    clock.now = 29_000;
    const broken = async (): Promise<Principal | null> => {
      throw new Error("database unavailable");
    };
    expect((await cache.resolve("t:a", broken))?.userId).toBe("u1");
    await new Promise((resolve) => setImmediate(resolve));
    expect(failures).toHaveLength(1);
    clock.now = 30_001;
    await expect(cache.resolve("t:a", broken)).rejects.toThrow("database unavailable");
  });
});
