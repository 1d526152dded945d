import { type IntentFile, NetloomError, type Problem } from "@netloom/model";
import { logStoreError } from "../db";
import { emptyTenant, placeholderId } from "./cache";
import {
  type Candidate,
  type FabricContext,
  outsideAddressesHeld,
  prepareCandidate,
} from "./candidate";
import { type Committed, commitChange, lockTenantRow, type PlannedChange } from "./commit";
import type { StoreCore } from "./core";
import { diffResources, documentOf, type ResourceDiff } from "./document";
import { notFound, pause, StaleState } from "./failures";
import {
  findKeyedAnswer,
  type IdempotentRequest,
  type KeyedAnswer,
  purgeExpiredKeys,
} from "./idempotency";
import { isStale, loadTenantNamed, refreshTenant } from "./reload";
import { createTenantLocked } from "./tenants";
import type { ChangeResult, TenantState } from "./types";

/**
 * The path of one intent change, top to bottom: scope (the tenant's lock, a keyed replay, the
 * tenant), then per attempt the candidate (candidate.ts: validate, schedule, allocate, quota,
 * assert), the diff (document.ts), the commit (commit.ts, its SQL in sql.ts) and the news of
 * it. An attempt planned against a copy another controller overtook is planned again.
 */

/** A change's result plus what dry runs and callers need to explain it. */
export type ChangeOutcome = ChangeResult & {
  before: IntentFile;
  natAddresses: Record<string, string>;
  /** Assertions the candidate breaks (a committed change always has none). */
  brokenAssertions: Problem[];
};

/** What a caller asks of `Store.change`. */
export interface ChangeRequest {
  tenant: string;
  actor: string;
  /** Turns the current document into the desired one (CONFLICT, NOT_FOUND for stale calls). */
  mutate: (state: TenantState, document: IntentFile) => IntentFile;
  createTenant?: boolean;
  dryRun?: boolean;
  /** A keyed request: a retry with the same key answers what the first one committed. */
  idempotency?: IdempotentRequest | undefined;
}

/**
 * How often a change is retried after finding the cache stale or an address taken. Each retry
 * re-reads the tenant; running out means a true, sustained conflict (CONFLICT).
 */
const MAX_ATTEMPTS = 8;

/**
 * From this attempt on, a change is planned under the tenant row's lock (lockedAttempt): no
 * other controller can commit to the tenant between its read and its commit, so a writer that
 * lost the race twice (to writers on other controllers planning faster) wins the next time,
 * instead of possibly losing every round until it runs out of attempts. The first attempts stay
 * optimistic: they hold no lock while planning, which is what lets writers of one tenant on
 * several controllers plan at once. Only on PostgreSQL: the embedded database has one
 * controller, whose writes to a tenant are already one at a time, and one connection, which the
 * plan's reads would wait for behind the open transaction.
 */
const LOCKED_FROM_ATTEMPT = 3;

/** Scope: under the tenant's lock, replays a keyed request or runs attempts until one holds. */
export function changeIntent(core: StoreCore, request: ChangeRequest): Promise<ChangeOutcome> {
  const keyed = request.dryRun ? undefined : request.idempotency;
  return core.exclusive(`tenant:${request.tenant}`, async () => {
    const replay = keyed && (await findKeyedAnswer(core.db.sql, keyed));
    if (replay) return replayed(core, request.tenant, replay);
    let state = await tenantForChange(core, request);
    for (let attempt = 1; ; attempt++) {
      try {
        const planned = { ...request, idempotency: keyed };
        return attempt >= LOCKED_FROM_ATTEMPT && !request.dryRun && core.db.backend === "postgres"
          ? await lockedAttempt(core, state, planned, attempt)
          : await attemptChange(core, state, planned, attempt);
      } catch (error) {
        if (!(await judgedStale(core, state, request.tenant, error))) throw error;
        if (attempt >= MAX_ATTEMPTS) {
          throw new NetloomError(
            "CONFLICT",
            `tenant ${request.tenant} kept changing concurrently; retry the request`,
            [{ path: "tenant", message: "changed concurrently by other writers" }],
          );
        }
        await pause(attempt);
        // The same keyed request may have committed through another controller meanwhile.
        const committed = keyed && (await findKeyedAnswer(core.db.sql, keyed));
        if (committed) return replayed(core, request.tenant, committed);
        const reloaded = await refreshTenant(core, state.id);
        if (!reloaded) throw notFound("tenant", request.tenant, "tenant");
        state = reloaded;
      }
    }
  });
}

/**
 * Whether a failed attempt is worth planning again: the copy was stale, or a refusal (CONFLICT
 * on a revision, NOT_FOUND, INVALID...) was judged against a copy another controller overtook.
 */
async function judgedStale(
  core: StoreCore,
  state: TenantState,
  tenant: string,
  error: unknown,
): Promise<boolean> {
  if (error instanceof StaleState) return true;
  return (
    error instanceof NetloomError &&
    state.id !== placeholderId(tenant) &&
    (await isStale(core, state))
  );
}

/** The tenant a change starts from: cached, else read (or, if allowed, created). */
async function tenantForChange(core: StoreCore, request: ChangeRequest): Promise<TenantState> {
  const known = core.cache.named(request.tenant) ?? (await loadTenantNamed(core, request.tenant));
  if (known) return known;
  if (!request.createTenant) throw notFound("tenant", request.tenant, "tenant");
  if (request.dryRun) return emptyTenant(request.tenant);
  try {
    return await createTenantLocked(core, request.tenant, request.actor);
  } catch (error) {
    // Another controller created it first: change that one.
    const created = core.cache.named(request.tenant);
    if (created && error instanceof NetloomError && error.code === "CONFLICT") return created;
    throw error;
  }
}

/** One attempt against one copy of the tenant: the plan, then its commit (or a dry run). */
async function attemptChange(
  core: StoreCore,
  state: TenantState,
  request: ChangeRequest,
  attempt: number,
): Promise<ChangeOutcome> {
  const plan = await planChange(core, state, request, attempt);
  if (plan.settled) return plan.settled;
  const { change } = plan;
  const committed = await core.sqlTransaction((tx) => commitChange(tx, change));
  return published(core, plan, committed);
}

/**
 * An attempt no other controller can overtake: in one transaction, the tenant row is locked
 * first (a writer elsewhere waits at its own commit's lock, then finds the generation moved and
 * plans again), the tenant re-read as committed, planned and committed; published once the
 * transaction has committed.
 */
async function lockedAttempt(
  core: StoreCore,
  state: TenantState,
  request: ChangeRequest,
  attempt: number,
): Promise<ChangeOutcome> {
  const result = await core.sqlTransaction(
    async (tx): Promise<Settled | { plan: ToCommit; committed: Committed }> => {
      await lockTenantRow(tx, state);
      const current = await refreshTenant(core, state.id);
      if (!current) throw notFound("tenant", request.tenant, "tenant");
      const plan = await planChange(core, current, request, attempt);
      if (plan.settled) return plan;
      return { plan, committed: await commitChange(tx, plan.change) };
    },
  );
  if ("settled" in result) return result.settled;
  return published(core, result.plan, result.committed);
}

/** A plan with nothing to commit: a dry run, or a change that changes nothing. */
interface Settled {
  settled: ChangeOutcome;
}

/** A plan to commit: the planned change and its answer once committed. */
interface ToCommit {
  settled?: undefined;
  change: PlannedChange;
  answer: (committed: Committed) => ChangeOutcome;
  keyed: boolean;
}

type Plan = Settled | ToCommit;

/** The candidate (validate, schedule, allocate, quota, assert) and the diff, against `state`. */
async function planChange(
  core: StoreCore,
  state: TenantState,
  request: ChangeRequest,
  attempt: number,
): Promise<Plan> {
  const before = documentOf(state);
  const desired = request.mutate(state, structuredClone(before));
  const fabric = fabricContext(core);
  const held = await outsideAddressesHeld(fabric, core.db.sql, state, desired, attempt);
  const candidate = prepareCandidate(fabric, state, before, desired, held);
  const diff = diffResources(state, candidate.intent);
  const outcome = (generation: number, fabricGeneration: number, dryRun: boolean) =>
    outcomeOf({ state, before, candidate, diff }, generation, fabricGeneration, dryRun);
  if (request.dryRun) return { settled: outcome(state.generation, core.fabricGeneration, true) };
  refuseBrokenAssertions(candidate.broken);
  const natChanged = JSON.stringify(candidate.natAddresses) !== JSON.stringify(state.natAddresses);
  if (diff.changes.length === 0 && !natChanged) {
    return { settled: outcome(state.generation, core.fabricGeneration, false) };
  }
  return {
    change: {
      state,
      before,
      intent: candidate.intent,
      natAddresses: candidate.natAddresses,
      diff,
      actor: request.actor,
      idempotency: request.idempotency,
    },
    answer: (committed) => outcome(committed.next.generation, committed.fabricGeneration, false),
    keyed: request.idempotency !== undefined,
  };
}

/** A committed plan published (cached, announced), and its answer. */
function published(core: StoreCore, plan: ToCommit, committed: Committed): ChangeOutcome {
  publishCommit(core, plan.change.state, committed, plan.keyed);
  return plan.answer(committed);
}

/** The candidate stage's view of the fabric around a tenant. */
function fabricContext(core: StoreCore): FabricContext {
  return {
    nodeNames: core.nodes.map((node) => node.name),
    externalNetworks: core.externalNetworks,
    tenants: () => core.cache.values(),
    brokenAssertions: (state, candidate) =>
      core.assertionChecker.check(core.inputs.withCandidate(state, candidate), state.name),
  };
}

/** ASSERTION_FAILED listing every assertion the candidate breaks. */
function refuseBrokenAssertions(broken: readonly Problem[]): void {
  if (broken.length === 0) return;
  throw new NetloomError(
    "ASSERTION_FAILED",
    broken.map((p) => `${p.path}: ${p.message}`).join("\n"),
    broken,
  );
}

/** After commit: the new copy cached, FabricState raised, everyone told. */
function publishCommit(
  core: StoreCore,
  state: TenantState,
  committed: Committed,
  keyed: boolean,
): void {
  core.cacheTenant(committed.next);
  if (keyed) purgeKeysNowAndThen(core);
  core.fabricGeneration = Math.max(core.fabricGeneration, committed.fabricGeneration);
  core.fabricState.raise(committed.fabricGeneration);
  core.announce({
    tenantId: state.id,
    tenant: state.name,
    generation: committed.next.generation,
    fabricGeneration: committed.fabricGeneration,
  });
}

function outcomeOf(
  planned: { state: TenantState; before: IntentFile; candidate: Candidate; diff: ResourceDiff },
  generation: number,
  fabricGeneration: number,
  dryRun: boolean,
): ChangeOutcome {
  return {
    natAddresses: planned.candidate.natAddresses,
    brokenAssertions: planned.candidate.broken,
    tenant: planned.state.name,
    tenantId: planned.state.id,
    generation,
    fabricGeneration,
    changes: planned.diff.changes,
    document: planned.candidate.intent,
    dryRun,
    before: planned.before,
  };
}

/** The answer of a keyed change that already committed, rebuilt from its key's row. */
async function replayed(
  core: StoreCore,
  tenant: string,
  answer: KeyedAnswer,
): Promise<ChangeOutcome> {
  const state = core.cache.get(answer.tenantId) ?? (await refreshTenant(core, answer.tenantId));
  const document = state ? documentOf(state) : documentOf(emptyTenant(tenant));
  return {
    tenant,
    tenantId: answer.tenantId,
    generation: answer.generation,
    fabricGeneration: answer.fabricGeneration,
    changes: answer.changes.map((change) => ({ ...change, before: null, after: null })),
    document,
    dryRun: false,
    before: document,
    natAddresses: { ...(state?.natAddresses ?? {}) },
    brokenAssertions: [],
  };
}

/** Once an hour, keys older than a day go (after a keyed commit, never in its way). */
function purgeKeysNowAndThen(core: StoreCore): void {
  if (Date.now() - core.lastKeyPurge < 60 * 60 * 1000) return;
  core.lastKeyPurge = Date.now();
  core.writes.track(
    purgeExpiredKeys(core.db.sql).catch((error: unknown) => {
      logStoreError(error, "purging expired idempotency keys");
    }),
  );
}

/** Makes the tenant's intent what it was at `generation` (a new generation, audited). */
export async function restoreGeneration(
  core: StoreCore,
  state: TenantState,
  generation: number,
  actor: string,
  dryRun: boolean,
): Promise<ChangeOutcome> {
  const snapshot = await core.db.prisma.intentSnapshot.findUnique({
    where: { tenantId_generation: { tenantId: state.id, generation } },
  });
  if (!snapshot) {
    throw new NetloomError("NOT_FOUND", `tenant ${state.name} has no generation ${generation}`, [
      { path: "generation", message: `no snapshot at generation ${generation}` },
    ]);
  }
  const document = snapshot.document as unknown as IntentFile;
  return changeIntent(core, {
    tenant: state.name,
    actor,
    dryRun,
    mutate: () => structuredClone(document),
  });
}
