import { ReactFlowProvider, useNodesInitialized, useReactFlow } from "@xyflow/react";
import { useCallback, useEffect, useMemo } from "react";
import type { CanvasApi } from "../canvas/canvasApi";
import { TopologyCanvas } from "../canvas/TopologyCanvas";
import { generateTenant } from "./generate";

declare global {
  interface Window {
    /** Read by e2e/bench/canvas.ts. */
    __netloomBench?: { nodes: number; edges: number; firstRenderMs: number | null };
    /** Runs the canvas's auto-layout; resolves with ms from the call to the laid-out frame. */
    __netloomLayout?: () => Promise<number>;
    /** Lets the benchmark put the view at a fixed place and zoom. */
    __netloomSetViewport?: (viewport: { x: number; y: number; zoom: number }) => void;
  }
}

/**
 * Test-only page (`#/bench?nodes=2000&edges=3000`): renders a generated tenant with the real
 * canvas, no controller involved, and reports when the first frame with every visible node
 * measured was painted (ms since navigation start, so bundle load and parse are included).
 */
export function BenchPage({ params }: { params: URLSearchParams }) {
  const nodes = Number(params.get("nodes") ?? "2000");
  const edges = Number(params.get("edges") ?? String(Math.round(nodes * 1.5)));
  const tenant = `bench-${nodes}-${edges}`;
  const generated = useMemo(() => {
    return generateTenant(nodes, edges);
  }, [nodes, edges]);
  useEffect(() => {
    window.__netloomBench = { nodes, edges, firstRenderMs: null };
  }, [nodes, edges]);
  const onReady = useCallback((api: CanvasApi) => {
    window.__netloomLayout = async () => {
      const started = performance.now();
      await api.layout();
      // Until the frame that shows the new positions has been produced.
      await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(resolve)));
      return performance.now() - started;
    };
  }, []);
  return (
    <ReactFlowProvider>
      <div className="bench-page">
        <TopologyCanvas
          tenant={tenant}
          readOnly={false}
          document={generated.doc}
          positions={generated.positions}
          onReady={onReady}
          without={{
            minimap: params.get("minimap") === "0",
            background: params.get("background") === "0",
          }}
        />
        <FirstRender />
        <ViewportHook />
      </div>
    </ReactFlowProvider>
  );
}

function ViewportHook() {
  const flow = useReactFlow();
  useEffect(() => {
    window.__netloomSetViewport = (viewport) => void flow.setViewport(viewport);
    return () => {
      window.__netloomSetViewport = undefined;
    };
  }, [flow]);
  return null;
}

function FirstRender() {
  const initialized = useNodesInitialized();
  useEffect(() => {
    if (!initialized) return;
    requestAnimationFrame(() =>
      requestAnimationFrame(() => {
        if (window.__netloomBench && window.__netloomBench.firstRenderMs === null) {
          window.__netloomBench.firstRenderMs = performance.now();
        }
      }),
    );
  }, [initialized]);
  return null;
}
