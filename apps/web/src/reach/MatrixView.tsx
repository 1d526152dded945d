import { expandMatrix } from "@netloom/compiler";
import type { Protocol } from "@netloom/model";
import { useQuery } from "@tanstack/react-query";
import { useMemo, useState } from "react";
import { useTRPC } from "../trpc";
import type { FlowForm, Matrix } from "./flow";

function flowLabel(flow: Matrix["flows"][number]): string {
  if (flow.port === undefined) return flow.protocol;
  const to = flow.portTo ?? flow.port;
  return to === flow.port ? `${flow.protocol}/${flow.port}` : `${flow.protocol}/${flow.port}-${to}`;
}

export function MatrixView({
  tenant,
  onPick,
}: {
  tenant: string;
  onPick: (flow: FlowForm) => void;
}) {
  const trpc = useTRPC();
  const matrix = useQuery(trpc.reach.matrix.queryOptions({ tenant }));
  const [flowIndex, setFlowIndex] = useState(-1);
  // The controller answers the compressed matrix (classes); the table draws every pair.
  const data = useMemo(() => (matrix.data ? expandMatrix(matrix.data) : undefined), [matrix.data]);
  if (matrix.isPending) return <p className="muted">Computing the matrix…</p>;
  if (matrix.error)
    return (
      <div className="field-error" role="alert">
        {matrix.error.message}
      </div>
    );
  if (!data || data.workloads.length === 0) return <p className="muted">No workloads yet.</p>;
  const cellText = (cell: number[]) =>
    flowIndex < 0
      ? cell.length === 0
        ? "–"
        : String(cell.length)
      : cell.includes(flowIndex)
        ? "✓"
        : "✕";
  const cellClass = (cell: number[]) => {
    if (flowIndex >= 0) return cell.includes(flowIndex) ? "allow" : "deny";
    if (cell.length === 0) return "deny";
    return cell.length === data.flows.length ? "allow" : "partial";
  };
  return (
    <div className="matrix">
      <label className="inline">
        Flow{" "}
        <select
          aria-label="Matrix flow"
          value={flowIndex}
          onChange={(e) => setFlowIndex(Number(e.target.value))}
        >
          <option value={-1}>all flows (count allowed of {data.flows.length})</option>
          {data.flows.map((f, i) => (
            <option key={flowLabel(f)} value={i}>
              {flowLabel(f)}
            </option>
          ))}
        </select>
      </label>
      <div className="matrix-scroll">
        <table className="matrix-table" aria-label="Reachability matrix">
          <thead>
            <tr>
              <th scope="col">from \ to</th>
              {data.workloads.map((w) => (
                <th scope="col" key={w} className="rot">
                  <span>{w}</span>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {data.workloads.map((from, i) => (
              <tr key={from}>
                <th scope="row">{from}</th>
                {data.workloads.map((to, j) => {
                  const cell = data.allowed[i]?.[j] ?? [];
                  const flow = data.flows[flowIndex >= 0 ? flowIndex : (cell[0] ?? 0)];
                  return (
                    <td key={to} className={`mcell ${i === j ? "self" : cellClass(cell)}`}>
                      {i === j ? (
                        ""
                      ) : (
                        <button
                          type="button"
                          aria-label={`${from} to ${to}: ${cell.map((k) => (data.flows[k] ? flowLabel(data.flows[k]) : "")).join(", ") || "nothing allowed"}`}
                          title={
                            cell
                              .map((k) => (data.flows[k] ? flowLabel(data.flows[k]) : ""))
                              .join(", ") || "nothing allowed"
                          }
                          onClick={() =>
                            onPick({
                              from,
                              to,
                              protocol: (flow?.protocol as Protocol | undefined) ?? "tcp",
                              port: flow?.port !== undefined ? String(flow.port) : "",
                            })
                          }
                        >
                          {cellText(cell)}
                        </button>
                      )}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted small">
        Flows are the protocol/ports the tenant's rules mention. Click a cell to trace it.
      </p>
    </div>
  );
}
