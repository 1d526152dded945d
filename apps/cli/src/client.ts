import { randomUUID } from "node:crypto";
import type { AppRouter } from "@netloom/controller/types";
import { createTRPCClient, httpLink, type Operation, retryLink } from "@trpc/client";
import type { Connection } from "./connection";
import { transportFailure } from "./io";

/** The header the controller deduplicates creates and applies by (one key per command run). */
export const IDEMPOTENCY_HEADER = "Idempotency-Key";
/** Attempts of one call when the connection failed before an answer arrived. */
export const MAX_ATTEMPTS = 3;

/**
 * Mutations that make something new or apply a file carry the invocation's key, so a retry
 * after a lost answer is recognized by the controller instead of applied twice.
 */
export function carriesIdempotencyKey(op: Pick<Operation, "type" | "path">): boolean {
  if (op.type !== "mutation") return false;
  const action = op.path.split(".").pop() ?? "";
  return action === "create" || action.startsWith("apply");
}

export interface ClientOptions {
  /** One key per command invocation; tests pass their own. */
  idempotencyKey?: string;
  /** Milliseconds before retry `attempt` (1-based); default 250 ms x attempt. */
  retryDelayMs?: (attempt: number) => number;
}

/**
 * A typed tRPC client of the controller, authenticated with the connection's token. A call whose
 * connection broke before an answer (reset, hang-up; not "refused": nothing listens there) is
 * retried: queries always, mutations only when they carry the idempotency key.
 */
export function createClient(connection: Connection, options: ClientOptions = {}) {
  const idempotencyKey = options.idempotencyKey ?? randomUUID();
  return createTRPCClient<AppRouter>({
    links: [
      retryLink({
        retry: ({ op, error, attempts }) =>
          attempts < MAX_ATTEMPTS &&
          (op.type === "query" || carriesIdempotencyKey(op)) &&
          transportFailure(error)?.retriable === true,
        retryDelayMs: options.retryDelayMs ?? ((attempt) => 250 * attempt),
      }),
      httpLink({
        url: `${connection.server}/trpc`,
        headers: ({ op }) => ({
          ...(connection.token ? { authorization: `Bearer ${connection.token}` } : {}),
          ...(carriesIdempotencyKey(op) ? { [IDEMPOTENCY_HEADER]: idempotencyKey } : {}),
        }),
      }),
    ],
  });
}

export type ControllerClient = ReturnType<typeof createClient>;
