import {
  assertNever,
  type ErrorCode,
  formatPath,
  NetloomError,
  type Problem,
} from "@netloom/model";
import type { TRPC_ERROR_CODE_KEY } from "@trpc/server";
import { ZodError } from "zod";

/** The one map from domain error codes to tRPC codes (and so to HTTP statuses). */
export function trpcCodeOf(code: ErrorCode): TRPC_ERROR_CODE_KEY {
  switch (code) {
    case "INVALID":
      return "BAD_REQUEST";
    case "NOT_FOUND":
      return "NOT_FOUND";
    case "CONFLICT":
      return "CONFLICT";
    case "UNAUTHENTICATED":
      return "UNAUTHORIZED";
    case "FORBIDDEN":
      return "FORBIDDEN";
    case "QUOTA_EXCEEDED":
      return "FORBIDDEN";
    case "EXHAUSTED":
      return "UNPROCESSABLE_CONTENT";
    case "ASSERTION_FAILED":
      return "PRECONDITION_FAILED";
    case "TOO_LARGE":
      return "PAYLOAD_TOO_LARGE";
    case "UNSUPPORTED_MEDIA_TYPE":
      return "UNSUPPORTED_MEDIA_TYPE";
    case "PRECONDITION_FAILED":
      return "PRECONDITION_FAILED";
    case "RATE_LIMITED":
      return "TOO_MANY_REQUESTS";
    case "BUDGET_EXCEEDED":
      return "UNPROCESSABLE_CONTENT";
    case "UNAVAILABLE":
      return "SERVICE_UNAVAILABLE";
    case "INTERNAL":
      return "INTERNAL_SERVER_ERROR";
    default:
      return assertNever(code, "error code");
  }
}

/** What travels in `error.data.netloom`. */
export interface NetloomErrorData {
  code: ErrorCode;
  problems: Problem[];
}

/**
 * The domain error behind any error a procedure raised, or null for an unexpected one:
 * NetloomError as is, zod input errors as INVALID with field paths, tRPC's own refusals
 * (unknown procedure, bad method, unparsable body) by their code.
 */
export function domainErrorOf(
  code: TRPC_ERROR_CODE_KEY,
  message: string,
  cause: unknown,
): NetloomErrorData | null {
  if (cause instanceof NetloomError) return { code: cause.code, problems: [...cause.problems] };
  if (cause instanceof ZodError) {
    return {
      code: "INVALID",
      problems: cause.issues.map((issue) => ({
        path: formatPath(issue.path),
        message: issue.message,
      })),
    };
  }
  switch (code) {
    case "PARSE_ERROR":
    case "BAD_REQUEST":
    case "METHOD_NOT_SUPPORTED":
      return { code: "INVALID", problems: [{ path: "", message }] };
    case "NOT_FOUND":
      return { code: "NOT_FOUND", problems: [{ path: "", message }] };
    case "UNAUTHORIZED":
      return { code: "UNAUTHENTICATED", problems: [] };
    case "FORBIDDEN":
      return { code: "FORBIDDEN", problems: [] };
    case "PAYLOAD_TOO_LARGE":
      return { code: "TOO_LARGE", problems: [{ path: "", message }] };
    default:
      return null;
  }
}
