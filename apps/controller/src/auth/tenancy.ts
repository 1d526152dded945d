import type { Store } from "../store/store";
import type { TenantState } from "../store/types";
import { type Access, authorizeTenant, type Principal, tenantNotFound } from "./principal";

/**
 * The tenant a call names, if the caller may `access` it. Missing and foreign tenants answer
 * the same NOT_FOUND; objects are only ever looked up inside the tenant this returns, so a
 * foreign object can be neither named nor referenced.
 */
export function tenantFor(
  store: Store,
  principal: Principal,
  name: string,
  access: Access,
): TenantState {
  const state = store.tenant(name);
  if (!state) throw tenantNotFound(name);
  authorizeTenant(principal, state, access);
  return state;
}

/** The tenants a caller may see. */
export function visibleTenants(store: Store, principal: Principal): TenantState[] {
  const all = store.listTenants();
  if (principal.globalRole === "cloud_admin" || principal.globalRole === "cloud_viewer") return all;
  return all.filter((tenant) => principal.memberships.has(tenant.id));
}
