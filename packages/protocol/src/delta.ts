import type { NodeConfig, TenantConfig } from "@netloom/compiler";
import type { DeltaMessage } from "./messages";

/**
 * The config a delta leads to from `base`: tenants in the delta's `order` when it has one, else
 * base order with new tenants appended, so both ends of the wire hold equal configs.
 */
export function applyDelta(base: NodeConfig, delta: DeltaMessage): NodeConfig {
  const replacements = new Map(delta.replace.map((tenant) => [tenant.tenantId, tenant]));
  const removed = new Set(delta.remove);
  const tenants: TenantConfig[] = [];
  for (const tenant of base.tenants) {
    if (removed.has(tenant.tenantId)) continue;
    const replacement = replacements.get(tenant.tenantId);
    if (replacement) {
      tenants.push(replacement);
      replacements.delete(tenant.tenantId);
    } else {
      tenants.push(tenant);
    }
  }
  for (const added of replacements.values()) tenants.push(added);
  const underlay = delta.underlay ?? base.underlay;
  const node = withLearnedRoutes({ ...base, underlay }, delta);
  if (!delta.order) return { ...node, tenants };
  const byId = new Map(tenants.map((tenant) => [tenant.tenantId, tenant]));
  const ordered: TenantConfig[] = [];
  for (const id of delta.order) {
    const tenant = byId.get(id);
    if (tenant) ordered.push(tenant);
  }
  return { ...node, tenants: ordered };
}

/**
 * Issue 14: the delta's learned routes replace the base's when it carries them; none leaves the
 * field out, as the compiler does, so both ends hold configs of equal JSON.
 */
function withLearnedRoutes(node: NodeConfig, delta: DeltaMessage): NodeConfig {
  if (delta.learnedRoutes === undefined) return node;
  const { learnedRoutes: _previous, ...rest } = node;
  return delta.learnedRoutes.length > 0 ? { ...rest, learnedRoutes: delta.learnedRoutes } : rest;
}
