import type { IntentFile, Problem, ResourceKind } from "@netloom/model";
import { problemsUnder } from "../errors";
import { createExternalStore, useStoreSelector } from "../lib/externalStore";
import { listOf } from "./ops";

/**
 * The controller's verdict on the current draft (a dry-run apply): problems by path, checked
 * against the document they were computed for so indices map back to the right objects.
 */
export interface ValidationState {
  status: "idle" | "checking" | "valid" | "invalid" | "error";
  doc: IntentFile | null;
  problems: Problem[];
  message: string | null;
}

export const validationStore = createExternalStore<ValidationState>({
  status: "idle",
  doc: null,
  problems: [],
  message: null,
});

export function useValidation<T>(selector: (state: ValidationState) => T): T {
  return useStoreSelector(validationStore, selector);
}

/** The problems of one object, paths relative to it (`subnets[0].cidr`). */
export function problemsOfObject(
  state: ValidationState,
  kind: ResourceKind,
  name: string,
): Problem[] {
  if (!state.doc) return [];
  const index = listOf(state.doc, kind).findIndex((item) => item.name === name);
  if (index < 0) return [];
  return problemsUnder(state.problems, `${kind}[${index}]`);
}

/** `networks[3].subnets[0].cidr` → the object it names in `doc`, if any. */
export function objectOfPath(
  doc: IntentFile,
  path: string,
): { kind: ResourceKind; name: string } | null {
  const match = /^(\w+)\[(\d+)\]/.exec(path);
  if (!match) return null;
  const kind = match[1] as ResourceKind;
  const list = (doc as Record<string, unknown>)[kind];
  if (!Array.isArray(list)) return null;
  const item: unknown = list[Number(match[2])];
  if (item && typeof item === "object" && "name" in item && typeof item.name === "string") {
    return { kind, name: item.name };
  }
  return null;
}
