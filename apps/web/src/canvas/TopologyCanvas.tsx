import type { IntentFile } from "@netloom/model";
import {
  applyNodeChanges,
  ConnectionMode,
  Controls,
  getViewportForBounds,
  type NodeChange,
  Panel,
  ReactFlow,
  type ReactFlowInstance,
} from "@xyflow/react";
import { useCallback, useEffect, useMemo, useRef, useState } from "react";
import { draftStore, useDraft } from "../draft/store";
import { useTRPCClient } from "../trpc";
import { EdgeLabelLayer, hoverEdge } from "./edges";
import { estimateSize, handlesFor } from "./geometry";
import { buildGraph, type Graph, nodeOfRef, type TopologyNode } from "./graph";
import { ObjectMenu } from "./keyboard";
import { Legend } from "./Legend";
import { placeInFreeSpace } from "./layered";
import { autoLayout, boxesOf, gridPosition, placeNewNodes } from "./layout";
import { createLayoutSync, type LayoutSync } from "./layoutDocument";
import { lodStore } from "./lod";
import { CanvasMiniMap } from "./MiniMap";
import { nodeTypes } from "./nodes";
import "./canvas.css";
import {
  CullTracker,
  FabricBadge,
  LARGE,
  LabelLayerFinder,
  LodTracker,
  openView,
} from "./CanvasChrome";
import type { CanvasApi, CanvasIntents, Position } from "./canvasApi";
import { type Area, boundsOfNodes, cullToArea, nearArea } from "./culling";
import { mergeNodes } from "./nodeMerge";
import {
  moveProgressively,
  type ProgressiveMove,
  undoAfterHandMoves,
  withHandMoves,
} from "./progressiveApply";
import { type CanvasEdge, edgeTypes, ReachKey, useReachEdges } from "./reachEdge";
import { useCanvasDrops } from "./useCanvasDrops";
import { selectObject, useCanvasKeyboard } from "./useCanvasKeyboard";
import { useExternalRoutes } from "./useExternalRoutes";

const MIN_ZOOM = 0.05;

interface FitOptions {
  padding: number;
  maxZoom: number;
  duration?: number;
}

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
  /**
   * A whole new layout (auto-layout, its undo) moves the nodes a slice per frame, so a large
   * tenant's page never freezes while React Flow takes thousands of positions.
   */
  const moving = useRef<ProgressiveMove | null>(null);
  /** The area React Flow is handed (culling.ts), on large tenants. */
  const handedArea = useRef<Area | null>(null);
  useEffect(() => () => moving.current?.cancel(), []);
  /**
   * The last whole new layout: `heldByHand` collects the nodes the user moves from the moment it
   * is asked for until its last slice (`active`); they keep the user's position.
   */
  const layoutSession = useRef<{ heldByHand: Set<string>; active: boolean } | null>(null);
  /** A layout is being computed or applied (the canvas is aria-busy meanwhile). */
  const [applyingLayout, setApplyingLayout] = useState(false);
  const [layoutLoaded, setLayoutLoaded] = useState<string | null>(null);
  const [layoutError, setLayoutError] = useState<string | null>(null);
  /** The positions before the last auto-layout, while it can be undone. */
  const [layoutUndo, setLayoutUndo] = useState<Record<string, Position> | null>(null);
  const client = useTRPCClient();
  /** The one object of the canvas in the Tab order (roving tabindex), and its open menu. */
  const persisted = !fixedDocument;
  const sync = useMemo<LayoutSync | null>(
    () => (persisted ? createLayoutSync(client, tenant, !readOnly, setLayoutError) : null),
    [client, tenant, readOnly, persisted],
  );

  /**
   * Applies a whole new layout (auto-layout, its undo, a tenant's first layout): `compute` gives
   * the positions, they are saved, then the nodes move a slice per frame. A node the user drags
   * from the moment it is asked for until the last slice keeps the user's position, on screen
   * and in the saved document; an undoable layout's undo gives back only what it moved.
   */
  const applyLayout = useCallback(
    async (
      compute: () => Promise<Record<string, Position>>,
      undoable: boolean,
    ): Promise<Record<string, Position>> => {
      moving.current?.cancel();
      const before = { ...positionsRef.current };
      // A drag already under way when the layout is asked for is the user's too.
      const inHand = (flow?.getNodes() ?? []).filter((node) => node.dragging).map((n) => n.id);
      const session = { heldByHand: new Set(inHand), active: true };
      layoutSession.current = session;
      setApplyingLayout(true);
      try {
        const positions = withHandMoves(await compute(), positionsRef.current, session.heldByHand);
        if (layoutSession.current !== session) return positions; // a newer layout took over
        sync?.replace(positions);
        setLayoutUndo(
          undoable ? withHandMoves(before, positionsRef.current, session.heldByHand) : null,
        );
        const area = handedArea.current;
        const from = positionsRef.current;
        const move = moveProgressively(from, positions, () => setLayoutVersion((v) => v + 1), {
          heldByHand: session.heldByHand,
          // Culled, only nodes React Flow holds (or will) cost it a render.
          ...(area
            ? { cost: (id: string) => (nearArea(area, from[id], positions[id]) ? 1 : 0) }
            : {}),
        });
        moving.current = move;
        await move.done;
        return positions;
      } finally {
        session.active = false;
        if (layoutSession.current === session) setApplyingLayout(false);
      }
    },
    [flow, sync],
  );

  /**
   * The user put nodes somewhere (a drag, arrow keys); `settled` once they are let go, when the
   * position is saved. A layout being computed or applied leaves these nodes alone.
   */
  const movedByHand = useCallback(
    (moved: Record<string, Position>, settled: boolean) => {
      const session = layoutSession.current;
      for (const [id, at] of Object.entries(moved)) {
        positionsRef.current[id] = at;
        if (session?.active) session.heldByHand.add(id);
      }
      if (!settled || Object.keys(moved).length === 0) return;
      sync?.move(moved);
      setLayoutUndo((undo) => undoAfterHandMoves(undo, moved, session?.heldByHand ?? new Set()));
    },
    [sync],
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

  const gateways = useExternalRoutes(tenant, persisted);
  const graph: Graph = useMemo(() => {
    if (!doc || layoutLoaded !== tenant) return { nodes: [], edges: [] };
    return buildGraph(doc, positionsRef.current, gridPosition, gateways);
    // Positions are read from positionsRef by the node merge below: moving nodes (a layout, a
    // drag) must not rebuild the graph and every edge with it.
  }, [doc, layoutLoaded, tenant, gateways]);

  // Merge the derived graph into the current nodes: untouched nodes keep their object (and so
  // their measurements and render), changed ones keep their measured size to avoid a re-measure.
  const graphIds = useMemo(
    () => new Set([...graph.nodes, ...graph.edges].map((e) => e.id)),
    [graph],
  );
  const {
    activeStop,
    setTabStop,
    onKeyDownCapture,
    onFocusCapture,
    onContextMenu,
    menu,
    closeMenu,
  } = useCanvasKeyboard({
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
  });
  useEffect(() => {
    void layoutVersion; // positions live in positionsRef: a new version means they moved
    const selectedId = selection ? nodeOfRef(selection.kind, selection.name) : null;
    setNodes((previous) =>
      mergeNodes(previous, graph.nodes, {
        selectedId,
        activeStop,
        positions: positionsRef.current,
      }),
    );
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

  // Large tenants: React Flow holds only what is around the view (culling.ts), the canvas the
  // whole diagram; small ones are handed whole.
  const culling = graph.nodes.length > LARGE;
  const [cullArea, setCullArea] = useState<Area | null>(null);
  const handedEdges = useRef<CanvasEdge[]>([]);
  const handed = useMemo(() => {
    if (!culling) return { nodes, edges };
    if (!cullArea) return { nodes: [], edges: [] };
    const pinned = new Set<string>();
    for (const node of nodes)
      if (node.dragging || node.selected || node.focusable) pinned.add(node.id);
    return cullToArea(nodes, edges, cullArea, pinned, handedEdges.current);
  }, [culling, cullArea, nodes, edges]);
  handedEdges.current = handed.edges;
  handedArea.current = culling ? cullArea : null;
  const nodesRef = useRef(nodes);
  nodesRef.current = nodes;

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
        const count = graph.nodes.length;
        applyLayout(async () => (await autoLayout(graph)).positions, false).then(
          (positions) => setOpening({ count, positions }),
          (error: unknown) => console.error(`the first layout of ${tenant} failed`, error),
        );
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
  }, [doc, graph, tenant, layoutLoaded, sync, applyLayout]);

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
      const dragged: Record<string, Position> = {};
      const dropped: Record<string, Position> = {};
      for (const change of changes) {
        if (change.type !== "position" || !change.position) continue;
        if (change.dragging === false) dropped[change.id] = change.position;
        else dragged[change.id] = change.position;
      }
      movedByHand(dragged, false);
      movedByHand(dropped, true);
    },
    [movedByHand],
  );

  const { onConnect, onDragOver, onDrop, onConnectEnd } = useCanvasDrops(flow, intents, readOnly);

  const onNodeClick = useCallback(
    (_: React.MouseEvent, node: TopologyNode) => {
      selectObject(node.id);
      setTabStop(node.id);
    },
    [setTabStop],
  );
  const onEdgeClick = useCallback(
    (_: React.MouseEvent, edge: CanvasEdge) => {
      if (edge.type === "reach") return;
      selectObject(edge.id, edge.source);
      setTabStop(edge.id);
    },
    [setTabStop],
  );

  const onNodeContextMenu = useCallback(
    (event: React.MouseEvent, node: TopologyNode) => onContextMenu(event, node.id),
    [onContextMenu],
  );
  const onEdgeContextMenu = useCallback(
    (event: React.MouseEvent, edge: CanvasEdge) => {
      if (edge.type === "policy") onContextMenu(event, edge.id);
    },
    [onContextMenu],
  );
  const onPaneClick = useCallback(() => draftStore.select(null), []);
  // Hovering a policy edge shows its label when the view is too dense to label every edge; not
  // while a button is down (a pan or a drag sweeping across edges).
  const onEdgeMouseEnter = useCallback((event: React.MouseEvent, edge: CanvasEdge) => {
    if (edge.type === "policy" && event.buttons === 0) hoverEdge(edge.id);
  }, []);
  const onEdgeMouseLeave = useCallback(() => hoverEdge(null), []);

  /**
   * Fits the view to the nodes `ids` (every node without), whether or not React Flow holds them
   * (its own fitView knows only the nodes it holds).
   */
  const fitTo = useCallback(
    (ids: readonly string[] | null, { padding, maxZoom, duration }: FitOptions) => {
      const box = wrapper.current?.getBoundingClientRect();
      const wanted = ids ? new Set(ids) : null;
      const bounds = boundsOfNodes(
        wanted ? nodesRef.current.filter((node) => wanted.has(node.id)) : nodesRef.current,
      );
      if (!flow || !box || !bounds || box.width === 0 || box.height === 0) return false;
      const viewport = getViewportForBounds(
        bounds,
        box.width,
        box.height,
        MIN_ZOOM,
        maxZoom,
        padding,
      );
      void flow.setViewport(viewport, duration ? { duration } : undefined);
      return true;
    },
    [flow],
  );
  const fitAll = useCallback(() => fitTo(null, { padding: 0.12, maxZoom: 1 }), [fitTo]);

  const api = useMemo<CanvasApi | null>(() => {
    if (!flow) return null;
    return {
      fit: () => void fitTo(null, { padding: 0.12, maxZoom: 1, duration: 200 }),
      layout: async () => {
        let ms = 0;
        const positions = await applyLayout(async () => {
          const result = await autoLayout(graph);
          ms = result.ms;
          return result.positions;
        }, true);
        // The view moves once the nodes stand still: moving it first would draw a new screenful
        // of nodes in the same task as the first slice.
        setOpening({ count: graph.nodes.length, positions });
        return ms;
      },
      placeNode: (id, at) => {
        droppedAt.current[id] = at;
      },
      focus: (id) => void fitTo([id], { padding: 1.5, maxZoom: 1.2, duration: 250 }),
      fitNodes: (ids) => void fitTo(ids, { padding: 0.35, maxZoom: 1, duration: 250 }),
      center: () => {
        const box = wrapper.current?.getBoundingClientRect();
        if (!box) return { x: 0, y: 0 };
        return flow.screenToFlowPosition({
          x: box.left + box.width / 2,
          y: box.top + box.height / 2,
        });
      },
    };
  }, [flow, graph, applyLayout, fitTo]);

  const undoLayout = useCallback(() => {
    if (!layoutUndo) return;
    applyLayout(async () => layoutUndo, false).catch((error: unknown) =>
      console.error(`undoing the layout of ${tenant} failed`, error),
    );
  }, [layoutUndo, applyLayout, tenant]);

  useEffect(() => {
    if (api) onReady?.(api);
  }, [api, onReady]);

  return (
    // biome-ignore lint/a11y/noStaticElementInteractions: a drop target for palette drags; keyboards use the palette's Enter instead
    <div
      className={`canvas${readOnly ? " readonly" : ""}${without?.background ? "" : " dotted"}${reach.active ? " reviewing-reach" : ""}`}
      ref={wrapperRef}
      aria-busy={applyingLayout}
      onDragOver={onDragOver}
      onDrop={onDrop}
      onKeyDownCapture={onKeyDownCapture}
      onFocusCapture={onFocusCapture}
    >
      <EdgeLabelLayer.Provider value={labelLayer}>
        <ReactFlow<TopologyNode, CanvasEdge>
          nodes={handed.nodes}
          edges={handed.edges}
          nodeTypes={nodeTypes}
          edgeTypes={edgeTypes}
          onNodesChange={onNodesChange}
          onConnect={onConnect}
          onConnectEnd={onConnectEnd}
          onNodeClick={onNodeClick}
          onEdgeClick={onEdgeClick}
          onNodeContextMenu={onNodeContextMenu}
          onEdgeContextMenu={onEdgeContextMenu}
          onEdgeMouseEnter={onEdgeMouseEnter}
          onEdgeMouseLeave={onEdgeMouseLeave}
          onPaneClick={onPaneClick}
          onInit={setFlow}
          connectionMode={ConnectionMode.Loose}
          nodesConnectable={!readOnly}
          nodesDraggable
          deleteKeyCode={null}
          onlyRenderVisibleElements
          minZoom={MIN_ZOOM}
          maxZoom={2}
          fitViewOptions={{ padding: 0.12, maxZoom: 1 }}
          aria-label={`topology of ${tenant}`}
        >
          {without?.minimap ? null : (
            <CanvasMiniMap networksOnly={graph.nodes.length > LARGE} nodes={nodes} />
          )}
          <Controls showInteractive={false} onFitView={fitAll} aria-label="zoom controls" />
          {culling ? <CullTracker onArea={setCullArea} /> : null}
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
