/**
 * Domain errors as values with codes. The controller maps each code to one tRPC code in one
 * place; the client reads `code` and `problems` back from the wire; the UI shows each problem
 * next to the field its path names.
 */

/** A single problem with an input, located by its path, e.g. `networks[1].subnets[0].cidr`. */
export interface Problem {
  path: string;
  message: string;
}

export const ERROR_CODES = [
  "INVALID", // input of the wrong form or breaking a rule of spec section 3
  "NOT_FOUND", // missing, or belonging to another tenant: indistinguishable on purpose
  "CONFLICT", // stale revision, or a name already taken
  "UNAUTHENTICATED",
  "FORBIDDEN",
  "QUOTA_EXCEEDED",
  "EXHAUSTED", // no address or VNI left to allocate
  "ASSERTION_FAILED", // the change would break a stored reachability assertion
  "TOO_LARGE",
  "INTERNAL",
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** The error every netloom layer throws or returns; survives the wire as `{code, problems}`. */
export class NetloomError extends Error {
  readonly code: ErrorCode;
  readonly problems: readonly Problem[];

  constructor(code: ErrorCode, message: string, problems: readonly Problem[] = []) {
    super(message);
    this.name = "NetloomError";
    this.code = code;
    this.problems = problems;
  }

  /** An INVALID error listing problems; its message is the problems, one a line. */
  static invalid(problems: readonly Problem[]): NetloomError {
    return new NetloomError("INVALID", problems.map(formatProblem).join("\n"), problems);
  }
}

/** `path: message`, the line format of spec section 4. */
export function formatProblem(problem: Problem): string {
  return problem.path ? `${problem.path}: ${problem.message}` : problem.message;
}

/** For exhaustive switches over unions. */
export function assertNever(value: never, what = "value"): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(value)}`);
}
