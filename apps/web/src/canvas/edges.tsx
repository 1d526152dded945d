import { BaseEdge, type EdgeProps, useInternalNode } from "@xyflow/react";
import { createContext, memo, useContext } from "react";
import { createPortal } from "react-dom";
import { linkPath, policyPath, type Rect } from "./edgeGeometry";
import type { LinkFlowEdge, PolicyFlowEdge } from "./graph";
import { Icon } from "./icons";
import { lodStore, useLod } from "./lod";
import { useOverlay } from "./overlay";

/**
 * React Flow's edge label layer (`.react-flow__edgelabel-renderer`), found once by the canvas.
 * Labels portal into it directly: <EdgeLabelRenderer> would run a DOM query per label on every
 * store update, i.e. per label per pan frame.
 */
export const EdgeLabelLayer = createContext<HTMLElement | null>(null);

let clearHover: ReturnType<typeof setTimeout> | undefined;

/**
 * Hover shows a label the dense view left out. Leaving is delayed a little so the pointer can
 * travel from the edge onto its label (which then keeps it) without the label vanishing.
 */
export function hoverEdge(id: string | null): void {
  clearTimeout(clearHover);
  if (id !== null) lodStore.patch({ hoveredEdge: id });
  else clearHover = setTimeout(() => lodStore.patch({ hoveredEdge: null }), 150);
}

function useEdgeTrace(id: string): string {
  return useOverlay((s) => {
    if (!s.trace) return "";
    if (s.trace.decidedAt === id) return ` trace-decided trace-${s.trace.verdict}`;
    return s.trace.edges.includes(id) ? ` trace-path trace-${s.trace.verdict}` : "";
  });
}

/**
 * The box a node is drawn in, in flow coordinates. Edges run between node borders (not fixed
 * handles), so they stay attached whichever way the nodes are arranged. Selecting primitives
 * keeps an edge from re-rendering while its nodes stand still.
 */
export function useNodeRect(id: string): Rect | null {
  const node = useInternalNode(id);
  if (!node) return null;
  const width = node.measured.width ?? node.width ?? 0;
  const height = node.measured.height ?? node.height ?? 0;
  const at = node.internals.positionAbsolute;
  return { x: at.x, y: at.y, width, height };
}

/**
 * A policy between two networks: its name, rule count and service chain ride on the edge. The
 * label is a drop target for services (firewall/LB/NAT dropped here join the chain).
 */
export const PolicyEdge = memo(function PolicyEdge(props: EdgeProps<PolicyFlowEdge>) {
  const { id, source, target, data, selected } = props;
  const sourceRect = useNodeRect(source);
  const targetRect = useNodeRect(target);
  const [path, labelX, labelY] =
    sourceRect && targetRect
      ? policyPath(sourceRect, targetRect, data?.lane ?? 0, data?.lanes ?? 1)
      : ["", 0, 0];
  const trace = useEdgeTrace(id);
  // One boolean per edge: re-renders only when this edge's label appears or goes.
  // Zoomed out, labels stay (drawn at 11 px on screen, canvas.css); only density hides them.
  const showLabel = useLod((s) => !s.dense || s.hoveredEdge === id);
  const layer = useContext(EdgeLabelLayer);
  const policy = data?.policy;
  const allows = policy?.rules.some((r) => r.action === "allow") ?? false;
  const labelled = policy && layer && (showLabel || selected || trace !== "");
  return (
    <>
      <BaseEdge
        id={id}
        path={path}
        className={`nl-edge-policy${allows ? "" : " deny-only"}${selected ? " selected" : ""}${trace}`}
        interactionWidth={18}
      />
      {labelled
        ? createPortal(
            // biome-ignore lint/a11y/noStaticElementInteractions: hover only keeps a label drawn (a pointer nicety); keyboard users select the edge, which shows it too
            <div
              className={`nl-edge-label nodrag nopan${selected ? " selected" : ""}${trace}`}
              data-edge-id={id}
              title={`policy ${policy.name}: ${policy.rules.length} rule${policy.rules.length === 1 ? "" : "s"}`}
              style={{ transform: `translate(-50%, -50%) translate(${labelX}px, ${labelY}px)` }}
              onMouseEnter={() => hoverEdge(id)}
              onMouseLeave={() => hoverEdge(null)}
            >
              <Icon kind="policy" size={11} />
              <span>{policy.name}</span>
              {serviceChain(policy).map((service) => (
                <span
                  key={service}
                  className="chip chip-service"
                  title={`service chain: ${service}`}
                >
                  <Icon kind="firewall" size={11} />
                  {service}
                </span>
              ))}
            </div>,
            layer,
          )
        : null}
    </>
  );
});

function serviceChain(policy: NonNullable<PolicyFlowEdge["data"]>["policy"]): string[] {
  return [...new Set(policy.rules.flatMap((r) => r.services ?? []).map(String))];
}

export const LinkEdge = memo(function LinkEdge(props: EdgeProps<LinkFlowEdge>) {
  const { id, source, target, data } = props;
  const sourceRect = useNodeRect(source);
  const targetRect = useNodeRect(target);
  const path = sourceRect && targetRect ? linkPath(sourceRect, targetRect) : "";
  const trace = useEdgeTrace(id);
  return (
    <BaseEdge
      id={id}
      path={path}
      className={`nl-edge-link role-${data?.role ?? "interface"}${trace}`}
    />
  );
});
