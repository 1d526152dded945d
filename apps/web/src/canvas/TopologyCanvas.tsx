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
import { autoLayout, gridPosition, loadPositions, quickLayout, savePositions } from "./layout";
import { lodStore, useLodTracker } from "./lod";
import { CanvasMiniMap } from "./MiniMap";
import { nodeTypes } from "./nodes";
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

/** Marks the positions ref before the saved layout is read (compared by identity). */
const NOT_LOADED: Record<string, Position> = {};

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
 * The topology canvas. Nodes are derived from the draft document; positions live in component
 * state (saved per tenant in localStorage after a drag or a layout). Dragging a node only
 * touches that node's object, so React Flow re-renders one node per frame.
 */
export function TopologyCanvas({
  tenant,
  readOnly,
  intents,
  document: fixedDocument,
  onReady,
  without,
}: {
  tenant: string;
  readOnly: boolean;
  intents?: CanvasIntents;
  /** A document to show instead of the draft (operator views, the benchmark page). */
  document?: IntentFile;
  onReady?: (api: CanvasApi) => void;
  /** Benchmark switches: leave out the minimap or the dotted background. */
  without?: { minimap?: boolean; background?: boolean };
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
  // Loaded once, not on every render: a render per drag frame must not parse the saved layout.
  const positionsRef = useRef<Record<string, Position>>(NOT_LOADED);
  if (positionsRef.current === NOT_LOADED) positionsRef.current = loadPositions(tenant);
  const [nodes, setNodes] = useState<TopologyNode[]>([]);
  const [layoutVersion, setLayoutVersion] = useState(0);

  // Tenant switch: positions belong to the tenant.
  useEffect(() => {
    positionsRef.current = loadPositions(tenant);
    setLayoutVersion((v) => v + 1);
  }, [tenant]);

  const graph: Graph = useMemo(() => {
    void layoutVersion;
    if (!doc) return { nodes: [], edges: [] };
    return buildGraph(doc, positionsRef.current, gridPosition);
  }, [doc, layoutVersion]);

  // Large tenants open at a working zoom on their top-left corner instead of fit-all (at 2,000
  // nodes fit-all is 5% zoom: unreadable, and it would draw every node at once). The minimap and
  // the Fit button still show the whole.
  const [opening] = useState(() => openingView(graph));

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

  // First view of a tenant without saved positions: the instant network-centric layout.
  const laidOut = useRef<string | null>(null);
  const flowRef = useRef(flow);
  flowRef.current = flow;
  useEffect(() => {
    if (!doc || laidOut.current === tenant || graph.nodes.length === 0) return;
    laidOut.current = tenant;
    if (Object.keys(positionsRef.current).length > 0) return;
    positionsRef.current = quickLayout(graph);
    if (!fixedDocument) savePositions(tenant, positionsRef.current);
    setLayoutVersion((v) => v + 1);
    if (graph.nodes.length > LARGE) {
      const view = openingView(buildGraph(doc, positionsRef.current, gridPosition));
      setTimeout(
        () => void flowRef.current?.setViewport(view.viewport ?? { x: 0, y: 0, zoom: 0.75 }),
        60,
      );
    } else {
      setTimeout(() => void flowRef.current?.fitView({ padding: 0.12, maxZoom: 1 }), 60);
    }
  }, [doc, graph, tenant, fixedDocument]);

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
      let moved = false;
      for (const change of changes) {
        if (change.type === "position" && change.position && change.dragging === false) {
          moved = true;
        }
        if (change.type === "position" && change.position) {
          positionsRef.current[change.id] = change.position;
        }
      }
      if (moved) savePositions(tenant, positionsRef.current);
    },
    [tenant],
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
        const measured: Record<string, { width: number; height: number }> = {};
        for (const node of flow.getNodes()) {
          if (node.measured?.width && node.measured.height) {
            measured[node.id] = { width: node.measured.width, height: node.measured.height };
          }
        }
        const positions = await autoLayout(graph, measured);
        positionsRef.current = positions;
        savePositions(tenant, positions);
        setLayoutVersion((v) => v + 1);
        setTimeout(() => void flow.fitView({ padding: 0.12, maxZoom: 1, duration: 200 }), 60);
      },
      placeNode: (id, at) => {
        positionsRef.current[id] = at;
        savePositions(tenant, positionsRef.current);
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
  }, [flow, graph, tenant]);

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
          fitView={opening.fit}
          {...(opening.viewport ? { defaultViewport: opening.viewport } : {})}
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
        </ReactFlow>
      </EdgeLabelLayer.Provider>
    </div>
  );
}

/** Above this many nodes a tenant is "large": opening view and minimap change (see above). */
const LARGE = 400;

function openingView(graph: Graph): {
  fit: boolean;
  viewport?: { x: number; y: number; zoom: number };
} {
  if (graph.nodes.length <= LARGE) return { fit: true };
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  for (const node of graph.nodes) {
    minX = Math.min(minX, node.position.x);
    minY = Math.min(minY, node.position.y);
  }
  const zoom = 0.75;
  return { fit: false, viewport: { x: -minX * zoom + 40, y: -minY * zoom + 40, zoom } };
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
  layout: () => Promise<void>;
  placeNode: (id: string, at: Position) => void;
  focus: (id: string) => void;
  /** Fits the view to these nodes (a traced path). */
  fitNodes: (ids: string[]) => void;
  center: () => Position;
}
