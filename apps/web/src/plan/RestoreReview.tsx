import { useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { useTenantStatus } from "../app/useConvergenceStatus";
import { overlayStore } from "../canvas/overlay";
import { draftStore } from "../draft/store";
import { failureOf } from "../errors";
import { unreachableNodes } from "../lib/convergence";
import { useTRPC, useTRPCClient } from "../trpc";
import { announce, focusAfter } from "../ui/announce";
import { ConfirmDialog } from "../ui/Dialog";
import { type ApplyResult, PlanView } from "./PlanView";
import { StaleWarning } from "./StaleWarning";

/** Hands the reviewed plan's reachability delta to the canvas while the review is open. */
export function useReachOverlay(plan: ApplyResult | null): void {
  useEffect(() => {
    overlayStore.patch({ reachDelta: plan?.review?.reachability.flips ?? null });
    return () => overlayStore.patch({ reachDelta: null });
  }, [plan]);
}

/**
 * Restoring an earlier generation, reviewed like any change: the controller's dry-run restore
 * (plan, field diff, reachability delta), then an explicit confirmation before anything is
 * stored.
 */
export function RestoreReview({ tenant, generation }: { tenant: string; generation: number }) {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const queryClient = useQueryClient();
  const [plan, setPlan] = useState<ApplyResult | null>(null);
  const [failure, setFailure] = useState<string | null>(null);
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const { status } = useTenantStatus(tenant);
  useReachOverlay(plan);

  useEffect(() => {
    let live = true;
    setPlan(null);
    client.intent.restore.mutate({ tenant, generation, dryRun: true }).then(
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
  }, [client, tenant, generation]);

  const restore = async () => {
    setConfirming(false);
    setBusy(true);
    setFailure(null);
    try {
      const result = await client.intent.restore.mutate({ tenant, generation, dryRun: false });
      draftStore.reviewRestore(null);
      announce(`Restored generation ${generation} as generation ${result.generation}.`);
      focusAfter("#review-heading");
      await queryClient.invalidateQueries({ queryKey: trpc.intent.export.queryKey({ tenant }) });
    } catch (error) {
      setFailure(`Restore refused: ${failureOf(error).message}`);
    } finally {
      setBusy(false);
    }
  };

  const changes = plan?.review?.objects.length ?? plan?.changes.length ?? 0;
  const flips = plan?.review?.reachability.flippedPairs;
  return (
    <div className="plan">
      <h2 id="review-heading" tabIndex={-1}>
        Review restore of generation {generation}
      </h2>
      <p className="restore-note" role="note">
        The tenant's intent would become what it was at generation {generation}. Nothing changes
        until you confirm.
      </p>
      <StaleWarning nodes={unreachableNodes(status)} />
      {plan ? <PlanView plan={plan} /> : failure ? null : <p className="muted">Planning…</p>}
      {failure ? (
        <div className="field-error" role="alert">
          {failure}
        </div>
      ) : null}
      <div className="row">
        <button
          type="button"
          className="primary"
          disabled={!plan || busy || (plan?.brokenAssertions.length ?? 0) > 0}
          onClick={() => setConfirming(true)}
        >
          {busy ? "Restoring…" : "Restore…"}
        </button>
        <button
          type="button"
          onClick={() => {
            draftStore.reviewRestore(null);
            announce(`Restore of generation ${generation} cancelled; nothing changed.`);
          }}
        >
          Cancel restore
        </button>
      </div>
      {confirming ? (
        <ConfirmDialog
          title={`Restore generation ${generation}?`}
          confirmLabel={`Restore generation ${generation}`}
          onCancel={() => setConfirming(false)}
          onConfirm={() => void restore()}
        >
          <p>
            {changes} object change{changes === 1 ? "" : "s"}
            {flips === undefined
              ? ""
              : `, ${flips} workload pair${flips === 1 ? "" : "s"} changing verdict`}
            . The restore is stored as a new generation; history keeps the current one.
          </p>
        </ConfirmDialog>
      ) : null}
    </div>
  );
}
