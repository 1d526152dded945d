import { describe, expect, it } from "vitest";
import { LiveValue } from "../src/live/live-value";

/** A wake source the test fires by hand; counts who listens. */
function handSource() {
  const pokes = new Set<() => void>();
  return {
    source: (poke: () => void) => {
      pokes.add(poke);
      return () => pokes.delete(poke);
    },
    fire: () => {
      for (const poke of pokes) poke();
    },
    listening: () => pokes.size,
  };
}

/** Reads `count` values from `iterator`, then stops. */
async function take<T>(iterator: AsyncGenerator<T>, count: number): Promise<T[]> {
  const values: T[] = [];
  while (values.length < count) {
    const next = await iterator.next();
    if (next.done) break;
    values.push(next.value);
  }
  return values;
}

describe("LiveValue", () => {
  it("hands every subscriber the value now and each change, computing once per wake", async () => {
    let value = 1;
    let computations = 0;
    const wake = handSource();
    const live = new LiveValue({
      compute: () => {
        computations += 1;
        return { value };
      },
      wakeOn: [wake.source],
      intervalMs: 0,
      onError: (error) => {
        throw error;
      },
    });
    const abort = new AbortController();
    const first = live.iterate(abort.signal);
    const second = live.iterate(abort.signal);
    expect(await take(first, 1)).toEqual([{ value: 1 }]);
    expect(await take(second, 1)).toEqual([{ value: 1 }]);
    expect(wake.listening()).toBe(1);
    const before = computations;
    value = 2;
    wake.fire();
    expect(await take(first, 1)).toEqual([{ value: 2 }]);
    expect(await take(second, 1)).toEqual([{ value: 2 }]);
    // One computation for the wake, shared by both subscribers.
    expect(computations - before).toBe(1);
    abort.abort();
    expect((await first.next()).done).toBe(true);
    expect((await second.next()).done).toBe(true);
    expect(wake.listening()).toBe(0);
  });

  it("pushes only what its fingerprint calls a change, and keeps the last value on a failure", async () => {
    let ticks = 0;
    let peer = "up";
    let fail = false;
    const errors: unknown[] = [];
    const wake = handSource();
    const live = new LiveValue({
      compute: () => {
        if (fail) throw new Error("speaker unreachable");
        ticks += 1;
        return { peer, uptime: ticks };
      },
      wakeOn: [wake.source],
      intervalMs: 0,
      fingerprint: (status) => status.peer,
      onError: (error) => errors.push(error),
    });
    const abort = new AbortController();
    const values = live.iterate(abort.signal);
    expect(await take(values, 1)).toEqual([{ peer: "up", uptime: 1 }]);
    wake.fire(); // only the uptime moved: no push
    fail = true;
    wake.fire();
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(errors).toHaveLength(1);
    fail = false;
    peer = "down";
    wake.fire();
    const [next] = await take(values, 1);
    expect(next?.peer).toBe("down");
    abort.abort();
    await values.next();
  });

  it("recomputes on its interval while watched, and not at all once nobody watches", async () => {
    let computations = 0;
    const live = new LiveValue({
      compute: () => {
        computations += 1;
        return computations;
      },
      wakeOn: [],
      intervalMs: 10,
      onError: (error) => {
        throw error;
      },
    });
    const abort = new AbortController();
    const values = live.iterate(abort.signal);
    expect(await take(values, 3)).toEqual([1, 2, 3]);
    abort.abort();
    await values.next();
    const stopped = computations;
    await new Promise((resolve) => setTimeout(resolve, 60));
    expect(computations).toBe(stopped);
  });
});
