import { type ReactFlowState, useStoreApi } from "@xyflow/react";
import { useEffect } from "react";
import { createExternalStore, useStoreSelector } from "../lib/externalStore";

/**
 * Level of detail, decided once per view change for the whole canvas instead of by a selector
 * in every node and edge: a pan frame then costs one pass here, and components re-render only
 * when a level actually flips.
 *
 * - `low`: below LOW_ZOOM nodes draw only their title line.
 * - `dense`: more policy edges in view than labels can be read (and painted cheaply): their
 *   labels are drawn only for the focused edge (selected, traced or hovered). Zooming in, or a
 *   small tenant, brings them all back. Network nodes still list their policies as chips.
 */
export interface LodState {
  low: boolean;
  dense: boolean;
  /** The edge under the pointer, whose label shows even when the view is dense. */
  hoveredEdge: string | null;
}

/**
 * Text is never drawn below 11 px on screen (issue 10 §3). The smallest text inside nodes and
 * on edge labels is 11.5 px (canvas.css), so below this zoom it would be: nodes then draw only
 * their names, scaled up to stay 11 px on screen (`--nl-zoom`), and their details become
 * shapes. Below TINY_ZOOM even names would outgrow their nodes: shapes only.
 */
export const LOW_ZOOM = 11 / 11.5;
export const TINY_ZOOM = 0.3;

/**
 * Policy labels are drawn while at most this many policy edges have their middle in view; past
 * it the view is "dense". The lower bound is the way back (hysteresis, so a pan along the
 * boundary does not make labels flicker).
 */
export const LABEL_BUDGET = 40;
const LABEL_BUDGET_BACK = 32;
const REDECIDE_EVERY_MS = 150;

export const lodStore = createExternalStore<LodState>({
  low: false,
  dense: false,
  hoveredEdge: null,
});

/** Subscribes to one level-of-detail value; select a primitive so only flips re-render. */
export function useLod<T>(selector: (state: LodState) => T): T {
  return useStoreSelector(lodStore, selector);
}

/** How many policy edges have their middle inside the view (stops counting past `limit`). */
export function policyEdgesInView(state: ReactFlowState, limit: number): number {
  const [tx, ty, zoom] = state.transform;
  if (!state.width || !state.height || zoom <= 0) return 0;
  const left = -tx / zoom;
  const top = -ty / zoom;
  const right = left + state.width / zoom;
  const bottom = top + state.height / zoom;
  let count = 0;
  for (const edge of state.edges) {
    if (edge.type !== "policy") continue;
    const source = state.nodeLookup.get(edge.source);
    const target = state.nodeLookup.get(edge.target);
    if (!source || !target) continue;
    const a = source.internals.positionAbsolute;
    const b = target.internals.positionAbsolute;
    const x = (a.x + b.x + ((source.measured.width ?? 0) + (target.measured.width ?? 0)) / 2) / 2;
    const y = (a.y + b.y + ((source.measured.height ?? 0) + (target.measured.height ?? 0)) / 2) / 2;
    if (x >= left && x <= right && y >= top && y <= bottom) {
      count++;
      if (count > limit) return count;
    }
  }
  return count;
}

/**
 * Keeps `lodStore` in step with React Flow's view and mirrors it as `lod-low` / `lod-dense`
 * classes on `wrapper` (for CSS-only simplifications). Must render inside <ReactFlow>.
 */
export function useLodTracker(wrapper: HTMLElement | null): void {
  const store = useStoreApi();
  useEffect(() => {
    let seen: Pick<ReactFlowState, "transform" | "nodes" | "edges" | "width" | "height"> | null =
      null;
    let decidedAt = Number.NEGATIVE_INFINITY;
    let trailing: ReturnType<typeof setTimeout> | undefined;
    const decide = (state: ReactFlowState) => {
      clearTimeout(trailing);
      trailing = undefined;
      decidedAt = performance.now();
      const wasDense = lodStore.getState().dense;
      const count = policyEdgesInView(state, LABEL_BUDGET);
      const dense = wasDense ? count > LABEL_BUDGET_BACK : count > LABEL_BUDGET;
      const zoom = state.transform[2];
      const low = zoom < LOW_ZOOM;
      lodStore.patch({ low, dense });
      wrapper?.classList.toggle("lod-low", low);
      wrapper?.classList.toggle("lod-tiny", zoom < TINY_ZOOM);
      wrapper?.classList.toggle("lod-dense", dense);
      if (wrapper && wrapper.style.getPropertyValue("--nl-zoom") !== String(zoom)) {
        wrapper.style.setProperty("--nl-zoom", String(zoom));
      }
    };
    const update = (state: ReactFlowState) => {
      const viewChanged =
        !seen ||
        state.transform !== seen.transform ||
        state.width !== seen.width ||
        state.height !== seen.height;
      const graphChanged = !seen || state.nodes !== seen.nodes || state.edges !== seen.edges;
      if (!viewChanged && !graphChanged) return;
      seen = state;
      if (viewChanged) {
        decide(state);
        return;
      }
      // Nodes change on every frame of a drag, which hardly moves the count: decide a few
      // times a second and once after.
      const since = performance.now() - decidedAt;
      if (since >= REDECIDE_EVERY_MS) decide(state);
      else if (trailing === undefined) {
        trailing = setTimeout(() => decide(store.getState()), REDECIDE_EVERY_MS - since);
      }
    };
    update(store.getState());
    const unsubscribe = store.subscribe(update);
    return () => {
      unsubscribe();
      clearTimeout(trailing);
    };
  }, [store, wrapper]);
}
