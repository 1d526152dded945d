import type { RouterOutputs } from "@netloom/controller/types";
import { Icon } from "../canvas/icons";
import { FieldDiff } from "./FieldDiff";
import { ReachDelta } from "./ReachDelta";

export type ApplyResult = RouterOutputs["intent"]["applyFile"];

/**
 * What a change does, in the order a reviewer reads it: broken assertions, the reachability
 * delta, each object's field-level diff, then the per-node config changes.
 */
export function PlanView({ plan }: { plan: ApplyResult }) {
  return (
    <div className="plan-view">
      {plan.brokenAssertions.length > 0 ? (
        <section aria-label="Broken assertions" className="plan-broken">
          <h3 className="bad">
            Breaks {plan.brokenAssertions.length} assertion
            {plan.brokenAssertions.length === 1 ? "" : "s"}
          </h3>
          <ul>
            {plan.brokenAssertions.map((p) => (
              <li key={p.path + p.message}>
                <Icon kind="assertion" size={12} /> <code>{p.path}</code> {p.message}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      <ReachDelta reachability={plan.review?.reachability ?? null} />
      <FieldDiff diffs={plan.review?.objects ?? []} />
      <NodeChanges plan={plan} />
    </div>
  );
}

function NodeChanges({ plan }: { plan: ApplyResult }) {
  return (
    <section aria-labelledby="node-changes-heading">
      <h3 id="node-changes-heading">
        Config changes on {plan.plan?.totals.nodes ?? 0} node
        {plan.plan?.totals.nodes === 1 ? "" : "s"}
        {plan.plan ? (
          <span className="muted small">
            {" "}
            +{plan.plan.totals.added} ~{plan.plan.totals.modified} −{plan.plan.totals.removed}
          </span>
        ) : null}
      </h3>
      {plan.plan && plan.plan.nodes.length > 0 ? (
        <table className="rule-table">
          <thead>
            <tr>
              <th scope="col">node</th>
              <th scope="col">status</th>
              <th scope="col">changes</th>
            </tr>
          </thead>
          <tbody>
            {plan.plan.nodes.map((n) => (
              <tr key={n.node}>
                <td>{n.node}</td>
                <td>{n.status}</td>
                <td>
                  <details>
                    <summary>
                      {Object.entries(n.counts)
                        .map(([kind, c]) => `${kind} +${c.added} ~${c.modified} −${c.removed}`)
                        .join(", ") || `${n.items.length} items`}
                    </summary>
                    <ul className="plan-items">
                      {n.items.slice(0, 200).map((item) => (
                        <li key={`${item.kind}:${item.key}`}>
                          {item.change} {item.kind} <code>{item.key}</code>
                        </li>
                      ))}
                      {n.items.length > 200 ? (
                        <li className="muted">… {n.items.length - 200} more</li>
                      ) : null}
                    </ul>
                  </details>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p className="muted small">
          No forwarding node config changes (no workload placed on a node yet, or only names
          changed).
        </p>
      )}
    </section>
  );
}
