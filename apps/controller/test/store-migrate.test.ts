import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { afterEach, describe, expect, it } from "vitest";
import { migrate, migrationChecksum, type SqlRunner } from "../src/migrate";
import { codeOf } from "./helpers";

/** A SqlRunner over an in-memory PGlite, as db.ts builds it. */
function runnerOf(lite: PGlite): SqlRunner {
  const runner: SqlRunner = {
    async query<T>(text: string, params: unknown[] = []) {
      return (await lite.query(text, params)).rows as T[];
    },
    async exec(text: string) {
      await lite.exec(text);
    },
    transaction<T>(run: (tx: SqlRunner) => Promise<T>): Promise<T> {
      return lite.transaction(async (t) =>
        run({
          async query<R>(text: string, params: unknown[] = []) {
            return (await t.query(text, params)).rows as R[];
          },
          async exec(text: string) {
            await t.exec(text);
          },
          transaction: () => Promise.reject(new Error("nested transaction")),
        }),
      );
    },
  };
  return runner;
}

describe("migrator", () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  function migrationsDir(files: Record<string, string>): string {
    const dir = mkdtempSync(path.join(tmpdir(), "store-migrations-"));
    dirs.push(dir);
    for (const [name, sql] of Object.entries(files)) {
      mkdirSync(path.join(dir, name), { recursive: true });
      writeFileSync(path.join(dir, name, "migration.sql"), sql);
    }
    return dir;
  }

  it("records a checksum per migration and refuses one edited after it was applied", async () => {
    const lite = new PGlite("memory://");
    const sql = runnerOf(lite);
    const dir = migrationsDir({ "001_a": "CREATE TABLE a (x int);" });
    expect(await migrate(sql, { lock: false, dir })).toEqual(["001_a"]);
    const rows = await sql.query<{ name: string; checksum: string }>(
      `SELECT name, checksum FROM "_netloom_migrations"`,
    );
    expect(rows).toEqual([
      { name: "001_a", checksum: migrationChecksum("CREATE TABLE a (x int);") },
    ]);
    // Unchanged: nothing to do, no complaint.
    expect(await migrate(sql, { lock: false, dir })).toEqual([]);

    // Edited in place, with a new migration after it: refused, and the new one not applied.
    writeFileSync(path.join(dir, "001_a", "migration.sql"), "CREATE TABLE a (x bigint);");
    mkdirSync(path.join(dir, "002_b"));
    writeFileSync(path.join(dir, "002_b", "migration.sql"), "CREATE TABLE b (y int);");
    const refused = await codeOf(migrate(sql, { lock: false, dir }));
    expect(refused.code).toBe("PRECONDITION_FAILED");
    expect(refused.problems[0]?.path).toBe("migrations.001_a");
    const tables = await sql.query<{ name: string }>(
      `SELECT tablename AS name FROM pg_tables WHERE tablename = 'b'`,
    );
    expect(tables).toEqual([]);
    await lite.close();
  });

  it("gives rows recorded before checksums existed the file's checksum, then guards them", async () => {
    const lite = new PGlite("memory://");
    const sql = runnerOf(lite);
    await sql.exec(`CREATE TABLE "_netloom_migrations" (
      name TEXT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now());
      CREATE TABLE a (x int);
      INSERT INTO "_netloom_migrations" (name) VALUES ('001_a');`);
    const dir = migrationsDir({ "001_a": "CREATE TABLE a (x int);\r\n" });
    expect(await migrate(sql, { lock: false, dir })).toEqual([]);
    const [row] = await sql.query<{ checksum: string }>(
      `SELECT checksum FROM "_netloom_migrations"`,
    );
    // Line endings do not count as an edit.
    expect(row?.checksum).toBe(migrationChecksum("CREATE TABLE a (x int);\n"));
    writeFileSync(path.join(dir, "001_a", "migration.sql"), "CREATE TABLE a (z int);");
    expect((await codeOf(migrate(sql, { lock: false, dir }))).code).toBe("PRECONDITION_FAILED");
    await lite.close();
  });
});
