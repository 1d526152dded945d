import {
  type CheckResult,
  type ClassMatrix,
  type CompiledFabric,
  type CompileInput,
  check,
  compile,
  type FabricPlan,
  type FlowQuery,
  plan,
  type Review,
  reachClasses,
  review,
  type TraceResult,
  trace,
} from "@netloom/compiler";
import { assertNever, type Expectation, NetloomError } from "@netloom/model";

/*
 * The analysis requests that run in the worker threads (pool.ts), and the one function that
 * answers them. Every request carries what it needs (plain data, cloned into the worker): a
 * tenant's compile input and a key naming that input's version, so a worker compiles a tenant
 * version once and reuses it for the next questions about it.
 */

/** One tenant's compile input and the key of its version (tenant id, generation, fabric). */
export interface TenantSubject {
  key: string;
  input: CompileInput;
  tenant: string;
}

export type AnalysisRequest =
  | { kind: "trace"; subject: TenantSubject; flow: FlowQuery }
  | { kind: "check"; subject: TenantSubject; expectations: Expectation[] }
  | { kind: "matrix"; subject: TenantSubject }
  /** The node plan and the review (field diff, reachability delta) of a candidate. */
  | { kind: "plan"; before: TenantSubject; after: TenantSubject };

export type AnalysisResult<R extends AnalysisRequest> = R extends { kind: "trace" }
  ? TraceResult
  : R extends { kind: "check" }
    ? CheckResult
    : R extends { kind: "matrix" }
      ? ClassMatrix
      : R extends { kind: "plan" }
        ? { plan: FabricPlan; review: Review }
        : never;

/** Compiled tenant versions by key, the most recently used last; a few at most. */
export class CompiledCache {
  private readonly entries = new Map<string, CompiledFabric>();

  constructor(private readonly capacity = 4) {}

  get(subject: TenantSubject): CompiledFabric {
    const known = this.entries.get(subject.key);
    if (known !== undefined) {
      this.entries.delete(subject.key);
      this.entries.set(subject.key, known);
      return known;
    }
    const compiled = compile(subject.input);
    this.entries.set(subject.key, compiled);
    for (const key of this.entries.keys()) {
      if (this.entries.size <= this.capacity) break;
      this.entries.delete(key);
    }
    return compiled;
  }
}

/** Answers one request (in a worker thread; also callable in-process by tests). */
export function runAnalysis(request: AnalysisRequest, cache: CompiledCache): unknown {
  switch (request.kind) {
    case "trace":
      return trace(cache.get(request.subject), request.subject.tenant, request.flow);
    case "check":
      return check(cache.get(request.subject), request.subject.tenant, request.expectations);
    case "matrix":
      return reachClasses(cache.get(request.subject), request.subject.tenant);
    case "plan": {
      const before = cache.get(request.before);
      const after = cache.get(request.after);
      const intentOf = (subject: TenantSubject) =>
        subject.input.tenants.find((tenant) => tenant.intent.tenant === subject.tenant)?.intent;
      const afterIntent = intentOf(request.after);
      if (afterIntent === undefined) {
        throw new NetloomError("INTERNAL", `plan: no intent of ${request.after.tenant} to review`);
      }
      return {
        plan: plan(before, after),
        review: review(
          request.after.tenant,
          { intent: intentOf(request.before), compiled: before },
          { intent: afterIntent, compiled: after },
        ),
      };
    }
    default:
      return assertNever(request, "analysis request");
  }
}
