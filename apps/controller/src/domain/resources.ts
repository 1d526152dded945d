import {
  type IntentFile,
  NetloomError,
  RESOURCE_KIND_NOUNS,
  type ResourceKind,
  type ResourceSpecs,
} from "@netloom/model";
import type { IdempotentRequest } from "../store/idempotency";
import { notFound, type Store, staleRevision } from "../store/store";
import { resourceKey, type TenantState } from "../store/types";

/** An intent object as the API returns it. */
export interface ResourceView<K extends ResourceKind = ResourceKind> {
  name: string;
  revision: number;
  ordinal: number;
  spec: ResourceSpecs[K];
}

const SINGULAR = RESOURCE_KIND_NOUNS;

export function listResources<K extends ResourceKind>(
  store: Store,
  state: TenantState,
  kind: K,
): ResourceView<K>[] {
  return store.resources(state, kind).map((resource) => viewOf<K>(resource));
}

function viewOf<K extends ResourceKind>(resource: {
  name: string;
  revision: number;
  ordinal: number;
  spec: unknown;
}): ResourceView<K> {
  return {
    name: resource.name,
    revision: resource.revision,
    ordinal: resource.ordinal,
    spec: resource.spec as ResourceSpecs[K],
  };
}

export function getResource<K extends ResourceKind>(
  state: TenantState,
  kind: K,
  name: string,
): ResourceView<K> {
  const resource = state.resources.get(resourceKey(kind, name));
  if (!resource) throw notFound(SINGULAR[kind], name, "name");
  return viewOf<K>(resource);
}

/**
 * Checks that the object a change is about is stored: NOT_FOUND (at `path`) when it is not,
 * CONFLICT when `revision` is given and is not the stored one.
 */
function expectStored(
  current: TenantState,
  kind: ResourceKind,
  name: string,
  path: string,
  revision: number | undefined,
): void {
  const existing = current.resources.get(resourceKey(kind, name));
  if (!existing) throw notFound(SINGULAR[kind], name, path);
  if (revision !== undefined && existing.revision !== revision) {
    throw staleRevision(SINGULAR[kind], name, existing.revision);
  }
}

function listOf<K extends ResourceKind>(document: IntentFile, kind: K): ResourceSpecs[K][] {
  const record = document as unknown as Record<string, ResourceSpecs[K][] | undefined>;
  const list = record[kind] ?? [];
  record[kind] = list;
  return list;
}

/** Adds one object (at the end of its kind's list); CONFLICT when the name is taken. */
export async function createResource<K extends ResourceKind>(
  store: Store,
  state: TenantState,
  kind: K,
  spec: ResourceSpecs[K],
  actor: string,
  idempotency?: IdempotentRequest,
): Promise<ResourceView<K>> {
  const outcome = await store.change({
    tenant: state.name,
    actor,
    idempotency,
    mutate: (current, document) => {
      if (current.resources.has(resourceKey(kind, spec.name))) {
        throw new NetloomError("CONFLICT", `${SINGULAR[kind]} ${spec.name} exists`, [
          { path: "spec.name", message: `${SINGULAR[kind]} ${spec.name} exists` },
        ]);
      }
      listOf(document, kind).push(spec);
      return document;
    },
  });
  return readBack(store, outcome.tenant, kind, spec.name);
}

/** Replaces one object; CONFLICT unless `revision` is the stored one. */
export async function updateResource<K extends ResourceKind>(
  store: Store,
  state: TenantState,
  kind: K,
  spec: ResourceSpecs[K],
  revision: number,
  actor: string,
): Promise<ResourceView<K>> {
  const outcome = await store.change({
    tenant: state.name,
    actor,
    mutate: (current, document) => {
      expectStored(current, kind, spec.name, "spec.name", revision);
      const list = listOf(document, kind);
      const index = list.findIndex((item) => item.name === spec.name);
      list[index] = spec;
      return document;
    },
  });
  return readBack(store, outcome.tenant, kind, spec.name);
}

/** Removes one object; with `revision`, only if it is still the stored one. */
export async function deleteResource(
  store: Store,
  state: TenantState,
  kind: ResourceKind,
  name: string,
  revision: number | undefined,
  actor: string,
): Promise<{ generation: number }> {
  const outcome = await store.change({
    tenant: state.name,
    actor,
    mutate: (current, document) => {
      expectStored(current, kind, name, "name", revision);
      const record = document as unknown as Record<string, { name: string }[] | undefined>;
      record[kind] = (record[kind] ?? []).filter((item) => item.name !== name);
      return document;
    },
  });
  return { generation: outcome.generation };
}

function readBack<K extends ResourceKind>(
  store: Store,
  tenant: string,
  kind: K,
  name: string,
): ResourceView<K> {
  const state = store.tenant(tenant);
  if (!state) throw notFound("tenant", tenant, "tenant");
  return getResource(state, kind, name);
}
