import { mkdirSync } from "node:fs";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { NetloomError } from "@netloom/model";
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
  /**
   * Told about every connection error (a restarting database, a dropped socket), which the
   * store survives; default: one JSON log line on stderr.
   */
  onConnectionError?: ((error: Error, context: string) => void) | undefined;
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
    const report = options.onConnectionError ?? logConnectionError;
    // An idle client that loses its connection is reported here; without a listener the
    // 'error' event would kill the process.
    pool.on("error", (error) => report(error, "idle pool client"));
    // A checked-out client emits 'error' too (besides failing its query): same reason.
    pool.on("connect", (client) => {
      client.on("error", (error) => report(error, "pool client in use"));
    });
    const sql: SqlRunner = {
      async query<T>(text: string, params: unknown[] = []) {
        try {
          const result = await pool.query(text, params);
          return result.rows as T[];
        } catch (error) {
          throw unavailableOr(error);
        }
      },
      async exec(text: string) {
        try {
          await pool.query(text);
        } catch (error) {
          throw unavailableOr(error);
        }
      },
      async transaction<T>(run: (tx: SqlRunner) => Promise<T>): Promise<T> {
        const client = await pool.connect().catch((error: unknown) => {
          throw unavailableOr(error);
        });
        let broken: Error | undefined;
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
          if (isConnectionError(error)) {
            broken = error instanceof Error ? error : new Error(String(error));
          } else {
            await client.query("ROLLBACK").catch((rollbackError: unknown) => {
              broken = rollbackError instanceof Error ? rollbackError : new Error("rollback");
            });
          }
          throw unavailableOr(error);
        } finally {
          // A client whose connection broke must leave the pool, not serve the next caller.
          client.release(broken);
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
        await pool.end().catch((error: unknown) => {
          report(error instanceof Error ? error : new Error(String(error)), "closing the pool");
        });
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

/** SQLSTATE classes and codes that mean "the database is away", not "the request is wrong". */
const CONNECTION_SQLSTATES = new Set(["57P01", "57P02", "57P03", "53300"]);
const CONNECTION_ERRNOS = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ETIMEDOUT",
  "ENOTFOUND",
]);
const CONNECTION_MESSAGES = [
  "Connection terminated",
  "connection terminated",
  "Client has encountered a connection error",
  "Connection refused",
  "the database system is starting up",
  "the database system is shutting down",
  "terminating connection due to administrator command",
  "Can't reach database server",
  "Server has closed the connection",
];

/**
 * Whether an error (or anything in its `cause` chain, as Prisma and the driver adapter wrap
 * them) says the database connection failed rather than the statement: such a request may be
 * retried once the database is back.
 */
export function isConnectionError(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current; depth++) {
    if (typeof current !== "object") return false;
    const { code, message, cause, originalCode } = current as {
      code?: unknown;
      message?: unknown;
      cause?: unknown;
      originalCode?: unknown;
    };
    for (const candidate of [code, originalCode]) {
      if (typeof candidate !== "string") continue;
      if (CONNECTION_SQLSTATES.has(candidate) || CONNECTION_ERRNOS.has(candidate)) return true;
      if (candidate.startsWith("08")) return true;
      // Prisma: cannot reach / closed connection / timed out.
      if (candidate === "P1001" || candidate === "P1017" || candidate === "P1002") return true;
    }
    if (typeof message === "string" && CONNECTION_MESSAGES.some((m) => message.includes(m))) {
      return true;
    }
    current = cause;
  }
  return false;
}

/** UNAVAILABLE (retryable) for a connection error; any other error as it is. */
export function unavailableOr(error: unknown): unknown {
  if (error instanceof NetloomError || !isConnectionError(error)) return error;
  const unavailable = new NetloomError(
    "UNAVAILABLE",
    "the database is not reachable; retry shortly",
  );
  unavailable.cause = error;
  return unavailable;
}

function logConnectionError(error: Error, context: string): void {
  logStoreError(error, context, "database connection error (the store carries on)");
}

/**
 * One pino-shaped JSON line on stderr for an error the store carries on after (a background
 * write, a dropped connection): the store opens before the server's logger exists.
 */
export function logStoreError(error: unknown, context: string, msg = "store error"): void {
  const err =
    error instanceof Error
      ? { message: error.message, code: (error as { code?: unknown }).code }
      : { message: String(error) };
  process.stderr.write(`${JSON.stringify({ level: 40, time: Date.now(), msg, context, err })}\n`);
}
