import type { Position } from "./canvasApi";

/**
 * How many node positions the first frame applies. React Flow takes a changed node through its
 * store and, if in view, through a re-render; 2,000 at once blocked the page for about 300 ms
 * on the CI machine (issue 10 benchmark), where the budget is 50 ms.
 */
export const FIRST_SLICE = 50;
/** Frames slower than this halve the slice; faster than FAST_FRAME_MS grow it. */
const SLOW_FRAME_MS = 34;
const FAST_FRAME_MS = 22;
const MIN_SLICE = 25;
const MAX_SLICE = 1_000;

/** A progressive move under way: `done` resolves when every node stands where it should. */
export interface ProgressiveMove {
  done: Promise<void>;
  cancel: () => void;
}

export interface MoveOptions {
  firstSlice?: number;
  /**
   * Nodes the user has in hand or has put somewhere since this layout was asked for: the move
   * never touches them, even ones added while it is under way (the caller adds to the set).
   */
  heldByHand?: ReadonlySet<string>;
  /**
   * What moving a node costs against the slice, 1 by default. A large canvas counts only the
   * nodes React Flow holds (culling.ts): moving the others re-renders nothing but the minimap,
   * so they go in the first frames at no cost.
   */
  cost?: (id: string) => number;
  /** requestAnimationFrame / cancelAnimationFrame / performance.now outside tests. */
  schedule?: (step: () => void) => number;
  unschedule?: (handle: number) => void;
  now?: () => number;
}

/**
 * Moves nodes to `positions` one slice per animation frame: `current` (the canvas's positions)
 * takes a slice, then `render` asks for the frame that shows it. The slice adapts to the
 * machine: a frame that took long (the last slice's render included) halves it, a quick one
 * grows it, so a loaded machine stays responsive and a fast one finishes sooner. Only nodes
 * that actually move count; positions the new layout does not know are dropped at the end. A
 * move that fits in one slice happens at once. Nodes in `heldByHand` stay where the user put
 * them: a drag wins over a layout still being applied.
 */
export function moveProgressively(
  current: Record<string, Position>,
  positions: Readonly<Record<string, Position>>,
  render: () => void,
  {
    firstSlice = FIRST_SLICE,
    schedule = (step) => requestAnimationFrame(step),
    unschedule = (handle) => cancelAnimationFrame(handle),
    now = () => performance.now(),
    heldByHand = new Set<string>(),
    cost = () => 1,
  }: MoveOptions = {},
): ProgressiveMove {
  const moving = Object.keys(positions).filter((id) => {
    const at = positions[id];
    const was = current[id];
    return at !== undefined && (was === undefined || was.x !== at.x || was.y !== at.y);
  });
  const costs = moving.map(cost);
  const totalCost = costs.reduce((sum, c) => sum + c, 0);
  const dropStale = () => {
    for (const id of Object.keys(current)) {
      if (!(id in positions) && !heldByHand.has(id)) delete current[id];
    }
  };
  let handle = 0;
  let cancelled = false;
  let slice = firstSlice;
  let lastFrame: number | null = null;
  const done = new Promise<void>((resolve) => {
    let next = 0;
    const step = () => {
      if (cancelled) return resolve();
      const at = now();
      if (lastFrame !== null) {
        const took = at - lastFrame;
        if (took > SLOW_FRAME_MS) slice = Math.max(MIN_SLICE, Math.floor(slice / 2));
        else if (took < FAST_FRAME_MS) slice = Math.min(MAX_SLICE, Math.ceil(slice * 1.5));
      }
      lastFrame = at;
      for (let spent = 0; next < moving.length && spent < slice; next++) {
        spent += costs[next] ?? 1;
        const id = moving[next];
        const position = id === undefined ? undefined : positions[id];
        if (id !== undefined && position && !heldByHand.has(id)) current[id] = position;
      }
      if (next >= moving.length) dropStale();
      render();
      if (next >= moving.length) resolve();
      else handle = schedule(step);
    };
    if (totalCost <= slice) step();
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

/**
 * `positions` with the nodes in `heldByHand` where the user put them (`current`): what a layout
 * applies, and saves, once the user has moved some nodes since asking for it; also the undo of
 * that layout, which gives back only what the layout moved.
 */
export function withHandMoves(
  positions: Readonly<Record<string, Position>>,
  current: Readonly<Record<string, Position>>,
  heldByHand: ReadonlySet<string>,
): Record<string, Position> {
  const out = { ...positions };
  for (const id of heldByHand) {
    const at = current[id];
    if (at) out[id] = at;
  }
  return out;
}

/**
 * The undo of the last layout after the user dropped nodes at `dropped`. Nodes moved while that
 * layout was computed or applied (`heldByHand`) were never the layout's: its undo leaves them
 * where the user put them. Any other move starts a new picture the undo would destroy: no undo.
 */
export function undoAfterHandMoves(
  undo: Readonly<Record<string, Position>> | null,
  dropped: Readonly<Record<string, Position>>,
  heldByHand: ReadonlySet<string>,
): Record<string, Position> | null {
  if (!undo) return null;
  const ids = Object.keys(dropped);
  if (!ids.every((id) => heldByHand.has(id))) return null;
  return { ...undo, ...dropped };
}
