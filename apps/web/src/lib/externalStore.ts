import { useSyncExternalStore } from "react";

/**
 * A tiny state cell outside React: canvas overlays and level of detail change at frame rate, and
 * each node subscribes to just the slice it draws, so a change re-renders only the nodes whose
 * selected value changed (React Flow's own store works the same way).
 */
export interface ExternalStore<S> {
  getState(): S;
  subscribe(listener: () => void): () => void;
  /** Replaces the state and notifies, unless `next` is the current state. */
  set(next: S): void;
  /** Merges `part`; notifies only when some field actually changed. */
  patch(part: Partial<S>): void;
}

/** Makes a store holding `initial`. */
export function createExternalStore<S extends object>(initial: S): ExternalStore<S> {
  let state = initial;
  const listeners = new Set<() => void>();
  const notify = () => {
    for (const listener of listeners) listener();
  };
  return {
    getState: () => state,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    set(next) {
      if (next === state) return;
      state = next;
      notify();
    },
    patch(part) {
      const changed = (Object.keys(part) as (keyof S)[]).some((key) => part[key] !== state[key]);
      if (!changed) return;
      state = { ...state, ...part };
      notify();
    },
  };
}

/** Subscribes to one slice of a store; select a primitive or a stable reference. */
export function useStoreSelector<S, T>(store: ExternalStore<S>, selector: (state: S) => T): T {
  const read = () => selector(store.getState());
  return useSyncExternalStore(store.subscribe, read, read);
}
