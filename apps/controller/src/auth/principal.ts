import { NetloomError } from "@netloom/model";

export type GlobalRole = "none" | "cloud_admin" | "cloud_viewer";
export type TenantRole = "tenant_admin" | "tenant_viewer";
/** Every role a user can hold, globally or in a tenant. */
export const ROLES = ["cloud_admin", "cloud_viewer", "tenant_admin", "tenant_viewer"] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: resolved once per request from a token or a session cookie. */
export interface Principal {
  userId: string;
  email: string;
  globalRole: GlobalRole;
  /** Role in each tenant the user is a member of, by tenant id. */
  memberships: ReadonlyMap<string, TenantRole>;
}

/** What a procedure does with a tenant's objects. */
export type Access = "read" | "write";

/** Whether the principal sees every tenant (cloud admin or cloud viewer). */
export function seesAllTenants(principal: Principal): boolean {
  return principal.globalRole === "cloud_admin" || principal.globalRole === "cloud_viewer";
}

export function isCloudAdmin(principal: Principal): boolean {
  return principal.globalRole === "cloud_admin";
}

/**
 * Throws unless the principal may `access` the tenant. A tenant the caller is not a member of
 * answers NOT_FOUND, exactly like one that does not exist; a read-only role answers FORBIDDEN.
 */
export function authorizeTenant(
  principal: Principal,
  tenant: { id: string; name: string },
  access: Access,
): void {
  const role = principal.memberships.get(tenant.id);
  const globalRole = principal.globalRole;
  if (globalRole !== "cloud_admin" && globalRole !== "cloud_viewer" && !role) {
    throw tenantNotFound(tenant.name);
  }
  if (access === "read") return;
  if (globalRole === "cloud_admin" || role === "tenant_admin") return;
  throw new NetloomError("FORBIDDEN", `read-only access to tenant ${tenant.name}`);
}

/** The one NOT_FOUND every foreign or missing tenant answers with. */
export function tenantNotFound(name: string): NetloomError {
  return new NetloomError("NOT_FOUND", `tenant ${name} not found`, [
    { path: "tenant", message: `tenant ${name} not found` },
  ]);
}

/** Throws FORBIDDEN unless the principal is the cloud admin. */
export function requireCloudAdmin(principal: Principal): void {
  if (!isCloudAdmin(principal)) throw new NetloomError("FORBIDDEN", "needs the cloud admin role");
}

/** Throws FORBIDDEN unless the principal sees every tenant. */
export function requireCloudReader(principal: Principal): void {
  if (!seesAllTenants(principal)) throw new NetloomError("FORBIDDEN", "needs a cloud-wide role");
}
