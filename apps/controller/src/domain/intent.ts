import type { FabricPlan, Review } from "@netloom/compiler";
import {
  canonicalIntent,
  type IntentFile,
  NetloomError,
  type Problem,
  parseDocument,
  parseIntentFile,
} from "@netloom/model";
import type { Reach } from "../reach";
import type { IdempotentRequest } from "../store/idempotency";
import type { Store } from "../store/store";
import type { ObjectChange, TenantState } from "../store/types";

/** What `intent.apply` answers: the object changes, and for a dry run the node plan. */
export interface ApplyResult {
  tenant: string;
  dryRun: boolean;
  generation: number;
  fabricGeneration: number;
  changes: { action: ObjectChange["action"]; kind: string; name: string }[];
  /** Per-node config changes (dry run only). */
  plan: FabricPlan | null;
  /** Field diffs of the changed objects and the reachability delta (dry run only). */
  review: Review | null;
  /** Stored assertions the file would break (dry run; a real apply refuses instead). */
  brokenAssertions: Problem[];
}

/**
 * A tenant file from the API: usually already decoded; a string is YAML or JSON text (decoded
 * here, with `line L, column C` problems and the 10 MiB limit). INVALID with field paths.
 */
export function parseTenantDocument(document: unknown, tenant?: string): IntentFile {
  const parsed = parseIntentFile(decodeDocument(document));
  if (!parsed.ok) throw NetloomError.invalid(parsed.problems);
  if (tenant !== undefined && parsed.value.tenant !== tenant) {
    throw NetloomError.invalid([
      { path: "tenant", message: `the file is for tenant ${parsed.value.tenant}, not ${tenant}` },
    ]);
  }
  return parsed.value;
}

/** Text (YAML or JSON) → data; anything else passes through as already decoded. */
export function decodeDocument(document: unknown): unknown {
  return typeof document === "string" ? parseDocument(document) : document;
}

/**
 * Makes the tenant's stored intent equal to `file`, all or nothing (spec section 4, apply).
 * `createTenant` lets the cloud admin apply a file for a tenant that does not exist yet.
 */
export async function applyIntent(
  store: Store,
  reach: Reach,
  file: IntentFile,
  options: {
    actor: string;
    dryRun: boolean;
    createTenant: boolean;
    idempotency?: IdempotentRequest | undefined;
  },
): Promise<ApplyResult> {
  const before = store.tenant(file.tenant);
  const outcome = await store.change({
    tenant: file.tenant,
    actor: options.actor,
    dryRun: options.dryRun,
    createTenant: options.createTenant,
    idempotency: options.idempotency,
    mutate: () => structuredClone(file),
  });
  return resultOf(store, reach, before, outcome, options.dryRun);
}

type ChangeOutcome = Awaited<ReturnType<Store["change"]>>;

/** The apply result of a store change; for a dry run with the node plan and the review. */
export async function resultOf(
  store: Store,
  reach: Reach,
  before: TenantState | undefined,
  outcome: ChangeOutcome,
  dryRun: boolean,
): Promise<ApplyResult> {
  let reviewed: { plan: FabricPlan; review: Review } | null = null;
  if (dryRun) {
    const state: TenantState = before ?? {
      id: `new:${outcome.tenant}`,
      name: outcome.tenant,
      generation: 0,
      quotas: {},
      resources: new Map(),
      vnis: {},
      natAddresses: {},
    };
    const current = store.compileInput();
    const candidate = store.candidateInput(state, {
      intent: outcome.document,
      natAddresses: outcome.natAddresses,
    });
    reviewed = await reach.plan(current, candidate, state.id, outcome.tenant);
  }
  return {
    tenant: outcome.tenant,
    dryRun,
    generation: outcome.generation,
    fabricGeneration: outcome.fabricGeneration,
    changes: outcome.changes.map(({ action, kind, name }) => ({ action, kind, name })),
    plan: reviewed?.plan ?? null,
    review: reviewed?.review ?? null,
    brokenAssertions: outcome.brokenAssertions,
  };
}

/** The tenant's intent as a file that applies back to the same state. */
export function exportIntent(store: Store, state: TenantState): IntentFile {
  return canonicalIntent(store.document(state));
}
