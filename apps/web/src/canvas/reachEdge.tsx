import type { Edge, EdgeProps } from "@xyflow/react";
import { memo, useContext, useMemo } from "react";
import { createPortal } from "react-dom";
import { EdgeLabelLayer, LinkEdge, PolicyEdge, useNodeRect } from "./edges";
import { nodeId, type TopologyEdge } from "./graph";
import { useOverlay } from "./overlay";
import { type ReachPair, reachArc, reachPairs, reachPairText } from "./reachPairs";

/**
 * The review's reachability delta drawn on the canvas (issue 10 §5): an arrow per workload
 * pair whose verdict flips, while a review is open. Newly allowed and newly denied differ by
 * more than colour: a solid arrow with a check badge against a dashed arrow with a cross badge,
 * and the key over the canvas says so.
 */
export type ReachFlowEdge = Edge<ReachPair, "reach">;

/** Every edge the canvas draws: the topology's own and, during a review, the delta's. */
export type CanvasEdge = TopologyEdge | ReachFlowEdge;

export const ReachEdge = memo(function ReachEdge({
  id,
  source,
  target,
  data,
}: EdgeProps<ReachFlowEdge>) {
  const sourceRect = useNodeRect(source);
  const targetRect = useNodeRect(target);
  const layer = useContext(EdgeLabelLayer);
  if (!data || !sourceRect || !targetRect) return null;
  const { path, arrow, mid } = reachArc(sourceRect, targetRect, data.lane);
  const verdict = data.after;
  return (
    <>
      <path d={path} className="nl-reach-halo" fill="none" />
      <path d={path} className={`nl-reach-path reach-${verdict}`} fill="none" />
      <path d={arrow} className={`nl-reach-arrow reach-${verdict}`} />
      {layer
        ? createPortal(
            <div
              className={`nl-reach-badge reach-${verdict} nodrag nopan`}
              data-reach-edge={id}
              title={reachPairText(data)}
              style={{ transform: `translate(-50%, -50%) translate(${mid.x}px, ${mid.y}px)` }}
            >
              <span className="nl-reach-mark" aria-hidden="true">
                {verdict === "allow" ? "✓" : "✕"}
              </span>
              {verdict === "allow" ? "now allowed" : "now denied"} {data.flows.join(", ")}
            </div>,
            layer,
          )
        : null}
    </>
  );
});

/**
 * The delta's edges for the workloads on this canvas, and how many flipped pairs were not drawn
 * (beyond the bound, or with a workload the canvas does not show).
 */
export function useReachEdges(workloadIds: ReadonlySet<string>): {
  edges: ReachFlowEdge[];
  omitted: number;
  active: boolean;
} {
  const flips = useOverlay((s) => s.reachDelta);
  return useMemo(() => {
    if (!flips) return { edges: [], omitted: 0, active: false };
    const { pairs, omitted } = reachPairs(flips);
    const edges: ReachFlowEdge[] = [];
    let missing = 0;
    for (const pair of pairs) {
      const source = nodeId.workload(pair.from);
      const target = nodeId.workload(pair.to);
      if (!workloadIds.has(source) || !workloadIds.has(target)) {
        missing++;
        continue;
      }
      edges.push({
        id: pair.id,
        type: "reach",
        source,
        target,
        data: pair,
        selectable: false,
        focusable: false,
        ariaRole: "img",
        ariaLabel: reachPairText(pair),
        zIndex: 5,
      });
    }
    return { edges, omitted: omitted + missing, active: true };
  }, [flips, workloadIds]);
}

/** The key to the delta's arrows, shown over the canvas while a review is open. */
export function ReachKey({ edges, omitted }: { edges: readonly ReachFlowEdge[]; omitted: number }) {
  const allowed = edges.filter((e) => e.data?.after === "allow").length;
  const denied = edges.length - allowed;
  return (
    <section className="nl-reach-key nodrag nopan" aria-label="Reachability changes on the canvas">
      <strong>Review: who reaches whom</strong>
      {edges.length === 0 && omitted === 0 ? (
        <span className="muted">No workload pair changes verdict.</span>
      ) : (
        <ul>
          <li>
            <svg width="34" height="10" aria-hidden="true">
              <path d="M1,5 L33,5" className="nl-reach-path reach-allow" fill="none" />
            </svg>
            <span className="nl-reach-mark reach-allow" aria-hidden="true">
              ✓
            </span>
            newly allowed ({allowed})
          </li>
          <li>
            <svg width="34" height="10" aria-hidden="true">
              <path d="M1,5 L33,5" className="nl-reach-path reach-deny" fill="none" />
            </svg>
            <span className="nl-reach-mark reach-deny" aria-hidden="true">
              ✕
            </span>
            newly denied ({denied})
          </li>
          {omitted > 0 ? (
            <li className="muted">{omitted} more pairs listed in the review, not drawn</li>
          ) : null}
        </ul>
      )}
    </section>
  );
}

/** React Flow's edge components by type, the delta's included. */
export const edgeTypes = { policy: PolicyEdge, link: LinkEdge, reach: ReachEdge };
