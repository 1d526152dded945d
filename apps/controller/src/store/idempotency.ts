import { createHash } from "node:crypto";
import { NetloomError } from "@netloom/model";
import type { SqlRunner } from "../migrate";
import type { ObjectChange } from "./types";

/**
 * `Idempotency-Key` on creates and applies. The key's row is written in the same transaction
 * as the change it answers for, so it exists exactly when the change committed: a client that
 * lost the answer (a dropped connection, a restarting database) retries with the same key and
 * gets the first answer back, and nothing is done twice. A request that failed left no row and
 * runs again. Keys live a day.
 */
export interface IdempotentRequest {
  /** Who asked and what: a key is only ever matched within its scope. */
  scope: string;
  key: string;
  /** Hash of the request; the same key with another request is refused. */
  requestHash: string;
}

/** What a keyed change committed, enough to answer its retries. */
export interface KeyedAnswer {
  tenantId: string;
  generation: number;
  fabricGeneration: number;
  changes: Pick<ObjectChange, "action" | "kind" | "name">[];
}

/** How long a key is honoured. */
export const IDEMPOTENCY_TTL_MS = 24 * 60 * 60 * 1000;
const MAX_KEY_LENGTH = 255;

/**
 * The keyed request of a call, or undefined without a key. INVALID (path `Idempotency-Key`)
 * for a key that is empty, too long or not printable ASCII.
 */
export function idempotentRequest(
  key: string | undefined,
  scope: string,
  input: unknown,
): IdempotentRequest | undefined {
  if (key === undefined) return undefined;
  if (key.length === 0 || key.length > MAX_KEY_LENGTH || !/^[\x21-\x7e]+$/.test(key)) {
    throw NetloomError.invalid([
      {
        path: "Idempotency-Key",
        message: `must be 1 to ${MAX_KEY_LENGTH} printable ASCII characters without spaces`,
      },
    ]);
  }
  const requestHash = createHash("sha256")
    .update(JSON.stringify(input) ?? "")
    .digest("hex");
  return { scope, key, requestHash };
}

/** The first answer of a keyed request that committed within the last day, if any. */
export async function findKeyedAnswer(
  sql: SqlRunner,
  request: IdempotentRequest,
): Promise<KeyedAnswer | undefined> {
  const rows = await sql.query<KeyedAnswer & { requestHash: string }>(
    `SELECT "requestHash", "tenantId", generation, "fabricGeneration", changes
       FROM "IdempotencyKey"
      WHERE scope = $1 AND key = $2 AND "createdAt" > now() - ($3::int * interval '1 millisecond')`,
    [request.scope, request.key, IDEMPOTENCY_TTL_MS],
  );
  const row = rows[0];
  if (!row) return undefined;
  if (row.requestHash !== request.requestHash) {
    throw new NetloomError(
      "CONFLICT",
      "this Idempotency-Key was used for a different request; use a new key",
      [{ path: "Idempotency-Key", message: "already used for a different request" }],
    );
  }
  return {
    tenantId: row.tenantId,
    generation: Number(row.generation),
    fabricGeneration: Number(row.fabricGeneration),
    changes: row.changes,
  };
}

/** A key's row, its cells as `keyRow` lists them. */
const INSERT_KEY = `INSERT INTO "IdempotencyKey"
  (scope, key, "requestHash", "tenantId", generation, "fabricGeneration", changes)
  VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)`;

/**
 * Records a keyed request inside the transaction of its change. False when the key was taken
 * meanwhile (the same request committed through another controller): the caller rolls back and
 * answers from the row instead. An expired row of the same key is replaced.
 */
export async function recordKeyedAnswer(
  tx: SqlRunner,
  request: IdempotentRequest,
  answer: KeyedAnswer,
): Promise<boolean> {
  const rows = await tx.query(
    `${INSERT_KEY}
     ON CONFLICT (scope, key) DO UPDATE SET
       "requestHash" = EXCLUDED."requestHash", "tenantId" = EXCLUDED."tenantId",
       generation = EXCLUDED.generation, "fabricGeneration" = EXCLUDED."fabricGeneration",
       changes = EXCLUDED.changes, "createdAt" = now()
     WHERE "IdempotencyKey"."createdAt" <= now() - ($8::int * interval '1 millisecond')
     RETURNING 1`,
    [...keyRow(request, answer), IDEMPOTENCY_TTL_MS],
  );
  return rows.length > 0;
}

/** Removes keys older than a day. */
export async function purgeExpiredKeys(sql: SqlRunner): Promise<void> {
  await sql.query(
    `DELETE FROM "IdempotencyKey" WHERE "createdAt" <= now() - ($1::int * interval '1 millisecond')`,
    [IDEMPOTENCY_TTL_MS],
  );
}

/** A key recorded with a tenant's creation (Prisma transaction; tenants.ts). */
export const RECORD_KEY_SQL = `${INSERT_KEY} ON CONFLICT (scope, key) DO NOTHING`;

/** The cells of a key's row, in RECORD_KEY_SQL's order. */
export function keyRow(request: IdempotentRequest, answer: KeyedAnswer): unknown[] {
  return [
    request.scope,
    request.key,
    request.requestHash,
    answer.tenantId,
    answer.generation,
    answer.fabricGeneration,
    // Only what a retry's answer shows (a change carries its specs too).
    JSON.stringify(answer.changes.map(({ action, kind, name }) => ({ action, kind, name }))),
  ];
}
