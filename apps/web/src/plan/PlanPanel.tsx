import type { ResourceKind } from "@netloom/model";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { useTenantStatus } from "../app/useConvergenceStatus";
import { kindLabel } from "../draft/ops";
import { draftStore, isDirty, useDraft } from "../draft/store";
import { objectOfPath, useValidation } from "../draft/validation";
import { failureOf } from "../errors";
import { unreachableNodes } from "../lib/convergence";
import { useTRPC, useTRPCClient } from "../trpc";
import { announce, focusAfter } from "../ui/announce";
import { DiscardDialog } from "./DiscardDialog";
import { type ApplyResult, PlanView } from "./PlanView";
import { RestoreReview, useReachOverlay } from "./RestoreReview";
import { StaleWarning } from "./StaleWarning";

/**
 * The review before apply: the dry run of the draft (reachability delta, field-level diff per
 * object, per-node config changes, broken assertions), which nodes would not receive it now,
 * then apply or discard. A restore from history is reviewed the same way (RestoreReview) and
 * applied only after an explicit confirmation.
 */
export function PlanPanel({ tenant, readOnly }: { tenant: string; readOnly: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const doc = useDraft((s) => s.doc);
  const restoring = useDraft((s) => s.restoring);
  const dirty = useDraft(isDirty);
  const validation = useValidation((s) => s);
  const [plan, setPlan] = useState<ApplyResult | null>(null);
  const [applied, setApplied] = useState<ApplyResult | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [discarding, setDiscarding] = useState(false);
  const client = useTRPCClient();
  const apply = useMutation(trpc.intent.applyFile.mutationOptions());
  const { status } = useTenantStatus(tenant);
  const unreachable = unreachableNodes(status);

  // Re-plan whenever the draft changes and the controller finds it valid.
  useEffect(() => {
    if (!doc || !dirty || readOnly || validation.status !== "valid" || validation.doc !== doc) {
      setPlan(null);
      return;
    }
    let live = true;
    client.intent.applyFile.mutate({ tenant, document: doc, dryRun: true }).then(
      (result) => {
        if (live) setPlan(result);
      },
      (error: unknown) => {
        if (live) setFailure(failureOf(error).message);
      },
    );
    return () => {
      live = false;
    };
  }, [client, doc, dirty, readOnly, validation, tenant]);

  useReachOverlay(plan);

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

  const runApply = async () => {
    if (!doc) return;
    setFailure(null);
    try {
      const result = await apply.mutateAsync({ tenant, document: doc, dryRun: false });
      draftStore.markApplied(result.generation);
      setApplied(result);
      announce(`Applied as generation ${result.generation}.`);
      focusAfter("#applied-note");
      await queryClient.invalidateQueries({ queryKey: trpc.intent.export.queryKey({ tenant }) });
    } catch (error) {
      const f = failureOf(error);
      setFailure(
        f.problems.length > 0
          ? f.problems.map((p) => `${p.path}: ${p.message}`).join("\n")
          : f.message,
      );
    }
  };

  if (readOnly) return <p className="muted">Read-only: nothing to apply.</p>;
  if (restoring !== null) return <RestoreReview tenant={tenant} generation={restoring} />;
  if (!dirty) {
    return (
      <div className="plan">
        <h2 id="review-heading" tabIndex={-1}>
          Review changes
        </h2>
        <p className="muted">
          No unapplied changes. Edits on the canvas and in the inspector gather here as a draft.
        </p>
        {applied ? <AppliedNote result={applied} /> : null}
      </div>
    );
  }
  return (
    <div className="plan">
      <h2 id="review-heading" tabIndex={-1}>
        Review changes
      </h2>
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
      <StaleWarning nodes={unreachable} />
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
          onClick={() => void runApply()}
        >
          {apply.isPending ? "Applying…" : "Apply"}
        </button>
        <button type="button" onClick={() => setDiscarding(true)}>
          Discard draft
        </button>
      </div>
      {discarding ? <DiscardDialog onDone={() => setDiscarding(false)} /> : null}
    </div>
  );
}

function AppliedNote({ result }: { result: ApplyResult }) {
  return (
    <div className="applied-note" role="status" id="applied-note" tabIndex={-1}>
      Applied as generation {result.generation}: {result.changes.length} object change
      {result.changes.length === 1 ? "" : "s"}.
    </div>
  );
}
