import type { ResourceKind } from "@netloom/model";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { useFabricStatus } from "../app/useFabricStatus";
import { overlayStore } from "../canvas/overlay";
import { kindLabel } from "../draft/ops";
import { draftStore, isDirty, useDraft } from "../draft/store";
import { objectOfPath, useValidation } from "../draft/validation";
import { failureOf } from "../errors";
import { unreachableNodes } from "../lib/convergence";
import { documentDiff } from "../lib/fieldDiff";
import { reachDeltaOf } from "../lib/reachDelta";
import { useTRPC, useTRPCClient } from "../trpc";
import { announce, focusAfter } from "../ui/announce";
import { ConfirmDialog } from "../ui/Dialog";
import { DiscardDialog } from "./DiscardDialog";
import { type ApplyResult, PlanView } from "./PlanView";

/**
 * The review before apply: the dry run of the draft (reachability delta, field-level diff per
 * object, per-node config changes, broken assertions), which nodes would not receive it now,
 * then apply or discard. A draft loaded from history (a restore) is reviewed the same way and
 * applied only after an explicit confirmation.
 */
export function PlanPanel({ tenant, readOnly }: { tenant: string; readOnly: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const doc = useDraft((s) => s.doc);
  const base = useDraft((s) => s.base);
  const restoring = useDraft((s) => s.restoring);
  const dirty = useDraft(isDirty);
  const validation = useValidation((s) => s);
  const [plan, setPlan] = useState<ApplyResult | null>(null);
  const [applied, setApplied] = useState<ApplyResult | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [confirming, setConfirming] = useState<"apply" | "discard" | null>(null);
  const client = useTRPCClient();
  const apply = useMutation(trpc.intent.applyFile.mutationOptions());
  const { status } = useFabricStatus();
  const unreachable = doc ? unreachableNodes(status, doc) : [];

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

  const flips = useMemo(() => (plan ? reachDeltaOf(plan) : null), [plan]);
  // The canvas draws the delta while the review is open.
  useEffect(() => {
    overlayStore.patch({ reachDelta: flips });
    return () => overlayStore.patch({ reachDelta: null });
  }, [flips]);

  const diffs = useMemo(() => (doc && base ? documentDiff(base, doc) : []), [doc, base]);

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
      announce(
        `${restoring === null ? "Applied" : `Restored generation ${restoring}`} as generation ${result.generation}.`,
      );
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
        {restoring === null ? "Review changes" : `Review restore of generation ${restoring}`}
      </h2>
      {restoring !== null ? (
        <p className="restore-note" role="note">
          The draft is generation {restoring} as it was stored. Nothing changes until you confirm
          the restore; Undo brings your previous draft back.
        </p>
      ) : null}
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
      {unreachable.length > 0 ? (
        <div className="stale-warning" role="alert">
          <strong>
            {unreachable.length === 1 ? "1 node" : `${unreachable.length} nodes`} will not receive
            this change now:
          </strong>{" "}
          {unreachable.join(", ")} {unreachable.length === 1 ? "is" : "are"} not reporting. The
          change is stored and reaches {unreachable.length === 1 ? "it" : "them"} on reconnect;
          until then the fabric is not converged.
        </div>
      ) : null}
      {plan ? (
        <PlanView plan={plan} diffs={diffs} />
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
          onClick={() => {
            if (restoring !== null) setConfirming("apply");
            else void runApply();
          }}
        >
          {apply.isPending ? "Applying…" : restoring === null ? "Apply" : "Restore…"}
        </button>
        <button type="button" onClick={() => setConfirming("discard")}>
          Discard draft
        </button>
      </div>
      {confirming === "apply" && restoring !== null ? (
        <ConfirmDialog
          title={`Restore generation ${restoring}?`}
          confirmLabel={`Restore generation ${restoring}`}
          onCancel={() => setConfirming(null)}
          onConfirm={() => {
            setConfirming(null);
            void runApply();
          }}
        >
          <p>
            The tenant's intent becomes what it was at generation {restoring}: {diffs.length} object
            change{diffs.length === 1 ? "" : "s"}
            {flips ? `, ${flips.length} reachability change${flips.length === 1 ? "" : "s"}` : ""}.
            It is applied as a new generation; history keeps the current one.
          </p>
        </ConfirmDialog>
      ) : null}
      {confirming === "discard" ? <DiscardDialog onDone={() => setConfirming(null)} /> : null}
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
