import type { Assertion, Expectation, Protocol, Verdict } from "@netloom/model";
import type { CompiledFabric } from "./config";
import { trace } from "./trace";

/** One expectation the compiled model disagrees with (spec section 4, `netloom check --json`). */
export interface CheckMismatch {
  from: string;
  to: string;
  protocol: Protocol;
  port?: number;
  expected: Verdict;
  got: Verdict;
}

export interface CheckResult {
  total: number;
  mismatches: CheckMismatch[];
}

/** Checks each expectation against a trace on the compiled configs. */
export function check(
  compiled: CompiledFabric,
  tenant: string,
  expectations: readonly Expectation[],
): CheckResult {
  const mismatches: CheckMismatch[] = [];
  for (const expectation of expectations) {
    const result = trace(compiled, tenant, { tenant, ...flowOf(expectation) });
    if (result.verdict !== expectation.verdict) {
      const mismatch: CheckMismatch = {
        from: expectation.from,
        to: expectation.to,
        protocol: expectation.protocol,
        expected: expectation.verdict,
        got: result.verdict,
      };
      if (expectation.port !== undefined) mismatch.port = expectation.port;
      mismatches.push(mismatch);
    }
  }
  return { total: expectations.length, mismatches };
}

/** A stored assertion the compiled model breaks, with the trace's reason. */
export interface BrokenAssertion {
  assertion: Assertion;
  got: Verdict;
  reason: string;
  rule?: string;
}

/** The assertions whose verdict the compiled configs do not give, each with the trace reason. */
export function checkAssertions(
  compiled: CompiledFabric,
  tenant: string,
  assertions: readonly Assertion[],
): BrokenAssertion[] {
  const broken: BrokenAssertion[] = [];
  for (const assertion of assertions) {
    const result = trace(compiled, tenant, { tenant, ...flowOf(assertion) });
    if (result.verdict !== assertion.verdict) {
      const entry: BrokenAssertion = { assertion, got: result.verdict, reason: result.reason };
      if (result.rule !== undefined) entry.rule = result.rule;
      broken.push(entry);
    }
  }
  return broken;
}

function flowOf(flow: Expectation | Assertion): {
  from: string;
  to: string;
  protocol: Protocol;
  port?: number;
} {
  return flow.port === undefined
    ? { from: flow.from, to: flow.to, protocol: flow.protocol }
    : { from: flow.from, to: flow.to, protocol: flow.protocol, port: flow.port };
}
