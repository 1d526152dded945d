import { NetloomError } from "@netloom/model";

/** Thrown inside a transaction when the cache turned out older than the database: retry. */
export class StaleState extends Error {}

/** A short, growing, jittered wait between retries, so that racing writers spread out. */
export function pause(attempt: number): Promise<void> {
  // Exponential backoff with full jitter (up to 4, 8, 16 ... 256 ms): writers that keep
  // colliding on one tenant through several controllers spread out instead of colliding again,
  // so the bounded attempts run out only under sustained contention (about 0.5 s in all).
  const bound = Math.min(256, 2 ** (attempt + 1));
  return new Promise((resolve) => setTimeout(resolve, Math.random() * bound));
}

/** Prisma's unique-constraint violation (P2002), through the driver adapter too. */
export function isUniqueViolation(error: unknown): boolean {
  return hasCode(error, ["P2002", "23505"]);
}

export function isForeignKeyViolation(error: unknown): boolean {
  return hasCode(error, ["P2003", "23503"]);
}

export function hasCode(error: unknown, codes: string[]): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && current && typeof current === "object"; depth++) {
    const { code, originalCode, cause } = current as {
      code?: unknown;
      originalCode?: unknown;
      cause?: unknown;
    };
    if (typeof code === "string" && codes.includes(code)) return true;
    if (typeof originalCode === "string" && codes.includes(originalCode)) return true;
    current = cause;
  }
  return false;
}

/** NOT_FOUND for an object of a kind, the same text whether missing or foreign. */
export function notFound(kind: string, name: string, path: string): NetloomError {
  return new NetloomError("NOT_FOUND", `${kind} ${name} not found`, [
    { path, message: `${kind} ${name} not found` },
  ]);
}

/** CONFLICT for an update or delete made against an older revision. */
export function staleRevision(kind: string, name: string, current: number): NetloomError {
  return new NetloomError(
    "CONFLICT",
    `${kind} ${name} changed since it was read (now revision ${current})`,
    [{ path: "revision", message: `stale: the current revision is ${current}` }],
  );
}
