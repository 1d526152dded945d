import type { Position } from "./canvasApi";

/**
 * How many node positions one frame applies. React Flow takes a changed node through its store
 * and, if in view, through a re-render; a couple of hundred stay well inside one 50 ms task on
 * a slow machine, where 2,000 at once blocked the page for about 280 ms (issue 10 benchmark).
 */
export const POSITIONS_PER_FRAME = 200;

/** A progressive move under way: `done` resolves when every node stands where it should. */
export interface ProgressiveMove {
  done: Promise<void>;
  cancel: () => void;
}

/**
 * Moves nodes to `positions` one slice per animation frame: `current` (the canvas's positions)
 * takes a slice, then `render` asks for the frame that shows it. Only nodes that actually move
 * count; positions of nodes the new layout does not know are dropped at the end. Small moves
 * happen at once. `schedule` is requestAnimationFrame outside tests.
 */
export function moveProgressively(
  current: Record<string, Position>,
  positions: Readonly<Record<string, Position>>,
  render: () => void,
  perFrame = POSITIONS_PER_FRAME,
  schedule: (step: () => void) => number = (step) => requestAnimationFrame(step),
  unschedule: (handle: number) => void = (handle) => cancelAnimationFrame(handle),
): ProgressiveMove {
  const moving = Object.keys(positions).filter((id) => {
    const at = positions[id];
    const was = current[id];
    return at !== undefined && (was === undefined || was.x !== at.x || was.y !== at.y);
  });
  const dropStale = () => {
    for (const id of Object.keys(current)) if (!(id in positions)) delete current[id];
  };
  let handle = 0;
  let cancelled = false;
  const done = new Promise<void>((resolve) => {
    let next = 0;
    const step = () => {
      if (cancelled) return resolve();
      const end = Math.min(moving.length, next + perFrame);
      for (; next < end; next++) {
        const id = moving[next];
        const at = id === undefined ? undefined : positions[id];
        if (id !== undefined && at) current[id] = at;
      }
      if (next >= moving.length) dropStale();
      render();
      if (next >= moving.length) resolve();
      else handle = schedule(step);
    };
    if (moving.length <= perFrame) step();
    else handle = schedule(step);
  });
  return {
    done,
    cancel: () => {
      cancelled = true;
      unschedule(handle);
    },
  };
}
