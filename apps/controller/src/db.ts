import { mkdirSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { PrismaPg } from "@prisma/adapter-pg";
import pg from "pg";
import { PrismaPGlite } from "pglite-prisma-adapter";
import { PrismaClient } from "./generated/prisma/client";
import { migrate, type SqlRunner } from "./migrate";

type PrismaAdapter = NonNullable<ConstructorParameters<typeof PrismaClient>[0]>["adapter"];

/** Where the store lives: PostgreSQL when `databaseUrl` is given, else PGlite under `dataDir`. */
export interface DbOptions {
  databaseUrl?: string | undefined;
  /** PGlite data directory; `memory://` keeps it in memory (tests). */
  dataDir?: string | undefined;
}

/** An open store: Prisma for everything, plus the raw SQL runner the migrator and hot reads use. */
export interface Db {
  prisma: PrismaClient;
  backend: "pglite" | "postgres";
  /** Runs parameterised SQL outside Prisma (hot read paths, migrations). */
  sql: SqlRunner;
  close(): Promise<void>;
}

/** Opens the store and brings its schema up to date with prisma/migrations. */
export async function openDb(options: DbOptions): Promise<Db> {
  if (options.databaseUrl) {
    const pool = new pg.Pool({ connectionString: options.databaseUrl, max: 20 });
    const sql: SqlRunner = {
      async query<T>(text: string, params: unknown[] = []) {
        const result = await pool.query(text, params);
        return result.rows as T[];
      },
      async exec(text: string) {
        await pool.query(text);
      },
      async transaction<T>(run: (tx: SqlRunner) => Promise<T>): Promise<T> {
        const client = await pool.connect();
        try {
          await client.query("BEGIN");
          const tx: SqlRunner = {
            async query<R>(text: string, params: unknown[] = []) {
              return (await client.query(text, params)).rows as R[];
            },
            async exec(text: string) {
              await client.query(text);
            },
            transaction: () => Promise.reject(new Error("nested transaction")),
          };
          const value = await run(tx);
          await client.query("COMMIT");
          return value;
        } catch (error) {
          await client.query("ROLLBACK").catch(() => undefined);
          throw error;
        } finally {
          client.release();
        }
      },
    };
    await migrate(sql, { lock: true });
    const prisma = new PrismaClient({ adapter: new PrismaPg(pool) });
    return {
      prisma,
      backend: "postgres",
      sql,
      async close() {
        await prisma.$disconnect();
        await pool.end().catch(() => undefined);
      },
    };
  }
  const dataDir = options.dataDir ?? path.join(".netloom", "db");
  if (!dataDir.startsWith("memory://")) mkdirSync(dataDir, { recursive: true });
  const lite = new PGlite(dataDir);
  await lite.waitReady;
  const sql: SqlRunner = {
    async query<T>(text: string, params: unknown[] = []) {
      return (await lite.query(text, params)).rows as T[];
    },
    async exec(text: string) {
      await lite.exec(text);
    },
    async transaction<T>(run: (tx: SqlRunner) => Promise<T>): Promise<T> {
      return lite.transaction(async (t) => {
        const tx: SqlRunner = {
          async query<R>(text: string, params: unknown[] = []) {
            return (await t.query(text, params)).rows as R[];
          },
          async exec(text: string) {
            await t.exec(text);
          },
          transaction: () => Promise.reject(new Error("nested transaction")),
        };
        return run(tx);
      });
    },
  };
  await migrate(sql, { lock: false });
  // pglite-prisma-adapter bundles its own copy of the adapter interface types.
  const adapter = new PrismaPGlite(lite) as unknown as PrismaAdapter;
  const prisma = new PrismaClient({ adapter });
  return {
    prisma,
    backend: "pglite",
    sql,
    async close() {
      await prisma.$disconnect();
      await lite.close().catch(() => undefined);
    },
  };
}
