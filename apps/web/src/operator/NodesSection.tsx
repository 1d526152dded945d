import { useQueries, useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { useFabricStatus } from "../app/useConvergenceStatus";
import { convergenceOf, healthLabel, healthOf } from "../lib/convergence";
import { useTRPC } from "../trpc";
import { ConvergenceBadge } from "../ui/ConvergenceBadge";

/** The forwarding nodes with what each hosts, generation and health, by the one definition. */
export function NodesSection() {
  const trpc = useTRPC();
  const { status } = useFabricStatus();
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
  const fabric = status ? convergenceOf(status) : undefined;
  return (
    <section aria-labelledby="nodes-heading">
      <h1 id="nodes-heading">Forwarding nodes</h1>
      <p className="fabric-line" role="status">
        <ConvergenceBadge convergence={fabric} long />
      </p>
      <table className="data-table" aria-label="Nodes">
        <thead>
          <tr>
            <th scope="col">node</th>
            <th scope="col">underlay</th>
            <th scope="col">hosts</th>
            <th scope="col">applied / desired gen</th>
            <th scope="col">state</th>
            <th scope="col">last seen</th>
            <th scope="col">drift repaired</th>
            <th scope="col">last error</th>
          </tr>
        </thead>
        <tbody>
          {(status?.nodes ?? []).map((n) => {
            const h = hosted.get(n.name);
            const health = healthOf(n.state);
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
                  <span className={`health health-${health === "lagging" ? "applying" : health}`}>
                    <span className="conv-dot" aria-hidden="true" /> {healthLabel(health)}
                    {n.state === "disconnected" ? " (disconnected)" : ""}
                  </span>
                </td>
                <td className="small">
                  {n.lastSeenAt ? new Date(n.lastSeenAt).toLocaleTimeString() : "never"}
                </td>
                <td className="small">
                  {/* What the agent found changed behind its back and put back (issue 8 §4). */}
                  {n.drift.count === 0 ? (
                    <span className="muted">none</span>
                  ) : (
                    <>
                      {n.drift.count} object{n.drift.count === 1 ? "" : "s"}
                      {n.drift.lastRepaired ? `, last ${n.drift.lastRepaired}` : ""}
                      {n.drift.at ? ` at ${new Date(n.drift.at).toLocaleTimeString()}` : ""}
                    </>
                  )}
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
