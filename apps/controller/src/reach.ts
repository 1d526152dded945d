import {
  type CheckResult,
  type ClassMatrix,
  type CompiledFabric,
  type CompileInput,
  checkAssertions,
  compile,
  type FabricPlan,
  type FlowQuery,
  fnv1a64,
  type Review,
  type TraceResult,
} from "@netloom/compiler";
import {
  checkFlowEnd,
  type Expectation,
  type IntentFile,
  NetloomError,
  type Problem,
} from "@netloom/model";
import type { TenantSubject } from "./analysis/jobs";
import { AnalysisPool } from "./analysis/pool";
import type { AssertionChecker } from "./store/assertions";
import type { Store } from "./store/store";
import type { TenantState } from "./store/types";

/**
 * Reachability questions on the compiled model: trace, check, the class-based all-pairs matrix
 * and dry-run plans run in the analysis workers (analysis/pool.ts: off the event loop, under a
 * time and memory budget); assertion checks of a write compile here. A tenant's configs depend
 * only on its own intent and the fabric, so each is compiled alone, keyed by (tenant id,
 * generation, fabric).
 */
export class Reach {
  private readonly cache = new Map<string, { key: string; compiled: CompiledFabric }>();

  constructor(
    private readonly store: Store,
    readonly pool: AnalysisPool = new AnalysisPool(),
  ) {}

  /** The compiled configs of one tenant's current intent (in-process). */
  compiledTenant(state: TenantState): CompiledFabric {
    const subject = this.subject(state);
    const cached = this.cache.get(state.id);
    if (cached && cached.key === subject.key) return cached.compiled;
    const compiled = compile(subject.input);
    this.cache.set(state.id, { key: subject.key, compiled });
    return compiled;
  }

  /** What a worker needs to compile the tenant's current version, and that version's key. */
  subject(state: TenantState): TenantSubject {
    const input = this.store.compileInput();
    return this.subjectOf(input, state.id, state.name, `${state.id}|${state.generation}`);
  }

  private subjectOf(
    input: CompileInput,
    tenantId: string,
    name: string,
    version: string,
  ): TenantSubject {
    const fabric = fnv1a64(JSON.stringify(input.fabric));
    return {
      key: `${version}|${fabric}`,
      input: {
        fabric: input.fabric,
        tenants: input.tenants.filter((tenant) => tenant.id === tenantId),
      },
      tenant: name,
    };
  }

  trace(state: TenantState, flow: Omit<FlowQuery, "tenant">): Promise<TraceResult> {
    checkEnds(state, [flow], (end) => end);
    return this.pool.run({
      kind: "trace",
      subject: this.subject(state),
      flow: { ...flow, tenant: state.name },
    });
  }

  check(state: TenantState, expectations: readonly Expectation[]): Promise<CheckResult> {
    checkEnds(state, expectations, (end, index) => `expect[${index}].${end}`);
    return this.pool.run({
      kind: "check",
      subject: this.subject(state),
      expectations: [...expectations],
    });
  }

  /** The compressed matrix (classes, members, a verdict per class pair and flow class). */
  matrix(state: TenantState): Promise<ClassMatrix> {
    return this.pool.run({ kind: "matrix", subject: this.subject(state) });
  }

  /**
   * The per-node config changes and the review (field diffs, reachability delta) a candidate of
   * one tenant would cause. `before` may lack the tenant (a new one).
   */
  plan(
    before: CompileInput,
    after: CompileInput,
    tenantId: string,
    tenant: string,
  ): Promise<{ plan: FabricPlan; review: Review }> {
    return this.pool.run({
      kind: "plan",
      // Candidates are not stored versions: keyed by content so a worker never mixes them up.
      before: this.subjectOf(
        before,
        tenantId,
        tenant,
        `before:${fnv1a64(JSON.stringify(before.tenants.find((t) => t.id === tenantId) ?? null))}`,
      ),
      after: this.subjectOf(
        after,
        tenantId,
        tenant,
        `after:${fnv1a64(JSON.stringify(after.tenants.find((t) => t.id === tenantId) ?? null))}`,
      ),
    });
  }

  /** Stops the analysis workers. */
  close(): Promise<void> {
    return this.pool.close();
  }

  /** The assertions of `tenant` that a candidate compile input breaks. */
  checkCandidate(input: CompileInput, tenant: string): Problem[] {
    return compiledAssertionChecker.check(input, tenant);
  }
}

/**
 * The store's assertion checker: compiles the candidate tenant and traces each stored assertion.
 * The store requires one, so assertions can never be stored without being enforced.
 */
export const compiledAssertionChecker: AssertionChecker = {
  check(input, tenant): Problem[] {
    const candidate = input.tenants.find((entry) => entry.intent.tenant === tenant);
    if (!candidate) return [];
    return brokenAssertions(
      compile({ fabric: input.fabric, tenants: [candidate] }),
      candidate.intent,
    );
  },
};

/** INVALID unless every flow end is a workload of the tenant or an IPv4 address. */
function checkEnds(
  state: TenantState,
  flows: readonly { from: string; to: string }[],
  pathOf: (end: "from" | "to", index: number) => string,
): void {
  const workloads = new Set<string>();
  for (const resource of state.resources.values()) {
    if (resource.kind === "workloads") workloads.add(resource.name);
  }
  const problems: Problem[] = [];
  flows.forEach((flow, index) => {
    for (const end of ["from", "to"] as const) {
      const message = checkFlowEnd(flow[end], workloads);
      if (message) problems.push({ path: pathOf(end, index), message });
    }
  });
  if (problems.length > 0) throw NetloomError.invalid(problems);
}

/** The stored assertions a compiled tenant breaks, as problems by path. */
export function brokenAssertions(compiled: CompiledFabric, intent: IntentFile): Problem[] {
  const assertions = intent.assertions ?? [];
  const broken = checkAssertions(compiled, intent.tenant, assertions);
  return broken.map((entry) => {
    const index = assertions.indexOf(entry.assertion);
    const flow = `${entry.assertion.from} -> ${entry.assertion.to} ${entry.assertion.protocol}${
      entry.assertion.port === undefined ? "" : `/${entry.assertion.port}`
    }`;
    return {
      path: `assertions[${index}]`,
      message: `${entry.assertion.name}: expected ${entry.assertion.verdict} for ${flow}, got ${entry.got} (${entry.reason})`,
    };
  });
}
