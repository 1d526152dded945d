import { type ReactFlowInstance, useStore, useStoreApi } from "@xyflow/react";
import { memo, useEffect } from "react";
import { convergenceState, convergenceSummary } from "../lib/convergence";
import type { Position } from "./canvasApi";
import { type Area, areaAround, needsNewArea, viewArea } from "./culling";
import type { TopologyNode } from "./graph";
import { useLodTracker } from "./lod";
import { useOverlay } from "./overlay";
import type { CanvasEdge } from "./reachEdge";
import { subscribeToView } from "./viewSubscription";

/** The parts of the canvas around the diagram: trackers, the fabric badge, the opening view. */

/** Level of detail for the whole canvas (lod.ts), tracked once per view change. */
export const LodTracker = memo(function LodTracker({ wrapper }: { wrapper: HTMLElement | null }) {
  useLodTracker(wrapper);
  return null;
});

/**
 * Reports the area around the view that the canvas hands React Flow (culling.ts) whenever the
 * view leaves the last one; nothing while it pans inside it. Must render inside <ReactFlow>.
 */
export const CullTracker = memo(function CullTracker({ onArea }: { onArea: (area: Area) => void }) {
  const store = useStoreApi();
  useEffect(() => {
    let reported: Area | null = null;
    return subscribeToView(store, (state) => {
      if (!state.width || !state.height) return;
      const view = viewArea(state.transform, state.width, state.height);
      if (!needsNewArea(reported, view)) return;
      reported = areaAround(view);
      onArea(reported);
    });
  }, [store, onArea]);
  return null;
});

/** Hands the edge label layer (a React Flow element) to the canvas, which provides it to edges. */
export const LabelLayerFinder = memo(function LabelLayerFinder({
  onFound,
}: {
  onFound: (layer: HTMLElement | null) => void;
}) {
  const layer = useStore(
    (s) => s.domNode?.querySelector<HTMLElement>(".react-flow__edgelabel-renderer") ?? null,
  );
  useEffect(() => onFound(layer), [layer, onFound]);
  return null;
});

/** Above this many nodes a tenant is "large": opening view and minimap change (see above). */
export const LARGE = 400;

/**
 * The first view of a tenant: fit-all, except that large tenants open at a working zoom on
 * their top-left corner (at 2,000 nodes fit-all is 5% zoom: unreadable, and it would draw every
 * node at once). The minimap and the Fit button still show the whole.
 */
export function openView(
  flow: ReactFlowInstance<TopologyNode, CanvasEdge>,
  count: number,
  positions: Record<string, Position>,
): void {
  if (count <= LARGE) {
    setTimeout(() => void flow.fitView({ padding: 0.12, maxZoom: 1 }), 60);
    return;
  }
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  for (const at of Object.values(positions)) {
    minX = Math.min(minX, at.x);
    minY = Math.min(minY, at.y);
  }
  const zoom = 0.75;
  void flow.setViewport({ x: -minX * zoom + 40, y: -minY * zoom + 40, zoom });
}

/** Live fabric state over the canvas, pushed by the status subscription (lib/convergence). */
export function FabricBadge() {
  const fabric = useOverlay((s) => s.fabric);
  if (!fabric) return null;
  const state = convergenceState(fabric);
  return (
    <div
      className={`fabric-badge health-${state}`}
      role="status"
      aria-label={convergenceSummary(fabric)}
    >
      <span className="conv-dot" /> {convergenceSummary(fabric)}
    </div>
  );
}
