import {
  type IntentFile,
  RESOURCE_KINDS,
  type ResourceKind,
  type ResourceSpecs,
  resourceSchemas,
} from "@netloom/model";
import type { ObjectChange, StoredResource, TenantState } from "./types";
import { resourceKey } from "./types";

/** The tenant's intent document: kinds in file order, objects by ordinal, empty kinds left out. */
export function documentOf(state: Pick<TenantState, "name" | "resources">): IntentFile {
  const byKind = new Map<ResourceKind, StoredResource[]>();
  for (const resource of state.resources.values()) {
    const list = byKind.get(resource.kind) ?? [];
    list.push(resource);
    byKind.set(resource.kind, list);
  }
  const document: Record<string, unknown> = { apiVersion: "netloom/v1", tenant: state.name };
  for (const kind of RESOURCE_KINDS) {
    const list = byKind.get(kind);
    if (!list || list.length === 0) continue;
    list.sort((a, b) => a.ordinal - b.ordinal || a.name.localeCompare(b.name));
    document[kind] = list.map((resource) => structuredClone(resource.spec));
  }
  return document as unknown as IntentFile;
}

/** The objects of one kind in a document, typed. */
export function objectsOf<K extends ResourceKind>(
  document: IntentFile,
  kind: K,
): ResourceSpecs[K][] {
  return (document[kind] ?? []) as ResourceSpecs[K][];
}

/** Stable JSON for comparing specs (key order as the schema parses them is already stable). */
export function sameSpec(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** A planned resource write: which rows to create, update and delete. */
export interface ResourceDiff {
  changes: ObjectChange[];
  creates: { kind: ResourceKind; name: string; ordinal: number; spec: unknown }[];
  updates: { resource: StoredResource; ordinal: number; spec: unknown }[];
  deletes: StoredResource[];
}

/** What must change in the store to make `state` hold `desired`, matched by kind and name. */
export function diffResources(state: TenantState, desired: IntentFile): ResourceDiff {
  const diff: ResourceDiff = { changes: [], creates: [], updates: [], deletes: [] };
  const seen = new Set<string>();
  for (const kind of RESOURCE_KINDS) {
    objectsOf(desired, kind).forEach((spec, ordinal) => {
      const key = resourceKey(kind, spec.name);
      seen.add(key);
      const existing = state.resources.get(key);
      if (!existing) {
        diff.creates.push({ kind, name: spec.name, ordinal, spec });
        diff.changes.push({ action: "create", kind, name: spec.name, before: null, after: spec });
      } else if (!sameSpec(existing.spec, spec) || existing.ordinal !== ordinal) {
        diff.updates.push({ resource: existing, ordinal, spec });
        diff.changes.push({
          action: "update",
          kind,
          name: spec.name,
          before: existing.spec,
          after: spec,
        });
      }
    });
  }
  for (const [key, resource] of state.resources) {
    if (seen.has(key)) continue;
    diff.deletes.push(resource);
    diff.changes.push({
      action: "delete",
      kind: resource.kind,
      name: resource.name,
      before: resource.spec,
      after: null,
    });
  }
  return diff;
}

/** Parses a stored spec back through its kind's schema (a row written by an older version). */
export function parseStoredSpec(kind: ResourceKind, spec: unknown): ResourceSpecs[ResourceKind] {
  return resourceSchemas[kind].parse(spec) as ResourceSpecs[ResourceKind];
}

/** A `Resource` row as the store holds it, however it was read; none for a kind it does not know. */
export function storedResourceOf(row: {
  id: string;
  kind: string;
  name: string;
  ordinal: number;
  spec: unknown;
  revision: number;
}): StoredResource | undefined {
  const kind = RESOURCE_KINDS.find((known) => known === row.kind);
  if (kind === undefined) return undefined;
  return {
    id: row.id,
    kind,
    name: row.name,
    ordinal: row.ordinal,
    spec: parseStoredSpec(kind, row.spec),
    revision: row.revision,
  };
}

/** The tenant's stored objects of one kind, in file order. */
export function resourcesOf<K extends ResourceKind>(
  state: Pick<TenantState, "resources">,
  kind: K,
): StoredResource<K>[] {
  const list: StoredResource<K>[] = [];
  for (const resource of state.resources.values()) {
    if (resource.kind === kind) list.push(resource as StoredResource<K>);
  }
  return list.sort((a, b) => a.ordinal - b.ordinal);
}
