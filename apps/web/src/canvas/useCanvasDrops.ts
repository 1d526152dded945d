import type { Connection, FinalConnectionState, ReactFlowInstance } from "@xyflow/react";
import { useCallback } from "react";
import { type CanvasIntents, PALETTE_MIME, type PaletteItem, POLICY_MIME } from "./canvasApi";
import { policyOfEdge, type TopologyNode } from "./graph";
import type { CanvasEdge } from "./reachEdge";

/**
 * What lands on the canvas: palette items and library policies dropped on it (on a network, on
 * a policy edge, or on empty space), and edges drawn between nodes, ending on a handle or on a
 * node's body. Each becomes an intent the canvas's owner carries out.
 */
export function useCanvasDrops(
  flow: ReactFlowInstance<TopologyNode, CanvasEdge> | null,
  intents: CanvasIntents | undefined,
  readOnly: boolean,
) {
  const onConnect = useCallback(
    (connection: Connection) => {
      if (readOnly || connection.source === connection.target) return;
      intents?.onConnect?.(connection.source, connection.target);
    },
    [intents, readOnly],
  );

  const onDragOver = useCallback(
    (event: React.DragEvent) => {
      if (readOnly) return;
      const types = event.dataTransfer.types;
      if (types.includes(PALETTE_MIME) || types.includes(POLICY_MIME)) {
        event.preventDefault();
        event.dataTransfer.dropEffect = types.includes(POLICY_MIME) ? "link" : "copy";
      }
    },
    [readOnly],
  );

  const onDrop = useCallback(
    (event: React.DragEvent) => {
      if (readOnly || !flow) return;
      event.preventDefault();
      const policy = event.dataTransfer.getData(POLICY_MIME);
      const under = document.elementsFromPoint(event.clientX, event.clientY);
      if (policy) {
        const nodeEl = under
          .map((el) => el.closest<HTMLElement>(".react-flow__node"))
          .find((el) => el?.dataset.id?.startsWith("net:"));
        const network = nodeEl?.dataset.id?.slice(4);
        if (network) intents?.onAttachPolicy?.(policy, network);
        return;
      }
      const item = event.dataTransfer.getData(PALETTE_MIME) as PaletteItem | "";
      if (!item) return;
      const at = flow.screenToFlowPosition({ x: event.clientX, y: event.clientY });
      if (item === "workload") {
        const network = under
          .map((el) => el.closest<HTMLElement>(".react-flow__node")?.dataset.id)
          .find((id) => id?.startsWith("net:"))
          ?.slice(4);
        intents?.onCreate?.(item, at, network ? { network } : undefined);
        return;
      }
      if (item === "firewall" || item === "load-balancer" || item === "nat") {
        const edgeId = under
          .map(
            (el) =>
              el.closest<HTMLElement>("[data-edge-id]")?.dataset.edgeId ??
              el.closest<SVGElement>(".react-flow__edge")?.dataset.id,
          )
          .find((id) => id?.startsWith("pol:"));
        const target = edgeId ? policyOfEdge(edgeId) : null;
        if (target) {
          // The service node lands just below the edge it was dropped on.
          intents?.onDropOnPolicy?.(item, target, { x: at.x - 90, y: at.y + 40 });
          return;
        }
      }
      intents?.onCreate?.(item, at);
    },
    [flow, intents, readOnly],
  );

  // What a drop on a node's body (not only on its handle) connects: React Flow only completes
  // connections that end on a handle, so a release over another node finishes it here.
  const onConnectEnd = useCallback(
    (event: MouseEvent | TouchEvent, state: FinalConnectionState) => {
      if (readOnly || state.isValid || !state.fromNode) return;
      const point = "changedTouches" in event ? event.changedTouches[0] : event;
      if (!point) return;
      const target = document
        .elementsFromPoint(point.clientX, point.clientY)
        .map((el) => el.closest<HTMLElement>(".react-flow__node"))
        .find((el) => el?.dataset.id && el.dataset.id !== state.fromNode?.id);
      const targetId = target?.dataset.id;
      if (targetId) intents?.onConnect?.(state.fromNode.id, targetId);
    },
    [intents, readOnly],
  );

  return { onConnect, onDragOver, onDrop, onConnectEnd };
}
