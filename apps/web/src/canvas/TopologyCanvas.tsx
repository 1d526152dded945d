import type { IntentFile } from "@netloom/model";
import {
  applyNodeChanges,
  type Connection,
  ConnectionMode,
  Controls,
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
import { EdgeLabelLayer, edgeTypes, hoverEdge } from "./edges";
import { estimateSize, handlesFor } from "./geometry";
import {
  buildGraph,
  type Graph,
  nodeOfRef,
  policyOfEdge,
  refOfNode,
  type TopologyEdge,
  type TopologyNode,
} from "./graph";
import { Legend } from "./Legend";
import { placeInFreeSpace } from "./layered";
import { autoLayout, boxesOf, gridPosition, placeNewNodes } from "./layout";
import { createLayoutSync, type LayoutSync } from "./layoutDocument";
import { lodStore, useLodTracker } from "./lod";
import { CanvasMiniMap } from "./MiniMap";
import { nodeTypes } from "./nodes";
import "./canvas.css";
import { useOverlay } from "./overlay";

/** What the canvas asks its owner to do: creating things needs a dialog the owner renders. */
export interface CanvasIntents {
  /** A palette item dropped on empty canvas at a flow position. */
  onCreate?: (item: PaletteItem, at: { x: number; y: number }) => void;
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
  const [flow, setFlow] = useState<ReactFlowInstance<TopologyNode, TopologyEdge> | null>(null);
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
    void layoutVersion;
    if (!doc || layoutLoaded !== tenant) return { nodes: [], edges: [] };
    return buildGraph(doc, positionsRef.current, gridPosition);
  }, [doc, layoutVersion, layoutLoaded, tenant]);

  // Merge the derived graph into the current nodes: untouched nodes keep their object (and so
  // their measurements and render), changed ones keep their measured size to avoid a re-measure.
  useEffect(() => {
    const selectedId = selection ? nodeOfRef(selection.kind, selection.name) : null;
    setNodes((previous) => {
      const byId = new Map(previous.map((node) => [node.id, node]));
      return graph.nodes.map((node) => {
        const old = byId.get(node.id);
        const selected = node.id === selectedId;
        const position = positionsRef.current[node.id] ?? old?.position ?? node.position;
        if (
          old &&
          old.selected === selected &&
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
          ariaLabel: `${node.type} ${node.id.slice(node.id.indexOf(":") + 1)}`,
          width: measured.width,
          height: measured.height,
          measured,
          handles: handlesFor(node, measured.width, measured.height),
        } as TopologyNode;
      });
    });
  }, [graph, selection]);

  const edges = useMemo(() => {
    const selectedPolicy = selection?.kind === "policies" ? selection.name : null;
    return graph.edges.map((edge) => {
      const label =
        edge.type === "policy"
          ? `policy ${edge.data?.policy.name ?? ""} between ${edge.data?.a ?? ""} and ${edge.data?.b ?? ""}`
          : `${edge.data?.kind === "link" ? edge.data.role : "link"} ${edge.source.slice(edge.source.indexOf(":") + 1)} to ${edge.target.slice(edge.target.indexOf(":") + 1)}`;
      const selected = edge.type === "policy" && edge.data?.policy.name === selectedPolicy;
      return { ...edge, ariaLabel: label, selected };
    });
  }, [graph, selection]);

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
    draftStore.select(refOfNode(node.id));
  }, []);
  const onEdgeClick = useCallback((_: React.MouseEvent, edge: TopologyEdge) => {
    const policy = policyOfEdge(edge.id);
    if (policy) draftStore.select({ kind: "policies", name: policy });
    else if (edge.data?.kind === "link") {
      const owner = refOfNode(edge.source);
      if (owner) draftStore.select(owner);
    }
  }, []);
  const onPaneClick = useCallback(() => draftStore.select(null), []);
  // Hovering a policy edge shows its label when the view is too dense to label every edge; not
  // while a button is down (a pan or a drag sweeping across edges).
  const onEdgeMouseEnter = useCallback((event: React.MouseEvent, edge: TopologyEdge) => {
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
        setTimeout(() => void flow.fitView({ padding: 0.12, maxZoom: 1, duration: 200 }), 60);
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
      className={`canvas${readOnly ? " readonly" : ""}${without?.background ? "" : " dotted"}`}
      ref={wrapperRef}
      onDragOver={onDragOver}
      onDrop={onDrop}
    >
      <EdgeLabelLayer.Provider value={labelLayer}>
        <ReactFlow<TopologyNode, TopologyEdge>
          nodes={nodes}
          edges={edges}
          nodeTypes={nodeTypes}
          edgeTypes={edgeTypes}
          onNodesChange={onNodesChange}
          onConnect={onConnect}
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
        </ReactFlow>
      </EdgeLabelLayer.Provider>
    </div>
  );
}

/** Above this many nodes a tenant is "large": opening view and minimap change (see above). */
const LARGE = 400;

/**
 * The first view of a tenant: fit-all, except that large tenants open at a working zoom on
 * their top-left corner (at 2,000 nodes fit-all is 5% zoom: unreadable, and it would draw every
 * node at once). The minimap and the Fit button still show the whole.
 */
function openView(
  flow: ReactFlowInstance<TopologyNode, TopologyEdge>,
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
