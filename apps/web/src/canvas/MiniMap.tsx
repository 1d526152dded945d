import { Panel, type ReactFlowState, useStoreApi } from "@xyflow/react";
import { memo, useEffect, useRef } from "react";
import type { TopologyNode } from "./graph";
import { subscribeToView } from "./viewSubscription";

const WIDTH = 170;
const HEIGHT = 110;
/** Margin around the drawing, in minimap pixels (React Flow's `offsetScale`). */
const MARGIN = 5;
/** While nodes keep changing (a drag), their drawing is refreshed at most this often. */
const REDRAW_EVERY_MS = 120;

type Kind = NonNullable<TopologyNode["type"]>;
const KINDS: Kind[] = ["network", "workload", "service", "router", "pool", "fip", "gateway"];

type Rect = { x: number; y: number; width: number; height: number };

/**
 * Overview of the whole topology with the visible area marked; drag on it to pan, wheel to zoom.
 *
 * A cheap stand-in for React Flow's <MiniMap>, which renders and subscribes one component per
 * node and re-renders on every pan frame (on a 2,000-node tenant that alone was a third of a pan
 * frame's main-thread time). Here every node kind is one <path>, rebuilt only when nodes change,
 * and the view box and viewport mask are written straight to the DOM when the view moves: no
 * React work while panning. On large tenants only networks are drawn (`networksOnly`), which
 * still shows where everything is.
 */
export const CanvasMiniMap = memo(function CanvasMiniMap({
  networksOnly,
  nodes,
}: {
  networksOnly: boolean;
  /** Every node of the diagram: on large tenants React Flow holds only those near the view. */
  nodes: readonly TopologyNode[];
}) {
  const store = useStoreApi();
  const allNodes = useRef(nodes);
  /** Set by the drawing effect: asks for the nodes to be drawn again soon. */
  const nodesMoved = useRef<() => void>(() => {});
  useEffect(() => {
    allNodes.current = nodes;
    nodesMoved.current();
  }, [nodes]);
  const svg = useRef<SVGSVGElement>(null);
  const mask = useRef<SVGPathElement>(null);
  const paths = useRef<Partial<Record<Kind, SVGPathElement | null>>>({});
  /** Flow units per minimap pixel, for turning pointer moves into pans. */
  const viewScale = useRef(1);

  useEffect(() => {
    let bounds: Rect | null = null;
    let drawnAt = Number.NEGATIVE_INFINITY;
    let trailing: ReturnType<typeof setTimeout> | undefined;
    const drawView = (state: ReactFlowState) => {
      const [tx, ty, zoom] = state.transform;
      const view = {
        x: -tx / zoom,
        y: -ty / zoom,
        width: state.width / zoom,
        height: state.height / zoom,
      };
      const box = bounds ? union(bounds, view) : view;
      const scale = Math.max(box.width / WIDTH, box.height / HEIGHT) || 1;
      viewScale.current = scale;
      const offset = MARGIN * scale;
      const width = scale * WIDTH + offset * 2;
      const height = scale * HEIGHT + offset * 2;
      const x = box.x - (scale * WIDTH - box.width) / 2 - offset;
      const y = box.y - (scale * HEIGHT - box.height) / 2 - offset;
      svg.current?.setAttribute("viewBox", `${x} ${y} ${width} ${height}`);
      mask.current?.setAttribute(
        "d",
        `M${x - offset},${y - offset}h${width + offset * 2}v${height + offset * 2}h${-width - offset * 2}z` +
          `M${view.x},${view.y}h${view.width}v${view.height}h${-view.width}z`,
      );
    };
    const drawAll = (state: ReactFlowState) => {
      clearTimeout(trailing);
      trailing = undefined;
      drawnAt = performance.now();
      bounds = drawNodes(allNodes.current, paths.current, networksOnly);
      drawView(state);
    };
    // Nodes change on every frame of a drag or a progressive layout: redraw them a few times
    // a second, and once after, each time in a task of its own (never on top of the render
    // that moved them: together they could pass the 50 ms a task may take).
    const redrawSoon = () => {
      if (trailing !== undefined) return;
      const since = performance.now() - drawnAt;
      trailing = setTimeout(() => drawAll(store.getState()), Math.max(0, REDRAW_EVERY_MS - since));
    };
    const unsubscribe = subscribeToView(store, drawView);
    redrawSoon();
    nodesMoved.current = redrawSoon;
    return () => {
      nodesMoved.current = () => {};
      unsubscribe();
      clearTimeout(trailing);
    };
  }, [store, networksOnly]);

  // Dragging on the minimap moves the view with the pointer, as React Flow's pannable minimap.
  const drag = useRef<{ pointer: number; x: number; y: number } | null>(null);
  const onPointerDown = (event: React.PointerEvent<SVGSVGElement>) => {
    if (event.button !== 0) return;
    event.currentTarget.setPointerCapture(event.pointerId);
    drag.current = { pointer: event.pointerId, x: event.clientX, y: event.clientY };
  };
  const onPointerMove = (event: React.PointerEvent<SVGSVGElement>) => {
    const from = drag.current;
    const { panZoom, transform } = store.getState();
    if (!from || from.pointer !== event.pointerId || !panZoom) return;
    const [x, y, zoom] = transform;
    const step = viewScale.current * Math.max(zoom, Math.log(zoom));
    void panZoom.setViewport({
      x: x - (event.clientX - from.x) * step,
      y: y - (event.clientY - from.y) * step,
      zoom,
    });
    drag.current = { pointer: event.pointerId, x: event.clientX, y: event.clientY };
  };
  const onPointerUp = () => {
    drag.current = null;
  };

  // Wheel zooms around the view's centre; a native listener, as React's wheel is passive.
  useEffect(() => {
    const element = svg.current;
    if (!element) return;
    const onWheel = (event: WheelEvent) => {
      const { panZoom, transform } = store.getState();
      if (!panZoom) return;
      event.preventDefault();
      const perLine = event.deltaMode === 1 ? 0.05 : event.deltaMode ? 1 : 0.002;
      void panZoom.scaleTo(transform[2] * 2 ** (-event.deltaY * perLine));
    };
    element.addEventListener("wheel", onWheel, { passive: false });
    return () => element.removeEventListener("wheel", onWheel);
  }, [store]);

  return (
    <Panel
      position="bottom-right"
      className="react-flow__minimap"
      style={{ width: WIDTH, height: HEIGHT }}
    >
      <svg
        ref={svg}
        width={WIDTH}
        height={HEIGHT}
        className="react-flow__minimap-svg"
        role="img"
        aria-label="minimap"
        onPointerDown={onPointerDown}
        onPointerMove={onPointerMove}
        onPointerUp={onPointerUp}
        onPointerCancel={onPointerUp}
      >
        {KINDS.map((kind) => (
          <path
            key={kind}
            ref={(element) => {
              paths.current[kind] = element;
            }}
            className={`mm-${kind}`}
          />
        ))}
        <path
          ref={mask}
          className="react-flow__minimap-mask"
          fillRule="evenodd"
          pointerEvents="none"
        />
      </svg>
    </Panel>
  );
});

/** Writes one path per node kind; returns the bounds of all nodes (drawn or not). */
function drawNodes(
  nodes: readonly TopologyNode[],
  paths: Partial<Record<Kind, SVGPathElement | null>>,
  networksOnly: boolean,
): Rect | null {
  const parts: Record<Kind, string[]> = {
    network: [],
    workload: [],
    service: [],
    router: [],
    pool: [],
    fip: [],
    gateway: [],
  };
  let minX = Number.POSITIVE_INFINITY;
  let minY = Number.POSITIVE_INFINITY;
  let maxX = Number.NEGATIVE_INFINITY;
  let maxY = Number.NEGATIVE_INFINITY;
  for (const node of nodes) {
    if (node.hidden) continue;
    // Canvas nodes have no parents: their position is absolute.
    const { x, y } = node.position;
    const width = node.measured?.width ?? node.width ?? 0;
    const height = node.measured?.height ?? node.height ?? 0;
    minX = Math.min(minX, x);
    minY = Math.min(minY, y);
    maxX = Math.max(maxX, x + width);
    maxY = Math.max(maxY, y + height);
    const kind = node.type as Kind | undefined;
    if (!kind || !(kind in parts) || (networksOnly && kind !== "network")) continue;
    parts[kind].push(`M${x},${y}h${width}v${height}h${-width}z`);
  }
  for (const kind of KINDS) paths[kind]?.setAttribute("d", parts[kind].join(""));
  if (minX > maxX) return null;
  return { x: minX, y: minY, width: maxX - minX, height: maxY - minY };
}

function union(a: Rect, b: Rect): Rect {
  const x = Math.min(a.x, b.x);
  const y = Math.min(a.y, b.y);
  return {
    x,
    y,
    width: Math.max(a.x + a.width, b.x + b.width) - x,
    height: Math.max(a.y + a.height, b.y + b.height) - y,
  };
}
