import {
  allPairs,
  type CheckResult,
  type CompiledFabric,
  type CompileInput,
  check,
  checkAssertions,
  compile,
  type FabricPlan,
  type FlowQuery,
  plan,
  type TraceResult,
  trace,
} from "@netloom/compiler";
import {
  checkFlowEnd,
  type Expectation,
  type IntentFile,
  NetloomError,
  type Problem,
} from "@netloom/model";
import type { AssertionChecker } from "./store/assertions";
import type { Store } from "./store/store";
import type { TenantState } from "./store/types";

/** One tenant's reachability matrix in JSON form (rows: from, columns: to, per flow). */
export interface MatrixView {
  tenant: string;
  workloads: string[];
  flows: { protocol: string; port?: number | undefined }[];
  /** `allowed[i][j]` lists the indexes of the flows workload i can send to workload j. */
  allowed: number[][][];
}

/**
 * Reachability questions on the compiled model: trace, check, the all-pairs matrix, dry-run
 * plans and assertion checks. A tenant's configs depend only on its own intent and the fabric,
 * so each is compiled alone and cached per (tenant generation, fabric nodes).
 */
export class Reach {
  private readonly cache = new Map<string, { key: string; compiled: CompiledFabric }>();

  constructor(private readonly store: Store) {}

  /** The compiled configs of one tenant's current intent. */
  compiledTenant(state: TenantState): CompiledFabric {
    const input = this.store.compileInput();
    const key = `${state.generation}|${JSON.stringify(input.fabric.nodes)}`;
    const cached = this.cache.get(state.id);
    if (cached && cached.key === key) return cached.compiled;
    const tenant = input.tenants.find((candidate) => candidate.id === state.id);
    const compiled = compile({ fabric: input.fabric, tenants: tenant ? [tenant] : [] });
    this.cache.set(state.id, { key, compiled });
    return compiled;
  }

  trace(state: TenantState, flow: Omit<FlowQuery, "tenant">): TraceResult {
    checkEnds(state, [flow], (end) => end);
    return trace(this.compiledTenant(state), state.name, { ...flow, tenant: state.name });
  }

  check(state: TenantState, expectations: readonly Expectation[]): CheckResult {
    checkEnds(state, expectations, (end, index) => `expect[${index}].${end}`);
    return check(this.compiledTenant(state), state.name, expectations);
  }

  matrix(state: TenantState): MatrixView {
    const matrix = allPairs(this.compiledTenant(state), state.name);
    const n = matrix.workloads.length;
    const f = matrix.flows.length;
    const allowed: number[][][] = [];
    for (let i = 0; i < n; i++) {
      const row: number[][] = [];
      for (let j = 0; j < n; j++) {
        const cell: number[] = [];
        for (let k = 0; k < f; k++) if (matrix.allowed[(i * n + j) * f + k] === 1) cell.push(k);
        row.push(cell);
      }
      allowed.push(row);
    }
    return { tenant: matrix.tenant, workloads: matrix.workloads, flows: matrix.flows, allowed };
  }

  /** The per-node config changes a candidate of one tenant would cause. */
  plan(before: CompileInput, after: CompileInput, tenantId: string): FabricPlan {
    const only = (input: CompileInput) => ({
      fabric: input.fabric,
      tenants: input.tenants.filter((tenant) => tenant.id === tenantId),
    });
    return plan(compile(only(before)), compile(only(after)));
  }

  /** AssertionChecker: compiles the candidate tenant and traces each stored assertion. */
  readonly assertionChecker: AssertionChecker = {
    check: (input, tenant) => this.checkCandidate(input, tenant),
  };

  /** The assertions of `tenant` that a candidate compile input breaks. */
  checkCandidate(input: CompileInput, tenant: string): Problem[] {
    const candidate = input.tenants.find((entry) => entry.intent.tenant === tenant);
    if (!candidate) return [];
    return brokenAssertions(
      compile({ fabric: input.fabric, tenants: [candidate] }),
      candidate.intent,
    );
  }
}

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
