import type { IntentFile } from "@netloom/model";
import type { ReactFlowInstance } from "@xyflow/react";
import {
  type Dispatch,
  type RefObject,
  type SetStateAction,
  useCallback,
  useEffect,
  useMemo,
  useRef,
  useState,
} from "react";
import { draftStore } from "../draft/store";
import type { CanvasIntents, Position } from "./canvasApi";
import { estimateSize } from "./geometry";
import { type Graph, policyOfEdge, refOfNode, type TopologyNode } from "./graph";
import { isDirection, menuActions, navigationPoints, nextInDirection } from "./keyboard";
import type { CanvasEdge } from "./reachEdge";

/**
 * The canvas by keyboard: one object in the Tab order (a roving tab stop), arrows move to the
 * nearest object that way, Alt/Shift+arrows move a node, Enter selects, the context-menu key
 * (or Shift+F10, or m) opens the object's menu of actions.
 */
export function useCanvasKeyboard({
  graph,
  graphIds,
  wrapper,
  flow,
  positionsRef,
  setNodes,
  movedByHand,
  doc,
  intents,
  readOnly,
}: {
  graph: Graph;
  graphIds: ReadonlySet<string>;
  wrapper: RefObject<HTMLDivElement | null>;
  flow: ReactFlowInstance<TopologyNode, CanvasEdge> | null;
  positionsRef: RefObject<Record<string, Position>>;
  setNodes: Dispatch<SetStateAction<TopologyNode[]>>;
  /** Records (and saves) positions the user gave nodes. */
  movedByHand: (moved: Record<string, Position>, settled: boolean) => void;
  doc: IntentFile | null | undefined;
  intents: CanvasIntents | undefined;
  readOnly: boolean;
}) {
  /** The one object of the canvas in the Tab order (roving tabindex), and its open menu. */
  const [tabStop, setTabStop] = useState<string | null>(null);
  const [menuFor, setMenuFor] = useState<string | null>(null);
  const focusAfterRender = useRef<string | null>(null);
  const activeStop: string | null =
    tabStop !== null && graphIds.has(tabStop) ? tabStop : (graph.nodes[0]?.id ?? null);

  // Keyboard focus follows the roving tab stop once React Flow has drawn it focusable, which
  // happens a frame or two after our render (React Flow syncs its store in an effect).
  useEffect(() => {
    const id = focusAfterRender.current;
    if (id === null || id !== activeStop) return;
    let frames = 0;
    let handle = 0;
    const attempt = () => {
      const element = wrapper.current?.querySelector<HTMLElement | SVGElement>(
        `.react-flow__node[data-id="${CSS.escape(id)}"], .react-flow__edge[data-id="${CSS.escape(id)}"]`,
      );
      if (element && element.getAttribute("tabindex") === "0") {
        if (focusAfterRender.current === id) focusAfterRender.current = null;
        element.focus();
        return;
      }
      if (++frames < 20) handle = requestAnimationFrame(attempt);
    };
    attempt();
    return () => cancelAnimationFrame(handle);
  }, [activeStop, wrapper.current?.querySelector]);

  const moveNodeBy = useCallback(
    (id: string, dx: number, dy: number) => {
      const node = flow?.getNode(id);
      if (!node) return;
      const at = { x: node.position.x + dx, y: node.position.y + dy };
      movedByHand({ [id]: at }, true);
      setNodes((current) => current.map((n) => (n.id === id ? { ...n, position: at } : n)));
    },
    [flow, movedByHand, setNodes],
  );

  const onKeyDownCapture = useCallback(
    (event: React.KeyboardEvent) => {
      const element = (event.target as Element).closest<HTMLElement | SVGElement>(
        ".react-flow__node, .react-flow__edge",
      );
      const id = element?.dataset.id;
      if (!id || (event.target as Element).closest(".nl-object-menu")) return;
      const handled = () => {
        event.preventDefault();
        event.stopPropagation();
      };
      if (isDirection(event.key)) {
        handled();
        if (event.altKey || event.shiftKey) {
          if (readOnly || !id.includes(":") || element?.classList.contains("react-flow__edge"))
            return;
          const step = 20;
          const dx = event.key === "ArrowLeft" ? -step : event.key === "ArrowRight" ? step : 0;
          const dy = event.key === "ArrowUp" ? -step : event.key === "ArrowDown" ? step : 0;
          moveNodeBy(id, dx, dy);
          return;
        }
        const points = navigationPoints(graph, positionsRef.current, (nodeId) => {
          const node = graph.nodes.find((n) => n.id === nodeId);
          return node ? estimateSize(node) : { width: 0, height: 0 };
        });
        const next = nextInDirection(points, id, event.key);
        if (next) {
          // React Flow pans a focused node into view (autoPanOnNodeFocus).
          focusAfterRender.current = next;
          setTabStop(next);
        }
      } else if (event.key === "Enter" || event.key === " ") {
        handled();
        const edge = graph.edges.find((e) => e.id === id);
        selectObject(id, edge?.source);
      } else if (
        event.key === "ContextMenu" ||
        (event.key === "F10" && event.shiftKey) ||
        event.key === "m"
      ) {
        handled();
        setMenuFor(id);
      } else if (event.key === "Delete" || event.key === "Backspace") {
        // The workspace deletes the selection; keep keyboard focus on the canvas after it.
        setTimeout(() => {
          const first = wrapper.current?.querySelector<HTMLElement>(
            '.react-flow__node[tabindex="0"]',
          );
          first?.focus();
        }, 50);
      }
    },
    [graph, readOnly, moveNodeBy, wrapper.current?.querySelector, positionsRef.current],
  );
  const onFocusCapture = useCallback((event: React.FocusEvent) => {
    const id = (event.target as Element).closest<HTMLElement | SVGElement>(
      ".react-flow__node, .react-flow__edge",
    )?.dataset.id;
    if (id) setTabStop(id);
  }, []);

  const menu = useMemo(() => {
    if (!menuFor || !doc) return null;
    const at = () => {
      const node = flow?.getNode(menuFor);
      return node ? { x: node.position.x, y: node.position.y + 120 } : { x: 0, y: 0 };
    };
    const actions = menuActions(
      menuFor,
      doc,
      {
        inspect: (id) => selectObject(id, graph.edges.find((e) => e.id === id)?.source),
        ...(intents?.onConnect ? { connect: intents.onConnect } : {}),
        ...(intents?.onAttachPolicy ? { attachPolicy: intents.onAttachPolicy } : {}),
        ...(intents?.onTraceFrom ? { traceFrom: intents.onTraceFrom } : {}),
        ...(intents?.onDropOnPolicy
          ? {
              chain: (item: "firewall" | "load-balancer" | "nat", policy: string) => {
                const edge = graph.edges.find((e) => policyOfEdge(e.id) === policy);
                const source = edge ? flow?.getNode(edge.source) : undefined;
                intents.onDropOnPolicy?.(
                  item,
                  policy,
                  source ? { x: source.position.x + 260, y: source.position.y + 60 } : at(),
                );
              },
            }
          : {}),
      },
      readOnly,
    );
    const label = menuFor.startsWith("pol:")
      ? `Actions for policy ${policyOfEdge(menuFor) ?? ""}`
      : `Actions for ${menuFor.slice(menuFor.indexOf(":") + 1)}`;
    return { label, actions };
  }, [menuFor, doc, intents, readOnly, graph, flow]);
  const closeMenu = useCallback(
    (ran: boolean) => {
      const id = menuFor;
      setMenuFor(null);
      if (!ran && id) {
        focusAfterRender.current = id;
        setTabStop(id);
        setTimeout(() => {
          wrapper.current
            ?.querySelector<HTMLElement>(`[data-id="${CSS.escape(id)}"][tabindex="0"]`)
            ?.focus();
        }, 0);
      }
    },
    [menuFor, wrapper.current?.querySelector],
  );

  /** A pointer's way to the same menu: a right click on a node or a policy edge. */
  const onContextMenu = useCallback((event: React.MouseEvent, id: string) => {
    event.preventDefault();
    setTabStop(id);
    setMenuFor(id);
  }, []);
  return {
    activeStop,
    setTabStop,
    onKeyDownCapture,
    onFocusCapture,
    onContextMenu,
    menu,
    closeMenu,
  };
}

/** Selects what a node or edge stands for, exactly as a click on it does. */
export function selectObject(id: string, edgeSource?: string): void {
  const policy = policyOfEdge(id);
  if (policy) {
    draftStore.select({ kind: "policies", name: policy });
    return;
  }
  const ref = refOfNode(edgeSource ?? id);
  if (ref) draftStore.select(ref);
}
