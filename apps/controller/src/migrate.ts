import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

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

/**
 * Applies every migration not yet recorded in `_netloom_migrations`, each in its own
 * transaction, in name order. `prisma migrate deploy` cannot run through a driver adapter here,
 * so this is how prisma/migrations reaches both PGlite and PostgreSQL. With `lock`, an advisory
 * lock keeps two controllers starting at once from applying the same migration twice.
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
     )`,
  );
  await sql.transaction(async (tx) => {
    if (options.lock) await tx.query("SELECT pg_advisory_xact_lock(7070)");
    const done = new Set(
      (await tx.query<{ name: string }>(`SELECT name FROM "_netloom_migrations"`)).map(
        (row) => row.name,
      ),
    );
    for (const migration of listMigrations(options.dir)) {
      if (done.has(migration.name)) continue;
      await tx.exec(migration.sql);
      await tx.query(`INSERT INTO "_netloom_migrations" (name) VALUES ($1)`, [migration.name]);
      applied.push(migration.name);
    }
  });
  return applied;
}
