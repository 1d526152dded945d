import type { IntentFile } from "@netloom/model";
import { useSyncExternalStore } from "react";
import { documentKey, normalizeDocument, type ObjectRef } from "./ops";

/**
 * The tenant draft: the stored document (`base`, at `baseGeneration`) and the edited one
 * (`doc`). Edits stack for undo/redo. Components subscribe through `useDraft(selector)` so a
 * node re-renders only when the slice it reads changes (narrow subscriptions matter at 2,000
 * nodes).
 */
export interface DraftState {
  tenant: string | null;
  base: IntentFile | null;
  baseGeneration: number;
  doc: IntentFile | null;
  past: IntentFile[];
  future: IntentFile[];
  selection: ObjectRef | null;
  /** Read-only views (operator, viewer role) never edit the draft. */
  readOnly: boolean;
  /** Set while the review of restoring this earlier generation is open. */
  restoring: number | null;
}

type Listener = () => void;

const HISTORY_LIMIT = 200;

function createDraftStore() {
  let state: DraftState = {
    tenant: null,
    base: null,
    baseGeneration: 0,
    doc: null,
    past: [],
    future: [],
    selection: null,
    readOnly: false,
    restoring: null,
  };
  const listeners = new Set<Listener>();
  let lastCoalesce: string | undefined;
  let lastEditAt = 0;

  function set(next: DraftState) {
    state = next;
    for (const listener of listeners) listener();
  }

  return {
    getState: () => state,
    subscribe(listener: Listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    /** Loads the stored document; an unchanged reload keeps the user's edits. */
    load(tenant: string, base: IntentFile, generation: number, readOnly: boolean) {
      const normalized = normalizeDocument(base);
      const sameTenant = state.tenant === tenant;
      const dirty =
        sameTenant && state.doc && state.base && documentKey(state.doc) !== documentKey(state.base);
      set({
        ...state,
        tenant,
        base: normalized,
        baseGeneration: generation,
        doc: dirty && state.doc ? state.doc : normalized,
        past: sameTenant ? state.past : [],
        future: sameTenant ? state.future : [],
        selection: sameTenant ? state.selection : null,
        readOnly,
        restoring: sameTenant && generation === state.baseGeneration ? state.restoring : null,
      });
    },
    /**
     * Applies one edit; throws (and changes nothing) when the edit itself throws. Edits with the
     * same `coalesce` key in quick succession (typing in one field) make one undo step.
     */
    edit(change: (doc: IntentFile) => IntentFile, coalesce?: string) {
      if (!state.doc || state.readOnly) return;
      const next = change(state.doc);
      if (next === state.doc) return;
      const now = Date.now();
      const merge = coalesce !== undefined && coalesce === lastCoalesce && now - lastEditAt < 1500;
      lastCoalesce = coalesce;
      lastEditAt = now;
      set({
        ...state,
        doc: next,
        past: merge ? state.past : [...state.past.slice(-HISTORY_LIMIT + 1), state.doc],
        future: [],
        restoring: null,
      });
    },
    replaceDocument(doc: IntentFile) {
      if (!state.doc || state.readOnly) return;
      set({ ...state, doc, past: [...state.past, state.doc], future: [], restoring: null });
    },
    /**
     * Opens (or, with null, closes) the review of restoring an earlier generation. The draft is
     * left alone: the review is the controller's dry-run restore, applied only on confirmation.
     */
    reviewRestore(generation: number | null) {
      if (state.readOnly) return;
      set({ ...state, restoring: generation });
    },
    undo() {
      const previous = state.past.at(-1);
      if (!previous || !state.doc) return;
      set({
        ...state,
        doc: previous,
        past: state.past.slice(0, -1),
        future: [state.doc, ...state.future],
        restoring: null,
      });
    },
    redo() {
      const [next, ...rest] = state.future;
      if (!next || !state.doc) return;
      set({ ...state, doc: next, past: [...state.past, state.doc], future: rest, restoring: null });
    },
    /** After a successful apply: the draft is what is stored now (the export follows). */
    markApplied(generation: number) {
      if (!state.doc) return;
      set({
        ...state,
        base: state.doc,
        baseGeneration: generation,
        past: [],
        future: [],
        restoring: null,
      });
    },
    /** Drops the draft's changes; one undo brings them back. */
    discard() {
      if (!state.base || !state.doc) return;
      set({
        ...state,
        doc: state.base,
        past: [...state.past, state.doc],
        future: [],
        selection: null,
        restoring: null,
      });
    },
    select(selection: ObjectRef | null) {
      if (selection?.kind === state.selection?.kind && selection?.name === state.selection?.name) {
        return;
      }
      set({ ...state, selection });
    },
  };
}

export const draftStore = createDraftStore();
export type DraftStore = typeof draftStore;

/** Subscribes to one slice of the draft; re-renders only when `selector`'s result changes. */
export function useDraft<T>(selector: (state: DraftState) => T): T {
  return useSyncExternalStore(
    draftStore.subscribe,
    () => selector(draftStore.getState()),
    () => selector(draftStore.getState()),
  );
}

const keys = new WeakMap<IntentFile, string>();
function cachedKey(doc: IntentFile): string {
  let key = keys.get(doc);
  if (key === undefined) {
    key = documentKey(doc);
    keys.set(doc, key);
  }
  return key;
}

/** True when the draft differs from the stored document. */
export function isDirty(state: DraftState): boolean {
  if (!state.doc || !state.base) return false;
  if (state.doc === state.base) return false;
  return cachedKey(state.doc) !== cachedKey(state.base);
}
