import type { Position } from "./canvasApi";

/**
 * Culling outside React Flow, for large tenants. React Flow re-checks every node and edge it
 * holds on each store update (its visible-element selectors, adopting the node list), so the
 * cost of one update grows with the tenant, not with what is on screen: on 2,000 nodes one
 * slice of a layout took 100-200 ms. The canvas keeps the whole diagram in its own state and
 * hands React Flow only what touches the area around the view; that area moves when the view
 * leaves it, not on every pan frame.
 */

/** A rectangle in flow coordinates. */
export interface Area {
  x: number;
  y: number;
  width: number;
  height: number;
}

/** What culling needs of a node: where it stands and its size (set before React Flow measures). */
export interface PlacedNode {
  id: string;
  position: Position;
  width?: number;
  height?: number;
}

export interface LinkingEdge {
  id: string;
  source: string;
  target: string;
}

/**
 * Around the view, the area handed to React Flow reaches this many view sizes further on each
 * side: a pan of under half a screen never changes what React Flow holds, and React Flow holds
 * about four screenfuls of the diagram.
 */
export const CULL_MARGIN = 0.5;

/** The flow-coordinate rectangle shown by a view `transform` ([x, y, zoom]) of a pane. */
export function viewArea(
  transform: readonly [number, number, number],
  paneWidth: number,
  paneHeight: number,
): Area {
  const [tx, ty, zoom] = transform;
  const scale = zoom > 0 ? zoom : 1;
  return { x: -tx / scale, y: -ty / scale, width: paneWidth / scale, height: paneHeight / scale };
}

/** `view` grown by `margin` view sizes on each side. */
export function areaAround(view: Area, margin = CULL_MARGIN): Area {
  return {
    x: view.x - view.width * margin,
    y: view.y - view.height * margin,
    width: view.width * (1 + 2 * margin),
    height: view.height * (1 + 2 * margin),
  };
}

/** Whether `inner` lies wholly inside `outer`. */
export function contains(outer: Area, inner: Area): boolean {
  return (
    inner.x >= outer.x &&
    inner.y >= outer.y &&
    inner.x + inner.width <= outer.x + outer.width &&
    inner.y + inner.height <= outer.y + outer.height
  );
}

/**
 * Whether the area handed to React Flow must move for `view`: the view left it, or zoomed out
 * or in so far that it is much too small or too big (a too big one would hold most of the tenant).
 */
export function needsNewArea(current: Area | null, view: Area): boolean {
  if (!current) return true;
  if (!contains(current, view)) return true;
  return current.width > view.width * (1 + 2 * CULL_MARGIN) * 2;
}

/**
 * The nodes and edges React Flow gets: every node whose box touches `area`, every edge whose
 * bounding box does (an edge crossing the view between two far nodes too) with both its ends,
 * and the `pinned` nodes (being dragged, selected, the keyboard's). Order is kept, so nodes
 * stack as in the full diagram. Nothing culled away answers the same arrays; the same edges as
 * `previousEdges` answer that array (React Flow then skips re-indexing its connections).
 */
export function cullToArea<N extends PlacedNode, E extends LinkingEdge>(
  nodes: N[],
  edges: E[],
  area: Area,
  pinned: ReadonlySet<string>,
  previousEdges?: E[],
): { nodes: N[]; edges: E[] } {
  const right = area.x + area.width;
  const bottom = area.y + area.height;
  const byId = new Map<string, N>();
  const inArea = new Set<string>();
  for (const node of nodes) {
    byId.set(node.id, node);
    const { x, y } = node.position;
    if (
      pinned.has(node.id) ||
      (x <= right &&
        y <= bottom &&
        x + (node.width ?? 0) >= area.x &&
        y + (node.height ?? 0) >= area.y)
    ) {
      inArea.add(node.id);
    }
  }
  const keep = new Set(inArea);
  const keptEdges: E[] = [];
  for (const edge of edges) {
    const source = byId.get(edge.source);
    const target = byId.get(edge.target);
    if (!source || !target) continue;
    const inside = inArea.has(edge.source) && inArea.has(edge.target);
    if (!inside) {
      const left = Math.min(source.position.x, target.position.x);
      const top = Math.min(source.position.y, target.position.y);
      const farX = Math.max(
        source.position.x + (source.width ?? 0),
        target.position.x + (target.width ?? 0),
      );
      const farY = Math.max(
        source.position.y + (source.height ?? 0),
        target.position.y + (target.height ?? 0),
      );
      if (left > right || top > bottom || farX < area.x || farY < area.y) continue;
      keep.add(edge.source);
      keep.add(edge.target);
    }
    keptEdges.push(edge);
  }
  const keptNodes = keep.size === nodes.length ? nodes : nodes.filter((n) => keep.has(n.id));
  const handedEdges =
    keptEdges.length === edges.length
      ? edges
      : previousEdges && sameItems(previousEdges, keptEdges)
        ? previousEdges
        : keptEdges;
  return { nodes: keptNodes, edges: handedEdges };
}

function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  return a.length === b.length && a.every((item, i) => item === b[i]);
}

/** Room around a node's corner for its box (nodes are at most this wide). */
const NODE_REACH = 300;

/**
 * Whether a node moving from `from` to `to` (its top-left corners) is or will be handed to
 * React Flow for `area`, give or take a node's size.
 */
export function nearArea(
  area: Area,
  from: Position | undefined,
  to: Position | undefined,
): boolean {
  const near = (at: Position | undefined) =>
    at !== undefined &&
    at.x >= area.x - NODE_REACH &&
    at.y >= area.y - NODE_REACH &&
    at.x <= area.x + area.width &&
    at.y <= area.y + area.height;
  return near(from) || near(to);
}

/** The bounds of `nodes` (null when there are none). */
export function boundsOfNodes(nodes: readonly PlacedNode[]): Area | null {
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (const node of nodes) {
    minX = Math.min(minX, node.position.x);
    minY = Math.min(minY, node.position.y);
    maxX = Math.max(maxX, node.position.x + (node.width ?? 0));
    maxY = Math.max(maxY, node.position.y + (node.height ?? 0));
  }
  if (minX > maxX) return null;
  return { x: minX, y: minY, width: maxX - minX, height: maxY - minY };
}
