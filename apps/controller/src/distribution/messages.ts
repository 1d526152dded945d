import type { NodeConfig, TenantConfig } from "@netloom/compiler";

/**
 * Message text for agents, built so that each compiled object is serialized once however many
 * messages carry it. Two levels are cached by object identity:
 * - a tenant config, carried by a snapshot and later deltas, or several resyncs of one node;
 * - each element of a tenant config's lists (a network instance, a remote endpoint, a peer, a
 *   security group...): the compiler hands the same element object to every node that sees it
 *   (a workload's endpoint is in the config of each node of its network), so after a change of
 *   a tenant on 10,000 nodes each endpoint is serialized once, not once per node holding it.
 * Compiled configs are immutable once installed, so caching by object identity is safe.
 */
const tenantJsonCache = new WeakMap<TenantConfig, string>();
const elementJsonCache = new WeakMap<object, string>();

/** The JSON text of one list element, serialized at most once per object. */
function elementJson(value: unknown): string {
  if (typeof value !== "object" || value === null) return JSON.stringify(value) ?? "null";
  let text = elementJsonCache.get(value);
  if (text === undefined) {
    text = JSON.stringify(value);
    elementJsonCache.set(value, text);
  }
  return text;
}

/** The JSON text of one tenant config (what `JSON.stringify` gives), made at most once per object. */
export function tenantJson(tenant: TenantConfig): string {
  let text = tenantJsonCache.get(tenant);
  if (text === undefined) {
    const fields: string[] = [];
    for (const [key, value] of Object.entries(tenant)) {
      if (value === undefined) continue;
      const json = Array.isArray(value)
        ? `[${value.map(elementJson).join(",")}]`
        : JSON.stringify(value);
      fields.push(`${JSON.stringify(key)}:${json}`);
    }
    text = `{${fields.join(",")}}`;
    tenantJsonCache.set(tenant, text);
  }
  return text;
}

function configJson(config: NodeConfig): string {
  const { tenants, ...rest } = config;
  const head = JSON.stringify(rest);
  const separator = head.length > 2 ? "," : "";
  return `${head.slice(0, -1)}${separator}"tenants":[${tenants.map(tenantJson).join(",")}]}`;
}

/** A `SnapshotMessage` as text. */
export function snapshotText(generation: number, hash: string, config: NodeConfig): string {
  return `{"type":"snapshot","generation":${generation},"hash":${JSON.stringify(hash)},"config":${configJson(config)}}`;
}

/** Which tenants differ between two configs of one node, by tenant id. */
export interface TenantDiff {
  replace: TenantConfig[];
  remove: string[];
  /** Tenant ids of `next` in order, when the order is not `base`'s order plus appended ones. */
  order: string[];
  underlayChanged: boolean;
  /** Issue 14: the node's learned EVPN routes differ (they are node-wide, not a tenant's). */
  learnedRoutesChanged: boolean;
}

/**
 * The per-tenant difference from `base` to `next`. Unchanged tenants are recognised by object
 * identity (the incremental compiler hands an unchanged tenant over as the same object); with
 * `compareContent` (after a full compile, where every object is new) by their JSON text too.
 */
export function diffTenants(base: NodeConfig, next: NodeConfig, compareContent = true): TenantDiff {
  const previous = new Map<string, TenantConfig>();
  for (const tenant of base.tenants) previous.set(tenant.tenantId, tenant);
  const replace: TenantConfig[] = [];
  for (const tenant of next.tenants) {
    const before = previous.get(tenant.tenantId);
    previous.delete(tenant.tenantId);
    if (before === tenant) continue;
    if (compareContent && before && tenantJson(before) === tenantJson(tenant)) continue;
    replace.push(tenant);
  }
  return {
    replace,
    remove: [...previous.keys()],
    order: next.tenants.map((tenant) => tenant.tenantId),
    underlayChanged: base.underlay !== next.underlay,
    learnedRoutesChanged:
      JSON.stringify(base.learnedRoutes ?? []) !== JSON.stringify(next.learnedRoutes ?? []),
  };
}

/** A `DeltaMessage` as text. */
export function deltaText(
  generation: number,
  baseHash: string,
  hash: string,
  next: NodeConfig,
  diff: TenantDiff,
): string {
  const underlay = diff.underlayChanged ? `,"underlay":${JSON.stringify(next.underlay)}` : "";
  const learned = diff.learnedRoutesChanged
    ? `,"learnedRoutes":${JSON.stringify(next.learnedRoutes ?? [])}`
    : "";
  return `{"type":"delta","generation":${generation},"baseHash":${JSON.stringify(baseHash)},"hash":${JSON.stringify(hash)}${underlay}${learned},"replace":[${diff.replace.map(tenantJson).join(",")}],"remove":${JSON.stringify(diff.remove)},"order":${JSON.stringify(diff.order)}}`;
}
