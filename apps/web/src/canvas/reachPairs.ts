import { flowClass, type ReachFlip } from "../lib/reachDelta";
import { borderPoint, type Rect } from "./edgeGeometry";
import { nodeId } from "./graph";

/**
 * The review's reachability delta as canvas edges: one edge per workload pair and direction
 * whose verdict flips, newly allowed and newly denied apart. Pure: unit-tested in apps/web/test.
 *
 * The controller reports flips between workload classes (every workload of a class shares each
 * verdict); the canvas draws the pairs those classes stand for, up to a bound so a change that
 * flips a whole fabric does not drown the diagram. What is left out is counted, and the review
 * panel lists every flip anyway.
 */
export type ReachVerdict = "allow" | "deny";

export type ReachPair = {
  /** Canvas edge id: `reach:<after>:<from>><to>`. */
  id: string;
  from: string;
  to: string;
  after: ReachVerdict;
  /** The flow classes that flip for this pair ("tcp/5432", "icmp"), in the review's order. */
  flows: string[];
  /** When a pair flips both ways (some flows opened, others closed), the two edges fan apart. */
  lane: number;
};

/** More flipped pairs than this are counted, not drawn. */
export const MAX_DRAWN_PAIRS = 300;

export function reachPairs(
  flips: readonly ReachFlip[],
  limit = MAX_DRAWN_PAIRS,
): { pairs: ReachPair[]; omitted: number } {
  const byKey = new Map<string, ReachPair>();
  let omitted = 0;
  for (const flip of flips) {
    const flow = flowClass(flip);
    for (const from of flip.from) {
      for (const to of flip.to) {
        if (from === to) continue;
        const id = `reach:${flip.after}:${from}>${to}`;
        const known = byKey.get(id);
        if (known) {
          if (!known.flows.includes(flow)) known.flows.push(flow);
          continue;
        }
        if (byKey.size >= limit) {
          omitted++;
          continue;
        }
        byKey.set(id, { id, from, to, after: flip.after, flows: [flow], lane: 0 });
      }
    }
  }
  const pairs = [...byKey.values()];
  for (const pair of pairs) {
    // The allowed edge keeps lane 0; a denied edge for the same pair bows further out.
    if (pair.after === "deny" && byKey.has(`reach:allow:${pair.from}>${pair.to}`)) pair.lane = 1;
  }
  return { pairs, omitted };
}

/** How a pair reads aloud and in its tooltip: "newly denied: web-1 to db-1, tcp/5432". */
export function reachPairText(pair: Pick<ReachPair, "from" | "to" | "after" | "flows">): string {
  const verdict = pair.after === "allow" ? "newly allowed" : "newly denied";
  return `${verdict}: ${pair.from} to ${pair.to}, ${pair.flows.join(", ")}`;
}

type Point = { x: number; y: number };

/**
 * A flip edge: a quadratic arc from the source workload's border to the target's, bowed to the
 * left of its direction so a pair flipping both ways draws two arcs, not one line. Answers the
 * path, the arrowhead at the target and the arc's midpoint (where the badge goes).
 */
export function reachArc(
  source: Rect,
  target: Rect,
  lane: number,
): { path: string; arrow: string; mid: Point } {
  const cs = { x: source.x + source.width / 2, y: source.y + source.height / 2 };
  const ct = { x: target.x + target.width / 2, y: target.y + target.height / 2 };
  const dx = ct.x - cs.x;
  const dy = ct.y - cs.y;
  const length = Math.hypot(dx, dy) || 1;
  const bow = 36 + lane * 60 + length * 0.12;
  const control = {
    x: (cs.x + ct.x) / 2 + (dy / length) * bow,
    y: (cs.y + ct.y) / 2 - (dx / length) * bow,
  };
  const a = borderPoint(source, control);
  const b = borderPoint(target, control);
  const mid = { x: (a.x + 2 * control.x + b.x) / 4, y: (a.y + 2 * control.y + b.y) / 4 };
  // Arrowhead along the arc's tangent at its end (control point to b).
  const tx = b.x - control.x;
  const ty = b.y - control.y;
  const tl = Math.hypot(tx, ty) || 1;
  const ux = tx / tl;
  const uy = ty / tl;
  const size = 10;
  const left = { x: b.x - ux * size - uy * size * 0.55, y: b.y - uy * size + ux * size * 0.55 };
  const right = { x: b.x - ux * size + uy * size * 0.55, y: b.y - uy * size - ux * size * 0.55 };
  return {
    path: `M${r(a.x)},${r(a.y)} Q${r(control.x)},${r(control.y)} ${r(b.x)},${r(b.y)}`,
    arrow: `M${r(left.x)},${r(left.y)} L${r(b.x)},${r(b.y)} L${r(right.x)},${r(right.y)} Z`,
    mid,
  };
}

function r(value: number): number {
  return Math.round(value * 10) / 10;
}

/**
 * How one canvas node takes part in the delta, straight from the flips (a store selector: a
 * primitive, so only nodes whose part changes re-render).
 */
export function reachRoleOf(
  flips: readonly ReachFlip[] | null,
  canvasNodeId: string,
): ReachVerdict | "both" | null {
  const prefix = nodeId.workload("");
  if (!flips || !canvasNodeId.startsWith(prefix)) return null;
  const name = canvasNodeId.slice(prefix.length);
  let role: ReachVerdict | "both" | null = null;
  for (const flip of flips) {
    if (!flip.from.includes(name) && !flip.to.includes(name)) continue;
    role = role === null || role === flip.after ? flip.after : "both";
  }
  return role;
}
