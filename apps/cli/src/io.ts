import { formatProblem, NetloomError, type Problem } from "@netloom/model";
import { TRPCClientError } from "@trpc/client";

/** Where a command writes and what it reads from its surroundings; tests pass their own. */
export interface CommandIo {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
  env: Readonly<Record<string, string | undefined>>;
  cwd: string;
}

/** Exit codes of spec section 4. */
export const EXIT = { ok: 0, checkFailed: 1, error: 2 } as const;
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** Raised for bad command lines; printed as one line, exit 2. */
export class UsageError extends Error {}

interface WireNetloomError {
  code?: string;
  problems?: Problem[];
}

function netloomDataOf(error: TRPCClientError<never>): WireNetloomError | undefined {
  const data: unknown = error.data;
  if (typeof data !== "object" || data === null || !("netloom" in data)) return undefined;
  const netloom: unknown = data.netloom;
  return typeof netloom === "object" && netloom !== null
    ? (netloom as WireNetloomError)
    : undefined;
}

/** The lines to print for an error: one per problem, `path: message` (spec section 4). */
export function errorLines(error: unknown): string[] {
  if (error instanceof NetloomError) {
    return error.problems.length > 0 ? error.problems.map(formatProblem) : [error.message];
  }
  if (error instanceof TRPCClientError) {
    const netloom = netloomDataOf(error);
    if (netloom?.problems && netloom.problems.length > 0)
      return netloom.problems.map(formatProblem);
    const cause: unknown = error.cause;
    if (
      cause instanceof Error &&
      /fetch failed|ECONNREFUSED/.test(`${cause.message}${String(cause.cause)}`)
    ) {
      return [`cannot reach the controller: ${cause.message}`];
    }
    return [error.message];
  }
  if (error instanceof UsageError) return [error.message];
  if (error instanceof Error) return [error.message];
  return [String(error)];
}

/** Prints an error's lines on stderr and returns exit code 2. */
export function reportError(io: CommandIo, error: unknown): ExitCode {
  for (const line of errorLines(error)) io.stderr(`${line}\n`);
  return EXIT.error;
}
