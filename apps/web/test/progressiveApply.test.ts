import { describe, expect, it } from "vitest";
import { moveProgressively } from "../src/canvas/progressiveApply";

type Positions = Record<string, { x: number; y: number }>;

/** A frame scheduler and clock the test steps by hand. */
function frames() {
  const queue: (() => void)[] = [];
  let time = 0;
  return {
    options: {
      schedule: (step: () => void) => queue.push(step),
      unschedule: () => {},
      now: () => time,
    },
    /** Runs the next frame, `ms` after the previous one. */
    run: (ms: number) => {
      time += ms;
      queue.shift()?.();
    },
    pending: () => queue.length,
  };
}

function nodes(count: number, prefix = "n"): Positions {
  const out: Positions = {};
  for (let i = 0; i < count; i++) out[`${prefix}${i}`] = { x: i, y: i };
  return out;
}

const placed = (current: Positions, prefix: string) =>
  Object.keys(current).filter((id) => id.startsWith(prefix)).length;

describe("moving nodes a slice per frame", () => {
  it("moves only nodes that change, a slice per frame, then drops unknown ones", async () => {
    const current: Positions = { a: { x: 0, y: 0 }, gone: { x: 9, y: 9 } };
    const target: Positions = { a: { x: 0, y: 0 }, ...nodes(6) };
    const clock = frames();
    let renders = 0;
    const move = moveProgressively(current, target, () => renders++, {
      ...clock.options,
      firstSlice: 2,
    });
    // Nothing moves in the caller's task: the first slice waits for a frame.
    expect(renders).toBe(0);
    expect(placed(current, "n")).toBe(0);
    // Frames at a steady 30 ms keep the slice as it is: 6 moving nodes (a stays) in 3 frames.
    clock.run(30);
    expect(placed(current, "n")).toBe(2);
    clock.run(30);
    clock.run(30);
    expect(clock.pending()).toBe(0);
    await move.done;
    expect(renders).toBe(3);
    expect(current).toEqual(target);
  });

  it("halves the slice after a slow frame and grows it after a quick one", () => {
    const current: Positions = {};
    const clock = frames();
    moveProgressively(current, nodes(1000), () => {}, { ...clock.options, firstSlice: 100 });
    clock.run(16);
    expect(placed(current, "n")).toBe(100);
    clock.run(120); // the last slice's render blocked: halve
    expect(placed(current, "n")).toBe(150);
    clock.run(10); // quick: grow by half
    expect(placed(current, "n")).toBe(225);
  });

  it("moves a few nodes at once; a cancelled move stops where it is", async () => {
    const current: Positions = {};
    const clock = frames();
    let renders = 0;
    await moveProgressively(current, { a: { x: 1, y: 1 } }, () => renders++, clock.options).done;
    expect(renders).toBe(1);
    expect(current.a).toEqual({ x: 1, y: 1 });
    const move = moveProgressively(current, { ...current, ...nodes(10, "m") }, () => renders++, {
      ...clock.options,
      firstSlice: 3,
    });
    clock.run(30);
    move.cancel();
    clock.run(30);
    await move.done;
    expect(placed(current, "m")).toBe(3);
  });
});
