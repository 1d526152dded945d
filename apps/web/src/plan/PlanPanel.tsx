import type { RouterOutputs } from "@netloom/controller/types";
import type { ResourceKind } from "@netloom/model";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { Icon } from "../canvas/icons";
import { kindLabel } from "../draft/ops";
import { draftStore, isDirty, useDraft } from "../draft/store";
import { objectOfPath, useValidation } from "../draft/validation";
import { failureOf } from "../errors";
import { useTRPC, useTRPCClient } from "../trpc";

type ApplyResult = RouterOutputs["intent"]["applyFile"];

/**
 * Plan before apply: the dry run of the draft (object changes, per-node config changes, broken
 * assertions), then apply or discard. Problems are listed by object only; their messages sit
 * next to their fields in the inspector.
 */
export function PlanPanel({ tenant, readOnly }: { tenant: string; readOnly: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const doc = useDraft((s) => s.doc);
  const dirty = useDraft(isDirty);
  const validation = useValidation((s) => s);
  const [plan, setPlan] = useState<ApplyResult | null>(null);
  const [applied, setApplied] = useState<ApplyResult | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const client = useTRPCClient();
  const apply = useMutation(trpc.intent.applyFile.mutationOptions());

  // Re-plan whenever the draft changes and the controller finds it valid.
  useEffect(() => {
    if (!doc || !dirty || readOnly || validation.status !== "valid" || validation.doc !== doc) {
      setPlan(null);
      return;
    }
    let live = true;
    client.intent.applyFile.mutate({ tenant, document: doc, dryRun: true }).then(
      (result) => live && setPlan(result),
      (error: unknown) => live && setFailure(failureOf(error).message),
    );
    return () => {
      live = false;
    };
  }, [client, doc, dirty, readOnly, validation, tenant]);

  const problemObjects = useMemo(() => {
    const counts = new Map<string, { kind: ResourceKind | null; name: string; count: number }>();
    if (!validation.doc) return [];
    for (const problem of validation.problems) {
      const ref = objectOfPath(validation.doc, problem.path);
      const key = ref ? `${ref.kind}/${ref.name}` : problem.path || "(document)";
      const entry = counts.get(key) ?? {
        kind: ref?.kind ?? null,
        name: ref?.name ?? key,
        count: 0,
      };
      entry.count++;
      counts.set(key, entry);
    }
    return [...counts.values()];
  }, [validation]);

  const validatedDoc = validation.doc;
  const unplaced = validatedDoc
    ? validation.problems.filter((p) => !objectOfPath(validatedDoc, p.path))
    : [];

  if (readOnly) return <p className="muted">Read-only: nothing to apply.</p>;
  if (!dirty) {
    return (
      <div className="plan">
        <p className="muted">
          No unapplied changes. Edits on the canvas and in the inspector gather here as a draft.
        </p>
        {applied ? <AppliedNote result={applied} /> : null}
      </div>
    );
  }
  return (
    <div className="plan">
      <h2>Review changes</h2>
      {validation.status === "checking" ? <p className="muted">Checking the draft…</p> : null}
      {validation.status === "error" ? (
        <div className="field-error" role="alert">
          Cannot reach the controller: {validation.message}
        </div>
      ) : null}
      {problemObjects.length > 0 ? (
        <section className="plan-problems" aria-label="Problems">
          <h3 className="bad">The controller would refuse this draft</h3>
          <ul>
            {problemObjects.map((o) => (
              <li key={`${o.kind}/${o.name}`}>
                {o.kind ? (
                  <button
                    type="button"
                    className="link"
                    onClick={() => {
                      if (o.kind) draftStore.select({ kind: o.kind, name: o.name });
                    }}
                  >
                    {kindLabel(o.kind)} {o.name}
                  </button>
                ) : null}{" "}
                <span className="muted small">
                  {o.count} problem{o.count === 1 ? "" : "s"}, shown by the fields
                </span>
              </li>
            ))}
          </ul>
          {unplaced.map((p) => (
            <div key={p.path + p.message} className="field-error" role="alert">
              {p.path ? `${p.path}: ` : ""}
              {p.message}
            </div>
          ))}
        </section>
      ) : null}
      {plan ? (
        <PlanView plan={plan} />
      ) : validation.status === "valid" ? (
        <p className="muted">Planning…</p>
      ) : null}
      {failure ? (
        <div className="field-error" role="alert">
          {failure}
        </div>
      ) : null}
      <div className="row">
        <button
          type="button"
          className="primary"
          disabled={
            validation.status !== "valid" ||
            !plan ||
            apply.isPending ||
            (plan?.brokenAssertions.length ?? 0) > 0
          }
          onClick={async () => {
            if (!doc) return;
            setFailure(null);
            try {
              const result = await apply.mutateAsync({ tenant, document: doc, dryRun: false });
              draftStore.markApplied(result.generation);
              setApplied(result);
              await queryClient.invalidateQueries({
                queryKey: trpc.intent.export.queryKey({ tenant }),
              });
            } catch (error) {
              const f = failureOf(error);
              setFailure(
                f.problems.length > 0
                  ? f.problems.map((p) => `${p.path}: ${p.message}`).join("\n")
                  : f.message,
              );
            }
          }}
        >
          {apply.isPending ? "Applying…" : "Apply"}
        </button>
        <button type="button" onClick={() => draftStore.discard()}>
          Discard draft
        </button>
      </div>
    </div>
  );
}

function AppliedNote({ result }: { result: ApplyResult }) {
  return (
    <div className="applied-note" role="status">
      Applied as generation {result.generation}: {result.changes.length} object change
      {result.changes.length === 1 ? "" : "s"}.
    </div>
  );
}

const ACTION_ICON = { create: "+", update: "~", delete: "−" } as const;

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
      <section aria-label="Object changes">
        <h3>Object changes ({plan.changes.length})</h3>
        <ul className="changes">
          {plan.changes.map((c) => (
            <li key={`${c.kind}/${c.name}`} className={`change-${c.action}`}>
              <span className="change-mark" aria-hidden="true">
                {ACTION_ICON[c.action]}
              </span>
              {c.action} {kindLabel(c.kind)} <strong>{c.name}</strong>
            </li>
          ))}
        </ul>
      </section>
      <section aria-label="Node config changes">
        <h3>
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
    </div>
  );
}
