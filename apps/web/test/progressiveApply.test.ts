import { describe, expect, it } from "vitest";
import { moveProgressively } from "../src/canvas/progressiveApply";

/** A frame scheduler the test steps by hand. */
function frames() {
  const queue: (() => void)[] = [];
  return {
    schedule: (step: () => void) => queue.push(step),
    unschedule: () => {},
    run: () => queue.shift()?.(),
    pending: () => queue.length,
  };
}

describe("moving nodes a slice per frame", () => {
  it("applies only the nodes that move, a slice per frame, then drops unknown ones", async () => {
    const current: Record<string, { x: number; y: number }> = {
      a: { x: 0, y: 0 },
      b: { x: 1, y: 1 },
      gone: { x: 9, y: 9 },
    };
    const target: Record<string, { x: number; y: number }> = { a: { x: 0, y: 0 } };
    for (let i = 0; i < 5; i++) target[`n${i}`] = { x: i * 10, y: 0 };
    target.b = { x: 2, y: 2 };
    const clock = frames();
    let renders = 0;
    const move = moveProgressively(
      current,
      target,
      () => renders++,
      2,
      clock.schedule,
      clock.unschedule,
    );
    // Nothing moves before the first frame: the caller's task stays short.
    expect(renders).toBe(0);
    expect(current.n0).toBeUndefined();
    clock.run();
    expect(renders).toBe(1);
    expect(Object.keys(current).filter((id) => id.startsWith("n")).length).toBe(2);
    clock.run();
    clock.run();
    // 6 moving nodes (a stays put) in slices of 2: three frames, then done.
    expect(clock.pending()).toBe(0);
    await move.done;
    expect(renders).toBe(3);
    expect(current).toEqual(target);
    expect(current.gone).toBeUndefined();
  });

  it("moves a few nodes at once, and a cancelled move stops where it is", async () => {
    const current: Record<string, { x: number; y: number }> = {};
    const clock = frames();
    let renders = 0;
    const small = moveProgressively(
      current,
      { a: { x: 1, y: 1 } },
      () => renders++,
      5,
      clock.schedule,
    );
    await small.done;
    expect(renders).toBe(1);
    expect(current.a).toEqual({ x: 1, y: 1 });

    const big: Record<string, { x: number; y: number }> = {};
    for (let i = 0; i < 10; i++) big[`m${i}`] = { x: i, y: i };
    const move = moveProgressively(
      current,
      big,
      () => renders++,
      3,
      clock.schedule,
      clock.unschedule,
    );
    clock.run();
    move.cancel();
    clock.run();
    await move.done;
    expect(Object.keys(current).filter((id) => id.startsWith("m")).length).toBe(3);
  });
});
