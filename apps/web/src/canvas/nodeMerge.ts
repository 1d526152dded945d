import type { Position } from "./canvasApi";
import { estimateSize, handlesFor } from "./geometry";
import { gatewayLabel, type TopologyNode } from "./graph";

/**
 * Merges the nodes derived from the document into the ones React Flow holds: untouched nodes
 * keep their object (and so their render), changed ones get their estimated size and handles,
 * so nothing is re-measured.
 */
export function mergeNodes(
  previous: readonly TopologyNode[],
  derived: readonly TopologyNode[],
  {
    selectedId,
    activeStop,
    positions,
  }: { selectedId: string | null; activeStop: string | null; positions: Record<string, Position> },
): TopologyNode[] {
  // Nodes mostly stay in order (a layout slice moves some, changes none): look at the same
  // index first and index the previous nodes only if that misses, which spares a 2,000-entry
  // map per frame of a layout.
  let byId: Map<string, TopologyNode> | null = null;
  const find = (id: string, index: number): TopologyNode | undefined => {
    const same = previous[index];
    if (same?.id === id) return same;
    byId ??= new Map(previous.map((node) => [node.id, node]));
    return byId.get(id);
  };
  return derived.map((node, index) => {
    const old = find(node.id, index);
    const selected = node.id === selectedId;
    const focusable = node.id === activeStop;
    const position = positions[node.id] ?? old?.position ?? node.position;
    if (
      old &&
      old.selected === selected &&
      old.focusable === focusable &&
      (old.data === node.data || sameData(old.data, node.data))
    ) {
      // Only moved (a layout, a drag): same size and handles, so no re-estimate.
      if (old.position.x === position.x && old.position.y === position.y) return old;
      return { ...old, position };
    }
    const measured = estimateSize(node);
    return {
      ...node,
      position,
      selected,
      focusable,
      // Named groups whether or not they are the Tab stop (React Flow drops the role of
      // nodes that are not focusable).
      ariaRole: "group",
      ariaLabel:
        node.type === "gateway"
          ? gatewayLabel(node.data)
          : `${node.type} ${node.id.slice(node.id.indexOf(":") + 1)}`,
      width: measured.width,
      height: measured.height,
      measured,
      handles: handlesFor(node, measured.width, measured.height),
    } as TopologyNode;
  });
}

/** Node data are flat records of spec objects and name lists; compare one level deep. */
function sameData(a: object, b: object): boolean {
  const left = a as Record<string, unknown>;
  const right = b as Record<string, unknown>;
  const keys = Object.keys(left);
  if (keys.length !== Object.keys(right).length) return false;
  for (const key of keys) {
    const x = left[key];
    const y = right[key];
    if (x === y) continue;
    if (
      Array.isArray(x) &&
      Array.isArray(y) &&
      x.length === y.length &&
      x.every((v, i) => v === y[i])
    ) {
      continue;
    }
    return false;
  }
  return true;
}
