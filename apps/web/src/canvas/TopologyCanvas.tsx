import type { IntentFile } from "@netloom/model";
import {
  applyNodeChanges,
  type Connection,
  ConnectionMode,
  Controls,
  type FinalConnectionState,
  type NodeChange,
  Panel,
  ReactFlow,
  type ReactFlowInstance,
  useStore,
} from "@xyflow/react";
import { memo, useCallback, useEffect, useMemo, useRef, useState } from "react";
import { draftStore, useDraft } from "../draft/store";
import { convergenceState, convergenceSummary } from "../lib/convergence";
import { useTRPCClient } from "../trpc";
import { EdgeLabelLayer, hoverEdge } from "./edges";
import { estimateSize, handlesFor } from "./geometry";
import {
  buildGraph,
  type Graph,
  nodeOfRef,
  policyOfEdge,
  refOfNode,
  type TopologyNode,
} from "./graph";
import {
  isDirection,
  menuActions,
  navigationPoints,
  nextInDirection,
  ObjectMenu,
} from "./keyboard";
import { Legend } from "./Legend";
import { placeInFreeSpace } from "./layered";
import { autoLayout, boxesOf, gridPosition, placeNewNodes } from "./layout";
import { createLayoutSync, type LayoutSync } from "./layoutDocument";
import { lodStore, useLodTracker } from "./lod";
import { CanvasMiniMap } from "./MiniMap";
import { nodeTypes } from "./nodes";
import "./canvas.css";
import { useOverlay } from "./overlay";
import { type CanvasEdge, edgeTypes, ReachKey, useReachEdges } from "./reachEdge";

/** What the canvas asks its owner to do: creating things needs a dialog the owner renders. */
export interface CanvasIntents {
  /**
   * A palette item dropped on the canvas at a flow position; `onto` names the network it was
   * dropped on, if any (a workload dropped on a network defaults to it).
   */
  onCreate?: (item: PaletteItem, at: { x: number; y: number }, onto?: { network: string }) => void;
  /** A firewall / LB / NAT dropped on a policy edge: put it in that policy's service chain. */
  onDropOnPolicy?: (item: PaletteItem, policy: string, at: { x: number; y: number }) => void;
  /** Two objects joined by drawing an edge. */
  onConnect?: (source: string, target: string) => void;
  /** A policy from the library dropped on a network. */
  onAttachPolicy?: (policy: string, network: string) => void;
}

export type PaletteItem =
  | "network"
  | "external"
  | "workload"
  | "firewall"
  | "load-balancer"
  | "nat"
  | "dns"
  | "router"
  | "pool";

export const PALETTE_MIME = "application/x-netloom-palette";
export const POLICY_MIME = "application/x-netloom-policy";

type Position = { x: number; y: number };

/** Level of detail for the whole canvas (lod.ts), tracked once per view change. */
const LodTracker = memo(function LodTracker({ wrapper }: { wrapper: HTMLElement | null }) {
  useLodTracker(wrapper);
  return null;
});

/** Hands the edge label layer (a React Flow element) to the canvas, which provides it to edges. */
const LabelLayerFinder = memo(function LabelLayerFinder({
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

/**
 * The topology canvas. Nodes are derived from the draft document; positions come from the
 * tenant's layout document on the controller (layoutDocument.ts), shared by every user, and
 * are written back after a drag, a drop or an auto-layout. Dragging a node only touches that
 * node's object, so React Flow re-renders one node per frame.
 */
export function TopologyCanvas({
  tenant,
  readOnly,
  intents,
  document: fixedDocument,
  onReady,
  without,
  positions: fixedPositions,
}: {
  tenant: string;
  readOnly: boolean;
  intents?: CanvasIntents;
  /** A document to show instead of the draft (operator views, the benchmark page). */
  document?: IntentFile;
  onReady?: (api: CanvasApi) => void;
  /** Benchmark switches: leave out the minimap or the dotted background. */
  without?: { minimap?: boolean; background?: boolean };
  /** With `document`: where its nodes stand (nothing is loaded from or saved to the controller). */
  positions?: Record<string, Position>;
}) {
  const draftDoc = useDraft((s) => s.doc);
  const doc = fixedDocument ?? draftDoc;
  const selection = useDraft((s) => s.selection);
  const wrapper = useRef<HTMLDivElement | null>(null);
  const [wrapperElement, setWrapperElement] = useState<HTMLDivElement | null>(null);
  const wrapperRef = useCallback((element: HTMLDivElement | null) => {
    wrapper.current = element;
    setWrapperElement(element);
  }, []);
  const [labelLayer, setLabelLayer] = useState<HTMLElement | null>(null);
  useEffect(() => () => lodStore.patch({ hoveredEdge: null }), []);
  const [flow, setFlow] = useState<ReactFlowInstance<TopologyNode, CanvasEdge> | null>(null);
  const positionsRef = useRef<Record<string, Position>>({});
  /** Where new objects were dropped, until their nodes exist and get a free spot near it. */
  const droppedAt = useRef<Record<string, Position>>({});
  const [nodes, setNodes] = useState<TopologyNode[]>([]);
  const [layoutVersion, setLayoutVersion] = useState(0);
  const [layoutLoaded, setLayoutLoaded] = useState<string | null>(null);
  const [layoutError, setLayoutError] = useState<string | null>(null);
  /** The positions before the last auto-layout, while it can be undone. */
  const [layoutUndo, setLayoutUndo] = useState<Record<string, Position> | null>(null);
  const client = useTRPCClient();
  /** The one object of the canvas in the Tab order (roving tabindex), and its open menu. */
  const [tabStop, setTabStop] = useState<string | null>(null);
  const [menuFor, setMenuFor] = useState<string | null>(null);
  const focusAfterRender = useRef<string | null>(null);
  const persisted = !fixedDocument;
  const sync = useMemo<LayoutSync | null>(
    () => (persisted ? createLayoutSync(client, tenant, !readOnly, setLayoutError) : null),
    [client, tenant, readOnly, persisted],
  );

  // Positions belong to the tenant: load its layout document (or take the fixed positions).
  useEffect(() => {
    let cancelled = false;
    setLayoutUndo(null);
    if (!sync) {
      positionsRef.current = { ...(fixedPositions ?? {}) };
      setLayoutLoaded(tenant);
      setLayoutVersion((v) => v + 1);
      return;
    }
    sync.load().then(
      (positions) => {
        if (cancelled) return;
        positionsRef.current = positions;
        setLayoutLoaded(tenant);
        setLayoutVersion((v) => v + 1);
      },
      (error: unknown) => {
        if (cancelled) return;
        console.error(`loading the layout of ${tenant} failed`, error);
        setLayoutError("Shared layout unavailable: showing an automatic one");
        positionsRef.current = {};
        setLayoutLoaded(tenant);
        setLayoutVersion((v) => v + 1);
      },
    );
    return () => {
      cancelled = true;
    };
  }, [sync, tenant, fixedPositions]);

  const graph: Graph = useMemo(() => {
    if (!doc || layoutLoaded !== tenant) return { nodes: [], edges: [] };
    return buildGraph(doc, positionsRef.current, gridPosition);
    // Positions are read from positionsRef by the node merge below: moving nodes (a layout, a
    // drag) must not rebuild the graph and every edge with it.
  }, [doc, layoutLoaded, tenant]);

  // Merge the derived graph into the current nodes: untouched nodes keep their object (and so
  // their measurements and render), changed ones keep their measured size to avoid a re-measure.
  const graphIds = useMemo(
    () => new Set([...graph.nodes, ...graph.edges].map((e) => e.id)),
    [graph],
  );
  const activeStop =
    tabStop !== null && graphIds.has(tabStop) ? tabStop : (graph.nodes[0]?.id ?? null);
  useEffect(() => {
    void layoutVersion; // positions live in positionsRef: a new version means they moved
    const selectedId = selection ? nodeOfRef(selection.kind, selection.name) : null;
    setNodes((previous) => {
      const byId = new Map(previous.map((node) => [node.id, node]));
      return graph.nodes.map((node) => {
        const old = byId.get(node.id);
        const selected = node.id === selectedId;
        const focusable = node.id === activeStop;
        const position = positionsRef.current[node.id] ?? old?.position ?? node.position;
        if (
          old &&
          old.selected === selected &&
          old.focusable === focusable &&
          old.position.x === position.x &&
          old.position.y === position.y &&
          sameData(old.data, node.data)
        ) {
          return old;
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
          ariaLabel: `${node.type} ${node.id.slice(node.id.indexOf(":") + 1)}`,
          width: measured.width,
          height: measured.height,
          measured,
          handles: handlesFor(node, measured.width, measured.height),
        } as TopologyNode;
      });
    });
  }, [graph, selection, activeStop, layoutVersion]);

  const workloadIds = useMemo(
    () => new Set(graph.nodes.filter((n) => n.type === "workload").map((n) => n.id)),
    [graph],
  );
  const reach = useReachEdges(workloadIds);
  const topologyEdges = useMemo(() => {
    const selectedPolicy = selection?.kind === "policies" ? selection.name : null;
    return graph.edges.map((edge) => {
      const label =
        edge.type === "policy"
          ? `policy ${edge.data?.policy.name ?? ""} between ${edge.data?.a ?? ""} and ${edge.data?.b ?? ""}`
          : `${edge.data?.kind === "link" ? edge.data.role : "link"} ${edge.source.slice(edge.source.indexOf(":") + 1)} to ${edge.target.slice(edge.target.indexOf(":") + 1)}`;
      const selected = edge.type === "policy" && edge.data?.policy.name === selectedPolicy;
      return {
        ...edge,
        ariaLabel: label,
        ariaRole: "group" as const,
        selected,
        focusable: edge.id === activeStop,
      };
    });
  }, [graph, selection, activeStop]);
  const edges = useMemo<CanvasEdge[]>(
    () => (reach.edges.length > 0 ? [...topologyEdges, ...reach.edges] : topologyEdges),
    [topologyEdges, reach.edges],
  );

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
  }, [activeStop]);

  // First view of a tenant without a stored layout: the layered layout (in a worker), stored
  // for everyone when the viewer may write. Later, objects the layout does not know yet (added
  // here or by someone else) get a free spot near what they attach to, or where dropped.
  const laidOut = useRef<string | null>(null);
  /** The opening view waits for React Flow to be ready. */
  const [opening, setOpening] = useState<{
    count: number;
    positions: Record<string, Position>;
  } | null>(null);
  useEffect(() => {
    if (!flow || !opening) return;
    openView(flow, opening.count, opening.positions);
    setOpening(null);
  }, [flow, opening]);
  useEffect(() => {
    if (!doc || layoutLoaded !== tenant || graph.nodes.length === 0) return;
    if (laidOut.current !== tenant) {
      laidOut.current = tenant;
      const fresh = Object.keys(positionsRef.current).length === 0;
      if (fresh) {
        void autoLayout(graph).then(({ positions }) => {
          positionsRef.current = positions;
          sync?.replace(positions);
          setLayoutVersion((v) => v + 1);
          setOpening({ count: graph.nodes.length, positions });
        });
        return;
      }
      setOpening({ count: graph.nodes.length, positions: positionsRef.current });
    }
    const unplaced = graph.nodes.filter((node) => !positionsRef.current[node.id]);
    if (unplaced.length === 0) return;
    const boxes = boxesOf(graph, positionsRef.current);
    const added: Record<string, Position> = {};
    for (const node of unplaced) {
      const wanted = droppedAt.current[node.id];
      if (!wanted) continue;
      delete droppedAt.current[node.id];
      const size = estimateSize(node);
      const at = placeInFreeSpace(wanted, size, boxes);
      added[node.id] = at;
      boxes.push({ ...at, ...size });
    }
    Object.assign(added, placeNewNodes(graph, { ...positionsRef.current, ...added }));
    Object.assign(positionsRef.current, added);
    sync?.move(added);
    setLayoutVersion((v) => v + 1);
  }, [doc, graph, tenant, layoutLoaded, sync]);

  // New objects (no saved position yet) land where they were dropped: record grid fallbacks
  // only when saved, so the drop position handed to `placeNode` wins.
  const onNodesChange = useCallback(
    (changes: NodeChange<TopologyNode>[]) => {
      setNodes((current) => {
        const next = applyNodeChanges(changes, current);
        if (!changes.some((c) => c.type === "dimensions")) return next;
        // A measured node's handles follow its real size.
        const resized = new Set(changes.filter((c) => c.type === "dimensions").map((c) => c.id));
        return next.map((node) =>
          resized.has(node.id) && node.measured?.width && node.measured.height
            ? ({
                ...node,
                handles: handlesFor(node, node.measured.width, node.measured.height),
              } as TopologyNode)
            : node,
        );
      });
      const dropped: Record<string, Position> = {};
      for (const change of changes) {
        if (change.type !== "position" || !change.position) continue;
        positionsRef.current[change.id] = change.position;
        if (change.dragging === false) dropped[change.id] = change.position;
      }
      if (Object.keys(dropped).length > 0) {
        sync?.move(dropped);
        setLayoutUndo(null);
      }
    },
    [sync],
  );

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

  const onNodeClick = useCallback((_: React.MouseEvent, node: TopologyNode) => {
    selectObject(node.id);
    setTabStop(node.id);
  }, []);
  const onEdgeClick = useCallback((_: React.MouseEvent, edge: CanvasEdge) => {
    if (edge.type === "reach") return;
    selectObject(edge.id, edge.source);
    setTabStop(edge.id);
  }, []);

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

  const moveNodeBy = useCallback(
    (id: string, dx: number, dy: number) => {
      const node = flow?.getNode(id);
      if (!node) return;
      const at = { x: node.position.x + dx, y: node.position.y + dy };
      positionsRef.current[id] = at;
      setNodes((current) => current.map((n) => (n.id === id ? { ...n, position: at } : n)));
      sync?.move({ [id]: at });
    },
    [flow, sync],
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
    [graph, readOnly, moveNodeBy],
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
    [menuFor],
  );
  const onPaneClick = useCallback(() => draftStore.select(null), []);
  // Hovering a policy edge shows its label when the view is too dense to label every edge; not
  // while a button is down (a pan or a drag sweeping across edges).
  const onEdgeMouseEnter = useCallback((event: React.MouseEvent, edge: CanvasEdge) => {
    if (edge.type === "policy" && event.buttons === 0) hoverEdge(edge.id);
  }, []);
  const onEdgeMouseLeave = useCallback(() => hoverEdge(null), []);

  const api = useMemo<CanvasApi | null>(() => {
    if (!flow) return null;
    return {
      fit: () => void flow.fitView({ padding: 0.12, maxZoom: 1, duration: 200 }),
      layout: async () => {
        const before = { ...positionsRef.current };
        const { positions, ms } = await autoLayout(graph);
        positionsRef.current = positions;
        sync?.replace(positions);
        setLayoutUndo(before);
        setLayoutVersion((v) => v + 1);
        setOpening({ count: graph.nodes.length, positions });
        return ms;
      },
      placeNode: (id, at) => {
        droppedAt.current[id] = at;
      },
      focus: (id) => {
        const node = flow.getNode(id);
        if (node) {
          void flow.fitView({ nodes: [{ id }], padding: 1.5, duration: 250, maxZoom: 1.2 });
        }
      },
      fitNodes: (ids) => {
        const present = ids.filter((id) => flow.getNode(id));
        if (present.length === 0) return;
        void flow.fitView({
          nodes: present.map((id) => ({ id })),
          padding: 0.35,
          maxZoom: 1,
          duration: 250,
        });
      },
      center: () => {
        const box = wrapper.current?.getBoundingClientRect();
        if (!box) return { x: 0, y: 0 };
        return flow.screenToFlowPosition({
          x: box.left + box.width / 2,
          y: box.top + box.height / 2,
        });
      },
    };
  }, [flow, graph, sync]);

  const undoLayout = useCallback(() => {
    if (!layoutUndo) return;
    positionsRef.current = layoutUndo;
    sync?.replace(layoutUndo);
    setLayoutUndo(null);
    setLayoutVersion((v) => v + 1);
  }, [layoutUndo, sync]);

  useEffect(() => {
    if (api) onReady?.(api);
  }, [api, onReady]);

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: a drop target for palette drags; keyboards use the palette's Enter instead
    <div
      className={`canvas${readOnly ? " readonly" : ""}${without?.background ? "" : " dotted"}${reach.active ? " reviewing-reach" : ""}`}
      ref={wrapperRef}
      onDragOver={onDragOver}
      onDrop={onDrop}
      onKeyDownCapture={onKeyDownCapture}
      onFocusCapture={onFocusCapture}
    >
      <EdgeLabelLayer.Provider value={labelLayer}>
        <ReactFlow<TopologyNode, CanvasEdge>
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          edgeTypes={edgeTypes}
          onNodesChange={onNodesChange}
          onConnect={onConnect}
          onConnectEnd={onConnectEnd}
          onNodeClick={onNodeClick}
          onEdgeClick={onEdgeClick}
          onEdgeMouseEnter={onEdgeMouseEnter}
          onEdgeMouseLeave={onEdgeMouseLeave}
          onPaneClick={onPaneClick}
          onInit={setFlow}
          connectionMode={ConnectionMode.Loose}
          nodesConnectable={!readOnly}
          nodesDraggable
          deleteKeyCode={null}
          onlyRenderVisibleElements
          minZoom={0.05}
          maxZoom={2}
          fitViewOptions={{ padding: 0.12, maxZoom: 1 }}
          aria-label={`topology of ${tenant}`}
        >
          {without?.minimap ? null : <CanvasMiniMap networksOnly={graph.nodes.length > LARGE} />}
          <Controls showInteractive={false} aria-label="zoom controls" />
          <LodTracker wrapper={wrapperElement} />
          <LabelLayerFinder onFound={setLabelLayer} />
          <Panel position="top-left">
            <FabricBadge />
          </Panel>
          {layoutUndo || layoutError ? (
            <Panel position="top-center">
              <div className="nl-layout-note" role="status">
                {layoutError ?? "Auto-layout applied."}
                {layoutUndo ? (
                  <button type="button" onClick={undoLayout}>
                    Undo layout
                  </button>
                ) : null}
              </div>
            </Panel>
          ) : null}
          <Panel position="top-right">
            <Legend />
          </Panel>
          {reach.active ? (
            <Panel position="bottom-center">
              <ReachKey edges={reach.edges} omitted={reach.omitted} />
            </Panel>
          ) : null}
          {menu ? (
            <Panel position="top-left" className="nl-menu-panel">
              <ObjectMenu title={menu.label} actions={menu.actions} onClose={closeMenu} />
            </Panel>
          ) : null}
        </ReactFlow>
      </EdgeLabelLayer.Provider>
    </div>
  );
}

/** Selects what a node or edge stands for, exactly as a click on it does. */
function selectObject(id: string, edgeSource?: string): void {
  const policy = policyOfEdge(id);
  if (policy) {
    draftStore.select({ kind: "policies", name: policy });
    return;
  }
  const ref = refOfNode(edgeSource ?? id);
  if (ref) draftStore.select(ref);
}

/** Above this many nodes a tenant is "large": opening view and minimap change (see above). */
const LARGE = 400;

/**
 * The first view of a tenant: fit-all, except that large tenants open at a working zoom on
 * their top-left corner (at 2,000 nodes fit-all is 5% zoom: unreadable, and it would draw every
 * node at once). The minimap and the Fit button still show the whole.
 */
function openView(
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

/** Live fabric state over the canvas, pushed by the status subscription (lib/convergence). */
function FabricBadge() {
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

/** Imperative handles the toolbar and panels use. */
export interface CanvasApi {
  fit: () => void;
  /** Runs the auto-layout (undoable); answers the milliseconds the layout took. */
  layout: () => Promise<number>;
  /** A new object was dropped at `at`: its node goes to the nearest free spot there. */
  placeNode: (id: string, at: Position) => void;
  focus: (id: string) => void;
  /** Fits the view to these nodes (a traced path). */
  fitNodes: (ids: string[]) => void;
  center: () => Position;
}
