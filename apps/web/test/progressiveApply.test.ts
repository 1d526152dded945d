import { describe, expect, it } from "vitest";
import {
  moveProgressively,
  undoAfterHandMoves,
  withHandMoves,
} from "../src/canvas/progressiveApply";

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

describe("slices counted by cost", () => {
  it("moves free nodes at once and counts only the costly ones against the slice", async () => {
    const current: Positions = {};
    const target = { ...nodes(6, "free"), ...nodes(4, "held") };
    const clock = frames();
    const move = moveProgressively(current, target, () => {}, {
      ...clock.options,
      firstSlice: 2,
      cost: (id) => (id.startsWith("held") ? 1 : 0),
    });
    clock.run(30);
    // Every free node plus two costly ones in the first frame.
    expect(placed(current, "free")).toBe(6);
    expect(placed(current, "held")).toBe(2);
    clock.run(30);
    await move.done;
    expect(current).toEqual(target);
    // A move whose cost fits one slice happens in the caller's task.
    const cheap: Positions = {};
    let renders = 0;
    moveProgressively(cheap, nodes(500), () => renders++, { ...clock.options, cost: () => 0 });
    expect(renders).toBe(1);
    expect(Object.keys(cheap)).toHaveLength(500);
  });
});

describe("a drag wins over a layout being applied", () => {
  it("never moves a node held by hand, even one taken mid-apply; the rest still applies", async () => {
    const current: Positions = nodes(8);
    const target: Positions = {};
    for (const id of Object.keys(current)) target[id] = { x: 1000, y: 1000 };
    const heldByHand = new Set(["n0"]);
    const clock = frames();
    const move = moveProgressively(current, target, () => {}, {
      ...clock.options,
      firstSlice: 2,
      heldByHand,
    });
    clock.run(30);
    // n7 is the last in line: the user grabs it and drops it while the first slices apply.
    heldByHand.add("n7");
    current.n7 = { x: -40, y: 77 };
    while (clock.pending() > 0) clock.run(30);
    await move.done;
    expect(current.n0).toEqual({ x: 0, y: 0 });
    expect(current.n7).toEqual({ x: -40, y: 77 });
    for (let i = 1; i < 7; i++) expect(current[`n${i}`]).toEqual({ x: 1000, y: 1000 });
  });

  it("keeps a held node the layout does not know", async () => {
    const current: Positions = { a: { x: 1, y: 1 }, mine: { x: 5, y: 5 } };
    const clock = frames();
    await moveProgressively(current, { a: { x: 2, y: 2 } }, () => {}, {
      ...clock.options,
      heldByHand: new Set(["mine"]),
    }).done;
    expect(current).toEqual({ a: { x: 2, y: 2 }, mine: { x: 5, y: 5 } });
  });

  it("puts hand-moved nodes into the layout that is saved and into its undo", () => {
    const layout: Positions = { a: { x: 100, y: 0 }, b: { x: 200, y: 0 } };
    const onScreen: Positions = { a: { x: 1, y: 1 }, b: { x: 7, y: 9 } };
    expect(withHandMoves(layout, onScreen, new Set(["b"]))).toEqual({
      a: { x: 100, y: 0 },
      b: { x: 7, y: 9 },
    });
    // The layout itself is left as it was (it may be the undo of another one).
    expect(layout.b).toEqual({ x: 200, y: 0 });
    // A held id without a position anywhere adds nothing.
    expect(withHandMoves(layout, onScreen, new Set(["ghost"]))).toEqual(layout);
  });

  it("keeps the undo for drops during the layout, drops it for any other move", () => {
    const undo: Positions = { a: { x: 0, y: 0 }, b: { x: 10, y: 10 } };
    const held = new Set(["b"]);
    expect(undoAfterHandMoves(undo, { b: { x: 55, y: 66 } }, held)).toEqual({
      a: { x: 0, y: 0 },
      b: { x: 55, y: 66 },
    });
    expect(undoAfterHandMoves(undo, { a: { x: 3, y: 3 } }, held)).toBeNull();
    expect(undoAfterHandMoves(undo, { a: { x: 3, y: 3 }, b: { x: 1, y: 1 } }, held)).toBeNull();
    expect(undoAfterHandMoves(null, { b: { x: 1, y: 1 } }, held)).toBeNull();
  });
});
