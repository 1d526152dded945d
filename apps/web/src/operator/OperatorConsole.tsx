import type { RouterOutputs } from "@netloom/controller/types";
import { useQueries, useQuery } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useMemo } from "react";
import type { Me } from "../app/types";
import { useTRPC } from "../trpc";

type TenantDetail = RouterOutputs["tenants"]["get"];
type FabricStatus = RouterOutputs["fabric"]["status"];

/**
 * The operator's console (cloud admin and cloud viewer): every tenant (topology opens read
 * only), the forwarding nodes with what each hosts, generation and health, and quotas against
 * usage.
 */
export function OperatorConsole({ me, tab }: { me: Me; tab: string }) {
  if (me.globalRole === "none") {
    return (
      <div className="page-error" role="alert">
        The operator console needs a cloud admin or cloud viewer role.
      </div>
    );
  }
  return (
    <main className="operator">
      <nav className="tabs" aria-label="Operator sections">
        {(
          [
            ["tenants", "Tenants"],
            ["nodes", "Forwarding nodes"],
            ["quotas", "Quotas and usage"],
          ] as const
        ).map(([id, label]) => (
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
      {tab === "nodes" ? <Nodes /> : tab === "quotas" ? <Quotas /> : <Tenants />}
    </main>
  );
}

function useTenantDetails() {
  const trpc = useTRPC();
  const list = useQuery(trpc.tenants.list.queryOptions());
  const details = useQueries({
    queries: (list.data ?? []).map((t) => trpc.tenants.get.queryOptions({ tenant: t.name })),
  });
  return {
    list,
    details: details.map((d) => d.data).filter((d): d is TenantDetail => d !== undefined),
  };
}

function Tenants() {
  const { list, details } = useTenantDetails();
  return (
    <section aria-label="Tenants">
      <h1>Tenants</h1>
      {list.isPending ? <p className="muted">Loading…</p> : null}
      <table className="data-table" aria-label="All tenants">
        <thead>
          <tr>
            <th scope="col">tenant</th>
            <th scope="col">generation</th>
            <th scope="col">networks</th>
            <th scope="col">workloads</th>
            <th scope="col">policies</th>
            <th scope="col">services</th>
            <th scope="col" aria-label="topology" />
          </tr>
        </thead>
        <tbody>
          {(list.data ?? []).map((t) => {
            const d = details.find((x) => x.name === t.name);
            return (
              <tr key={t.id}>
                <th scope="row">{t.name}</th>
                <td className="num">{t.generation}</td>
                <td className="num">{d?.used.networks ?? "…"}</td>
                <td className="num">{d?.used.workloads ?? "…"}</td>
                <td className="num">{d?.used.policies ?? "…"}</td>
                <td className="num">{d?.used.services ?? "…"}</td>
                <td>
                  <a
                    href={`#/operator/tenant/${encodeURIComponent(t.name)}`}
                    aria-label={`View topology of ${t.name}`}
                  >
                    View topology (read only)
                  </a>
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

function Nodes() {
  const trpc = useTRPC();
  const initial = useQuery(trpc.fabric.status.queryOptions());
  const live = useSubscription(trpc.fabric.onStatus.subscriptionOptions(undefined));
  const status: FabricStatus | undefined = (live.data as FabricStatus | undefined) ?? initial.data;
  const tenants = useQuery(trpc.tenants.list.queryOptions());
  const exports = useQueries({
    queries: (tenants.data ?? []).map((t) => trpc.intent.export.queryOptions({ tenant: t.name })),
  });
  const hosted = useMemo(() => {
    const map = new Map<string, { tenants: Set<string>; workloads: number }>();
    for (const e of exports) {
      const doc = e.data?.document;
      if (!doc) continue;
      for (const w of doc.workloads ?? []) {
        if (!w.node) continue;
        const entry = map.get(w.node) ?? { tenants: new Set<string>(), workloads: 0 };
        entry.tenants.add(doc.tenant);
        entry.workloads++;
        map.set(w.node, entry);
      }
    }
    return map;
  }, [exports]);
  return (
    <section aria-label="Forwarding nodes">
      <h1>
        Forwarding nodes{" "}
        {status ? (
          <span className={`tag ${status.converged ? "ok" : "warn"}`} role="status">
            {status.converged ? "fabric converged" : "converging"} · generation {status.generation}
          </span>
        ) : null}
      </h1>
      {status ? (
        <p className="muted small">
          {status.counts.nodes} nodes · {status.counts.converged} converged ·{" "}
          {status.counts.connected} connected · {status.counts.stale} stale
        </p>
      ) : null}
      <table className="data-table" aria-label="Nodes">
        <thead>
          <tr>
            <th scope="col">node</th>
            <th scope="col">underlay</th>
            <th scope="col">hosts</th>
            <th scope="col">applied / desired gen</th>
            <th scope="col">state</th>
            <th scope="col">last seen</th>
            <th scope="col">last error</th>
          </tr>
        </thead>
        <tbody>
          {(status?.nodes ?? []).map((n) => {
            const h = hosted.get(n.name);
            const health = n.stale ? "stale" : n.converged ? "converged" : "applying";
            return (
              <tr key={n.name}>
                <th scope="row">{n.name}</th>
                <td>
                  <code>{n.underlay}</code>
                </td>
                <td>
                  {h ? (
                    `${h.workloads} workload${h.workloads === 1 ? "" : "s"} of ${[...h.tenants].join(", ")}`
                  ) : (
                    <span className="muted">nothing</span>
                  )}
                </td>
                <td className="num">
                  {n.appliedGeneration} / {n.desiredGeneration ?? "–"}
                </td>
                <td>
                  <span className={`health health-${health}`}>
                    <span className="conv-dot" /> {health}
                    {n.connected ? "" : " · disconnected"}
                  </span>
                </td>
                <td className="small">
                  {n.lastSeenAt ? new Date(n.lastSeenAt).toLocaleTimeString() : "never"}
                </td>
                <td className="small">{n.lastError ?? ""}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {status && status.nodes.length === 0 ? (
        <p className="muted">No forwarding nodes registered yet.</p>
      ) : null}
    </section>
  );
}

function Quotas() {
  const { details } = useTenantDetails();
  const keys = details[0]
    ? (Object.keys(details[0].quotas) as (keyof TenantDetail["quotas"])[])
    : [];
  return (
    <section aria-label="Quotas and usage">
      <h1>Quotas and usage</h1>
      <div className="table-scroll">
        <table className="data-table" aria-label="Quotas">
          <thead>
            <tr>
              <th scope="col">tenant</th>
              {keys.map((k) => (
                <th scope="col" key={k}>
                  {k}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {details.map((d) => (
              <tr key={d.id}>
                <th scope="row">{d.name}</th>
                {keys.map((k) => {
                  const used = d.used[k];
                  const quota = d.quotas[k];
                  const share = quota > 0 ? used / quota : 0;
                  return (
                    <td key={k} className="num">
                      <div className="usage" title={`${used} of ${quota}`}>
                        <span>
                          {used}/{quota}
                        </span>
                        <span className="bar" aria-hidden="true">
                          <span
                            className={share > 0.9 ? "bad" : share > 0.7 ? "warn" : ""}
                            style={{ width: `${Math.min(100, share * 100)}%` }}
                          />
                        </span>
                      </div>
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}
