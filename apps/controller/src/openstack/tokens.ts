import type { FastifyRequest } from "fastify";
import { authorizeTenant, type Principal } from "../auth/principal";
import type { AuthService } from "../auth/service";
import type { Store } from "../store/store";
import type { TenantState } from "../store/types";

/** Who a Keystone token or netloom API token speaks for, and the project it is scoped to. */
export interface Credentials {
  principal: Principal;
  /** null: unscoped. */
  project: TenantState | null;
  /** The netloom session or API token underneath. */
  secret: string;
  /** The token as the client holds it. */
  token: string;
}

/** A Keystone token: the session secret, `.`, the project id (base64url secrets have no `.`). */
export function scopedToken(secret: string, project: TenantState | null): string {
  return project ? `${secret}.${project.id}` : secret;
}

/**
 * Resolves a token: a Keystone token (a netloom session, maybe scoped) or a netloom API token.
 * An unscoped token of a user who belongs to exactly one tenant is scoped to it.
 */
export async function resolveToken(
  store: Store,
  auth: AuthService,
  token: string,
): Promise<Credentials | null> {
  const dot = token.indexOf(".");
  const secret = dot === -1 ? token : token.slice(0, dot);
  const projectId = dot === -1 ? undefined : token.slice(dot + 1);
  const principal = secret.startsWith("nls_")
    ? await auth.authenticate({ session: secret })
    : await auth.authenticate({ token: secret });
  if (!principal) return null;
  let project: TenantState | null = null;
  if (projectId !== undefined) {
    project = store.tenantById(projectId) ?? null;
    // A project deleted, or a membership taken away, since the token was issued.
    if (!project || projectRoles(principal, project).length === 0) return null;
  } else if (principal.memberships.size === 1) {
    const [only] = principal.memberships.keys();
    project = only === undefined ? null : (store.tenantById(only) ?? null);
  }
  return { principal, project, secret, token };
}

/** Keystone roles of a principal in a project: admin, member, reader (none: no access). */
export function projectRoles(principal: Principal, project: TenantState): string[] {
  try {
    authorizeTenant(principal, project, "read");
  } catch {
    return [];
  }
  if (principal.globalRole === "cloud_admin") return ["admin", "member", "reader"];
  const role = principal.memberships.get(project.id);
  if (role === "tenant_admin") return ["member", "reader"];
  return ["reader"];
}

/** `http://host:port` of a request, for links and the catalog. */
export function baseUrlOf(request: FastifyRequest): string {
  const host = request.headers.host ?? "localhost";
  return `${request.protocol}://${host}`;
}
