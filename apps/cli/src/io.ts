import { formatProblem, NetloomError } from "@netloom/model";
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

/** Connection errors where nothing was sent: retrying cannot help and cannot duplicate. */
const NOT_CONNECTED = new Set(["ECONNREFUSED", "ENOTFOUND", "EAI_AGAIN", "EHOSTUNREACH"]);

/** Why a call got no answer at all (no HTTP response), or undefined if it got one. */
export interface TransportFailure {
  /** The underlying cause, e.g. `connect ECONNREFUSED 127.0.0.1:7070`. */
  description: string;
  /** Whether the request may have reached the server (reset, hang-up): worth one more try. */
  retriable: boolean;
}

function codeOf(value: unknown): string | undefined {
  return typeof value === "object" && value !== null && "code" in value
    ? String(value.code)
    : undefined;
}

/** The transport failure behind a client error (fetch failed, connection refused, reset). */
export function transportFailure(error: unknown): TransportFailure | undefined {
  if (!(error instanceof TRPCClientError)) return undefined;
  const fetchError: unknown = error.cause;
  if (!(fetchError instanceof Error) || error.data !== undefined) return undefined;
  if (!/fetch failed|ECONN|socket|other side closed/i.test(fetchError.message)) return undefined;
  // undici puts the socket error under `cause`; for localhost it is an AggregateError (v4 + v6).
  const socketError: unknown = fetchError.cause;
  const inner =
    socketError instanceof AggregateError && socketError.errors[0] instanceof Error
      ? socketError.errors[0]
      : socketError;
  const code = codeOf(socketError) ?? codeOf(inner);
  const detail = inner instanceof Error && inner.message ? inner.message : (code ?? "");
  return {
    description: detail ? `${fetchError.message} (${detail})` : fetchError.message,
    retriable: code === undefined || !NOT_CONNECTED.has(code),
  };
}

/**
 * The lines to print for an error: one per problem, `path: message` (spec section 4). A
 * controller that did not answer is named by its URL (`server`) and the cause.
 */
export function errorLines(error: unknown, server?: string): string[] {
  const failure = transportFailure(error);
  if (failure) {
    return [
      `cannot reach the controller at ${server ?? "the server"}: ${failure.description}`,
      "  is it running? choose another with --server URL, NETLOOM_SERVER or NETLOOM_PORT",
    ];
  }
  if (error instanceof UsageError) return [error.message];
  if (error instanceof NetloomError || error instanceof TRPCClientError) {
    const netloom = NetloomError.fromWire(error);
    return netloom.problems.length > 0 ? netloom.problems.map(formatProblem) : [netloom.message];
  }
  if (error instanceof Error) return [error.message];
  return [String(error)];
}

/** Prints an error's lines on stderr and returns exit code 2. */
export function reportError(io: CommandIo, error: unknown, server?: string): ExitCode {
  for (const line of errorLines(error, server)) io.stderr(`${line}\n`);
  return EXIT.error;
}
