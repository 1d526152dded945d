import type { Me } from "../app/types";
import { BgpPeers } from "./BgpPeers";
import { NodesSection } from "./NodesSection";
import { QuotasSection } from "./QuotasSection";
import { TenantsSection } from "./TenantsSection";
import { UsersSection } from "./UsersSection";

const SECTIONS = [
  ["tenants", "Tenants"],
  ["users", "Users and roles"],
  ["nodes", "Forwarding nodes"],
  ["quotas", "Quotas and usage"],
] as const;

/**
 * The operator's console (cloud admin and cloud viewer): tenants with their usage and health
 * (topology opens read only), users and their roles, the forwarding nodes, and quotas. Only the
 * cloud admin changes anything; the viewer sees the same pages without the forms.
 */
export function OperatorConsole({ me, tab }: { me: Me; tab: string }) {
  if (me.globalRole === "none") {
    return (
      <main className="operator">
        <h1>Operator console</h1>
        <div className="page-error" role="alert">
          The operator console needs a cloud admin or cloud viewer role.
        </div>
      </main>
    );
  }
  const admin = me.globalRole === "cloud_admin";
  return (
    <main className="operator">
      <nav className="tabs" aria-label="Operator sections">
        {SECTIONS.map(([id, label]) => (
          <a
            key={id}
            href={`#/operator/${id}`}
            className={tab === id ? "active" : ""}
            aria-current={tab === id ? "page" : undefined}
          >
            {label}
          </a>
        ))}
      </nav>
      {tab === "nodes" ? (
        <>
          <NodesSection />
          <BgpPeers />
        </>
      ) : tab === "quotas" ? (
        <QuotasSection admin={admin} />
      ) : tab === "users" ? (
        <UsersSection admin={admin} />
      ) : (
        <TenantsSection admin={admin} />
      )}
    </main>
  );
}
