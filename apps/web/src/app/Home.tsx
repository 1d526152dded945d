import { useEffect } from "react";
import { countsPhrase, useTenantHealth } from "../operator/useTenantHealth";
import { ConvergenceBadge } from "../ui/ConvergenceBadge";
import { navigate } from "./route";
import type { Me } from "./types";

/**
 * The tenant picker. A user of exactly one tenant (and no cloud role) goes straight to it; a
 * cloud admin or viewer sees every tenant and the operator console.
 */
export function Home({ me }: { me: Me }) {
  const health = useTenantHealth();
  const cloud = me.globalRole !== "none";
  const only = !cloud && me.memberships.length === 1 ? me.memberships[0] : undefined;
  useEffect(() => {
    if (only) navigate(`#/t/${encodeURIComponent(only.tenant)}`);
  }, [only]);
  const roleOf = (tenant: string) =>
    me.memberships.find((m) => m.tenant === tenant)?.role ??
    (me.globalRole === "cloud_admin" ? "cloud admin" : "cloud viewer");
  return (
    <main className="home">
      <h1>Choose a tenant</h1>
      {health.pending ? <p className="muted">Loading tenants…</p> : null}
      {!health.pending && health.rows.length === 0 ? (
        <p className="muted">You are not a member of any tenant yet.</p>
      ) : null}
      <ul className="tenant-list" aria-label="Tenants">
        {health.rows.map((tenant) => (
          <li key={tenant.id}>
            <a
              className="tenant-card"
              href={`#/${me.globalRole === "cloud_viewer" ? "operator/tenant" : "t"}/${encodeURIComponent(tenant.name)}`}
            >
              <strong>{tenant.name}</strong>
              <span className="muted small">
                generation {tenant.generation} · {countsPhrase(tenant.detail)}
              </span>
              <ConvergenceBadge convergence={tenant.convergence} />
              <span className="tag">{roleOf(tenant.name).replace("_", " ")}</span>
            </a>
          </li>
        ))}
      </ul>
      {cloud ? (
        <p>
          <a href="#/operator">Open the operator console →</a>
        </p>
      ) : null}
    </main>
  );
}
