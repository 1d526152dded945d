import type { ReactFlowState, useStoreApi } from "@xyflow/react";

type FlowStore = ReturnType<typeof useStoreApi>;

/**
 * Calls `onView` now and whenever React Flow's view (transform, pane size) changes, and not on
 * the store's other updates (nodes moving, selection): for trackers that follow the view only.
 * Answers the unsubscribe.
 */
export function subscribeToView(
  store: FlowStore,
  onView: (state: ReactFlowState) => void,
): () => void {
  let seen: Pick<ReactFlowState, "transform" | "width" | "height"> | null = null;
  const update = (state: ReactFlowState) => {
    if (
      seen &&
      state.transform === seen.transform &&
      state.width === seen.width &&
      state.height === seen.height
    ) {
      return;
    }
    seen = state;
    onView(state);
  };
  update(store.getState());
  return store.subscribe(update);
}
