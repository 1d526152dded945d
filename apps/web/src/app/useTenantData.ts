import type { IntentFile, Problem } from "@netloom/model";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useCallback, useEffect, useRef } from "react";
import { nodeOfRef } from "../canvas/graph";
import { type Convergence, overlayStore } from "../canvas/overlay";
import { draftStore, useDraft } from "../draft/store";
import { objectOfPath, validationStore } from "../draft/validation";
import { failedWith, failureOf } from "../errors";
import { convergenceOf, type NodeBehind, networkConvergence } from "../lib/convergence";
import { useTRPC, useTRPCClient } from "../trpc";
import { useTenantStatus } from "./useConvergenceStatus";

/**
 * Loads the tenant's stored document into the draft and keeps it current: a committed change
 * (by anyone) arrives on the `intent.changes` subscription and refetches the export. No reload
 * buttons anywhere.
 */
export function useTenantDocument(tenant: string, readOnly: boolean) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const exported = useQuery(trpc.intent.export.queryOptions({ tenant }));
  useEffect(() => {
    if (exported.data) {
      draftStore.load(tenant, exported.data.document, exported.data.generation, readOnly);
    }
  }, [exported.data, tenant, readOnly]);
  useSubscription(
    trpc.intent.changes.subscriptionOptions(
      { tenant },
      {
        onData: () => {
          void queryClient.invalidateQueries({ queryKey: trpc.intent.export.queryKey({ tenant }) });
          void queryClient.invalidateQueries(trpc.intent.history.pathFilter());
          void queryClient.invalidateQueries(trpc.reach.pathFilter());
        },
      },
    ),
  );
  return exported;
}

/** A dry-run apply of a candidate document; resolves to its problems (empty: acceptable). */
export function useValidator(tenant: string) {
  const client = useTRPCClient();
  return useCallback(
    async (doc: IntentFile): Promise<Problem[]> => {
      try {
        await client.intent.applyFile.mutate({ tenant, document: doc, dryRun: true });
        return [];
      } catch (error) {
        const failure = failureOf(error);
        if (failedWith(failure, "INVALID", "QUOTA_EXCEEDED", "EXHAUSTED")) {
          return failure.problems.length > 0
            ? [...failure.problems]
            : [{ path: "", message: failure.message }];
        }
        // Keeps the code: callers (and the validation state) tell "unreachable" from a bug.
        throw failure;
      }
    },
    [client, tenant],
  );
}

/**
 * Re-validates the draft with the controller whenever it changes (debounced), so every field
 * shows its problem while the user edits, before anything is committed.
 */
export function useDraftValidation(
  tenant: string,
  doc: IntentFile | null,
  dirty: boolean,
  enabled: boolean,
) {
  const validate = useValidator(tenant);
  const sequence = useRef(0);
  useEffect(() => {
    if (!doc || !enabled) return;
    if (!dirty) {
      validationStore.set({ status: "valid", doc, problems: [], message: null });
      overlayStore.patch({ problems: new Set() });
      return;
    }
    const mine = ++sequence.current;
    validationStore.set({ ...validationStore.getState(), status: "checking" });
    const timer = setTimeout(() => {
      validate(doc).then(
        (problems) => {
          if (mine !== sequence.current) return;
          validationStore.set({
            status: problems.length > 0 ? "invalid" : "valid",
            doc,
            problems,
            message: null,
          });
          const ids = new Set<string>();
          for (const problem of problems) {
            const ref = objectOfPath(doc, problem.path);
            const id = ref ? nodeOfRef(ref.kind, ref.name) : null;
            if (id) ids.add(id);
          }
          overlayStore.patch({ problems: ids });
        },
        (error: unknown) => {
          if (mine !== sequence.current) return;
          validationStore.set({ status: "error", doc, problems: [], message: String(error) });
        },
      );
    }, 350);
    return () => clearTimeout(timer);
  }, [doc, dirty, enabled, validate]);
}

/**
 * Live convergence over the canvas, by the portal's one definition (lib/convergence): each
 * applied network is converged when every node that should hold it reports and has acked; draft
 * networks are "not applied"; the fabric pill names the nodes that are behind. Hit counts are
 * not part of the status push; they are read for the tenant (`fabric.tenantHitCounts`) after
 * status pushes.
 */
export function useLiveStatus(tenant: string, doc: IntentFile | null) {
  const client = useTRPCClient();
  const { status: data, error } = useTenantStatus(tenant);
  const applied = useDraft((s) => (s.tenant === tenant ? s.base : null));
  useEffect(() => {
    if (!doc) return;
    const networks: Record<string, Convergence> = {};
    const lagging: Record<string, NodeBehind[]> = {};
    for (const [name, view] of Object.entries(networkConvergence(data, doc, applied))) {
      networks[name] = view.state;
      lagging[name] = view.behind;
    }
    // The pill speaks for this tenant: the nodes that hold its config.
    overlayStore.patch({
      networks,
      lagging,
      fabric: data ? convergenceOf(data) : null,
    });
  }, [doc, applied, data]);
  // Hit counts per rule of this tenant, summed over every node, read after status pushes (at
  // most every 5 s). The controller keeps counts per tenant, so every user who may read the
  // tenant (its members and cloud roles) sees its own counts and never another tenant's.
  const lastHits = useRef(0);
  useEffect(() => {
    if (!doc || !data) return;
    const now = Date.now();
    if (now - lastHits.current < 5000) return;
    lastHits.current = now;
    void client.fabric.tenantHitCounts
      .query({ tenant })
      .then((hits) => overlayStore.patch({ hits }))
      .catch((failure: unknown) =>
        // Counts are decoration; a failed read keeps the last ones, but says why.
        console.warn(`hit counts of ${tenant} not read: ${failureOf(failure).message}`),
      );
  }, [tenant, doc, data, client]);
  return { status: data, error };
}
