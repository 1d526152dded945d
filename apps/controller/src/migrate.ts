import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { NetloomError } from "@netloom/model";

/** The minimal SQL surface the migrator and the hot read paths need, for PGlite and pg alike. */
export interface SqlRunner {
  query<T>(text: string, params?: unknown[]): Promise<T[]>;
  /** Runs a script of several statements (no parameters). */
  exec(text: string): Promise<void>;
  transaction<T>(run: (tx: SqlRunner) => Promise<T>): Promise<T>;
}

/** prisma/migrations at the repository root, next to schema.prisma. */
export const MIGRATIONS_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  "../../../prisma/migrations",
);

/** Migration folders in the order Prisma named them (timestamp prefix). */
export function listMigrations(dir = MIGRATIONS_DIR): { name: string; sql: string }[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => entry.name)
    .sort()
    .map((name) => ({ name, sql: readFileSync(path.join(dir, name, "migration.sql"), "utf8") }));
}

/** SHA-256 of a migration's SQL, line endings normalized (a checkout on Windows is no edit). */
export function migrationChecksum(sql: string): string {
  return createHash("sha256").update(sql.replace(/\r\n/g, "\n")).digest("hex");
}

/**
 * Applies every migration not yet recorded in `_netloom_migrations`, in name order, all of them
 * in one transaction: either every pending migration lands or none does. `prisma migrate
 * deploy` cannot run through a driver adapter here, so this is how prisma/migrations reaches
 * both PGlite and PostgreSQL. With `lock`, an advisory lock keeps two controllers starting at
 * once from applying the same migration twice.
 *
 * Each applied migration's checksum is kept; a migration edited after it was applied is
 * refused (PRECONDITION_FAILED naming it) rather than silently diverging from the database:
 * change the schema with a new migration instead. Rows recorded before checksums existed take
 * the checksum of the file as it is now.
 */
export async function migrate(
  sql: SqlRunner,
  options: { lock: boolean; dir?: string },
): Promise<string[]> {
  const applied: string[] = [];
  await sql.exec(
    `CREATE TABLE IF NOT EXISTS "_netloom_migrations" (
       name TEXT PRIMARY KEY,
       applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
     );
     ALTER TABLE "_netloom_migrations" ADD COLUMN IF NOT EXISTS checksum TEXT`,
  );
  await sql.transaction(async (tx) => {
    if (options.lock) await tx.query("SELECT pg_advisory_xact_lock(7070)");
    const done = new Map(
      (
        await tx.query<{ name: string; checksum: string | null }>(
          `SELECT name, checksum FROM "_netloom_migrations"`,
        )
      ).map((row) => [row.name, row.checksum]),
    );
    const edited: string[] = [];
    for (const migration of listMigrations(options.dir)) {
      const checksum = migrationChecksum(migration.sql);
      if (done.has(migration.name)) {
        const recorded = done.get(migration.name);
        if (recorded === null || recorded === undefined) {
          await tx.query(`UPDATE "_netloom_migrations" SET checksum = $2 WHERE name = $1`, [
            migration.name,
            checksum,
          ]);
        } else if (recorded !== checksum) {
          edited.push(migration.name);
        }
        continue;
      }
      if (edited.length > 0) break;
      await tx.exec(migration.sql);
      await tx.query(`INSERT INTO "_netloom_migrations" (name, checksum) VALUES ($1, $2)`, [
        migration.name,
        checksum,
      ]);
      applied.push(migration.name);
    }
    if (edited.length > 0) {
      throw new NetloomError(
        "PRECONDITION_FAILED",
        `migration ${edited.join(", ")} was edited after it was applied; add a new migration instead`,
        edited.map((name) => ({
          path: `migrations.${name}`,
          message: "the file's checksum differs from the one recorded when it was applied",
        })),
      );
    }
  });
  return applied;
}
