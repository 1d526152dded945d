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
  "UNSUPPORTED_MEDIA_TYPE", // a body that is not JSON where JSON is required
  "PRECONDITION_FAILED", // a conditional request (e.g. If-Match) whose condition does not hold
  "RATE_LIMITED", // too many attempts (e.g. logins); retry after the interval the error names
  "BUDGET_EXCEEDED", // an analysis over its time or memory budget; narrow the question
  "UNAVAILABLE", // the database or another dependency is away; safe to retry
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

  /**
   * Reads a failed call back into a NetloomError: the controller carries `{code, problems}` in
   * `error.data.netloom` (tRPC) or as the JSON body's `error` (REST). Anything else (network
   * down, a proxy's page, a bug) becomes INTERNAL with the original message, never lost.
   */
  static fromWire(error: unknown): NetloomError {
    if (error instanceof NetloomError) return error;
    const message =
      isRecord(error) && typeof error.message === "string" ? error.message : String(error);
    const data = isRecord(error) && isRecord(error.data) ? error.data : undefined;
    const wire = data && isRecord(data.netloom) ? data.netloom : undefined;
    if (wire === undefined) {
      const fallback =
        data && typeof data.code === "string" ? trpcCodeToErrorCode(data.code) : undefined;
      return new NetloomError(fallback ?? "INTERNAL", message);
    }
    const code = isErrorCode(wire.code) ? wire.code : "INTERNAL";
    const problems: Problem[] = Array.isArray(wire.problems)
      ? wire.problems.filter(isRecord).map((problem) => ({
          path: typeof problem.path === "string" ? problem.path : "",
          message: typeof problem.message === "string" ? problem.message : "",
        }))
      : [];
    return new NetloomError(code, message, problems);
  }

  /** An INVALID error listing problems; its message is the problems, one a line. */
  static invalid(problems: readonly Problem[]): NetloomError {
    return new NetloomError("INVALID", problems.map(formatProblem).join("\n"), problems);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** Whether a wire value is one of our codes. */
export function isErrorCode(value: unknown): value is ErrorCode {
  return typeof value === "string" && (ERROR_CODES as readonly string[]).includes(value);
}

/** For errors that reached the client without `data.netloom` (e.g. tRPC's own input checks). */
function trpcCodeToErrorCode(code: string): ErrorCode | undefined {
  switch (code) {
    case "BAD_REQUEST":
      return "INVALID";
    case "NOT_FOUND":
      return "NOT_FOUND";
    case "CONFLICT":
      return "CONFLICT";
    case "UNAUTHORIZED":
      return "UNAUTHENTICATED";
    case "FORBIDDEN":
      return "FORBIDDEN";
    case "PAYLOAD_TOO_LARGE":
      return "TOO_LARGE";
    case "UNSUPPORTED_MEDIA_TYPE":
      return "UNSUPPORTED_MEDIA_TYPE";
    case "PRECONDITION_FAILED":
      return "PRECONDITION_FAILED";
    case "TOO_MANY_REQUESTS":
      return "RATE_LIMITED";
    case "SERVICE_UNAVAILABLE":
      return "UNAVAILABLE";
    default:
      return undefined;
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
