/**
 * Edge paths between node boxes (flow coordinates). Pure: unit-tested in apps/web/test.
 */

export interface Rect {
  x: number;
  y: number;
  width: number;
  height: number;
}

type Point = { x: number; y: number };

function center(rect: Rect): Point {
  return { x: rect.x + rect.width / 2, y: rect.y + rect.height / 2 };
}

/** Where the ray from the box's centre toward `toward` leaves the box. */
export function borderPoint(rect: Rect, toward: Point): Point {
  const c = center(rect);
  const dx = toward.x - c.x;
  const dy = toward.y - c.y;
  if (dx === 0 && dy === 0) return c;
  const sx = dx === 0 ? Number.POSITIVE_INFINITY : rect.width / 2 / Math.abs(dx);
  const sy = dy === 0 ? Number.POSITIVE_INFINITY : rect.height / 2 / Math.abs(dy);
  const s = Math.min(sx, sy);
  return { x: c.x + dx * s, y: c.y + dy * s };
}

/** A straight attachment line from border to border. */
export function linkPath(source: Rect, target: Rect): string {
  const a = borderPoint(source, center(target));
  const b = borderPoint(target, center(source));
  return `M${round(a.x)},${round(a.y)}L${round(b.x)},${round(b.y)}`;
}

/** How far apart parallel policy edges fan, in flow units, at their middle. */
export const FAN_STEP = 34;

/**
 * A policy edge: a cubic curve from the facing sides of the two networks (right to left when
 * they stand side by side, bottom to top when stacked). Parallel policies between the same two
 * networks (`lanes` of them) bow apart by FAN_STEP each so neither edges nor labels overlap.
 * Answers the path and its midpoint (where the label goes).
 */
export function policyPath(
  source: Rect,
  target: Rect,
  lane: number,
  lanes: number,
): [string, number, number] {
  const cs = center(source);
  const ct = center(target);
  const sideBySide = Math.abs(ct.x - cs.x) > (source.width + target.width) / 2 + 24;
  let a: Point;
  let b: Point;
  let ca: Point;
  let cb: Point;
  const offset = (lane - (lanes - 1) / 2) * FAN_STEP;
  if (sideBySide) {
    const dir = ct.x > cs.x ? 1 : -1;
    a = { x: dir > 0 ? source.x + source.width : source.x, y: cs.y + offset * 0.3 };
    b = { x: dir > 0 ? target.x : target.x + target.width, y: ct.y + offset * 0.3 };
    const pull = Math.max(40, Math.abs(b.x - a.x) / 2);
    ca = { x: a.x + dir * pull, y: a.y + offset * 1.7 };
    cb = { x: b.x - dir * pull, y: b.y + offset * 1.7 };
  } else {
    const dir = ct.y > cs.y ? 1 : -1;
    a = { x: cs.x + offset * 0.3, y: dir > 0 ? source.y + source.height : source.y };
    b = { x: ct.x + offset * 0.3, y: dir > 0 ? target.y : target.y + target.height };
    const pull = Math.max(40, Math.abs(b.y - a.y) / 2);
    ca = { x: a.x + offset * 1.7, y: a.y + dir * pull };
    cb = { x: b.x + offset * 1.7, y: b.y - dir * pull };
  }
  // The cubic's point at t = 1/2.
  const mx = (a.x + 3 * ca.x + 3 * cb.x + b.x) / 8;
  const my = (a.y + 3 * ca.y + 3 * cb.y + b.y) / 8;
  const path = `M${round(a.x)},${round(a.y)} C${round(ca.x)},${round(ca.y)} ${round(cb.x)},${round(cb.y)} ${round(b.x)},${round(b.y)}`;
  return [path, mx, my];
}

function round(value: number): number {
  return Math.round(value * 10) / 10;
}
