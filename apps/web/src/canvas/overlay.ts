import type { ConvergenceView, NetworkState, NodeBehind } from "../lib/convergence";
import { createExternalStore, useStoreSelector } from "../lib/externalStore";
import type { ReachFlip } from "../lib/reachDelta";

/**
 * What is drawn over the topology without being part of it: the traced path, live convergence
 * per network and node, and the objects that have problems. Kept apart from the draft so a status
 * push re-renders only the nodes whose status changed.
 */
export interface TraceOverlay {
  verdict: "allow" | "deny";
  /** Canvas node ids on the path, in order. */
  nodes: string[];
  /** Canvas edge ids on the path. */
  edges: string[];
  /** Node or edge where the verdict was decided, with the rule. */
  decidedAt: string | null;
  rule: string | null;
}

/** By the one definition in lib/convergence; draft networks are "not-applied". */
export type Convergence = NetworkState;

export interface OverlayState {
  trace: TraceOverlay | null;
  /** By network name. */
  networks: Record<string, Convergence>;
  /** By network name: the nodes that should hold it and do not. */
  lagging: Record<string, NodeBehind[]>;
  /** Hit counts by rule id (`policy:web-db/0`), where the fabric reports them. */
  hits: Record<string, number>;
  /** Canvas node ids of objects with problems. */
  problems: ReadonlySet<string>;
  /** The fabric as a whole, from the status subscription; null until the first push. */
  fabric: ConvergenceView | null;
  /**
   * The reviewed draft's reachability delta (pairs whose verdict flips), for the canvas to draw;
   * null when no review is open.
   */
  reachDelta: readonly ReachFlip[] | null;
  /** Search match: node ids; null when no search is active. */
  search: ReadonlySet<string> | null;
}

export const overlayStore = createExternalStore<OverlayState>({
  trace: null,
  networks: {},
  lagging: {},
  hits: {},
  problems: new Set(),
  fabric: null,
  reachDelta: null,
  search: null,
});

export function useOverlay<T>(selector: (state: OverlayState) => T): T {
  return useStoreSelector(overlayStore, selector);
}

/** How a node stands in the trace: on the path, where it was decided, or not involved. */
export function traceRole(trace: TraceOverlay | null, id: string): "path" | "decided" | null {
  if (!trace) return null;
  if (trace.decidedAt === id) return "decided";
  return trace.nodes.includes(id) ? "path" : null;
}
