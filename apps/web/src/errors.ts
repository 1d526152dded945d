import { type ErrorCode, formatPath, NetloomError, type Problem } from "@netloom/model";

/**
 * A failed call, read back through the model's one wire parser (`NetloomError.fromWire`): the
 * controller puts `{ code, problems }` in `error.data.netloom`; anything else (network down, a
 * bug) keeps tRPC's code mapped back, or INTERNAL.
 */
export type CallFailure = NetloomError;

export function failureOf(error: unknown): CallFailure {
  return NetloomError.fromWire(error);
}

/** True when the failure is one of these codes. */
export function failedWith(failure: CallFailure, ...codes: ErrorCode[]): boolean {
  return codes.includes(failure.code);
}

/**
 * Problems under `prefix` (e.g. `networks[2]`), with the prefix cut off so a form can look up
 * its own fields (`subnets[0].cidr`). The prefix itself maps to "".
 */
export function problemsUnder(problems: readonly Problem[], prefix: string): Problem[] {
  const out: Problem[] = [];
  for (const problem of problems) {
    if (problem.path === prefix) out.push({ path: "", message: problem.message });
    else if (problem.path.startsWith(`${prefix}.`) || problem.path.startsWith(`${prefix}[`)) {
      const rest = problem.path.slice(prefix.length);
      out.push({ path: rest.startsWith(".") ? rest.slice(1) : rest, message: problem.message });
    }
  }
  return out;
}

/** A zod issue path (`["subnets", 0, "cidr"]`) in the spec's form (`subnets[0].cidr`). */
export function pathOf(segments: readonly PropertyKey[]): string {
  return formatPath(segments);
}
