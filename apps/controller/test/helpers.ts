import { NetloomError, parseDocument } from "@netloom/model";
import { TRPCError } from "@trpc/server";
import { afterEach } from "vitest";
import { readSharedExample } from "../../../test-support/shared";
import type { Principal } from "../src/auth/principal";
import {
  type AppCaller,
  createServer,
  type NetloomServer,
  type ServerOptions,
} from "../src/server";

/** The backends every store test runs on. PostgreSQL needs NETLOOM_TEST_DATABASE_URL. */
export const BACKENDS: { name: string; databaseUrl: string | undefined; skip: string | false }[] = [
  { name: "pglite", databaseUrl: undefined, skip: false },
  {
    name: "postgresql",
    databaseUrl: process.env.NETLOOM_TEST_DATABASE_URL,
    skip: process.env.NETLOOM_TEST_DATABASE_URL
      ? false
      : "NETLOOM_TEST_DATABASE_URL is not set: PostgreSQL variant skipped",
  },
];

let databaseCounter = 0;

/**
 * A new, empty PostgreSQL database on the server of `url`, answered as its URL. Each fresh
 * server gets its own, so test files running in parallel never share tables.
 */
async function createTestDatabase(url: string): Promise<string> {
  const pg = (await import("pg")).default;
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  databaseCounter += 1;
  const name = `netloom_t_${process.pid}_${databaseCounter}_${Date.now().toString(36)}`;
  try {
    await client.query(`CREATE DATABASE ${name}`);
  } finally {
    await client.end();
  }
  const fresh = new URL(url);
  fresh.pathname = `/${name}`;
  return fresh.toString();
}

/** Drops a database `createTestDatabase` made (the machine may be shared: leave nothing behind). */
async function dropTestDatabase(serverUrl: string, databaseUrl: string): Promise<void> {
  const pg = (await import("pg")).default;
  const client = new pg.Client({ connectionString: serverUrl });
  await client.connect();
  try {
    const name = new URL(databaseUrl).pathname.slice(1);
    await client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  } finally {
    await client.end();
  }
}

/** Cleanups a test registers as it goes, run last first after each test (failures logged). */
export function cleanupsAfterEach(): (() => Promise<void>)[] {
  const cleanups: (() => Promise<void>)[] = [];
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) {
      await cleanup().catch((error: unknown) => console.error("cleanup failed", error));
    }
  });
  return cleanups;
}

/** A fresh PostgreSQL database on the server of `serverUrl`, dropped by a cleanup it registers. */
export async function freshDatabase(
  serverUrl: string,
  cleanups: (() => Promise<void>)[],
): Promise<string> {
  const url = await createTestDatabase(serverUrl);
  cleanups.push(() => dropTestDatabase(serverUrl, url));
  return url;
}

/**
 * `count` controllers (without distribution) sharing one fresh PostgreSQL database, started one
 * after the other (the first makes the schema and the bootstrap admin); `close` closes them
 * and drops the database.
 */
export async function controllersSharingDatabase(
  serverUrl: string,
  count: number,
): Promise<{ servers: NetloomServer[]; url: string; close(): Promise<void> }> {
  const url = await createTestDatabase(serverUrl);
  const servers: NetloomServer[] = [];
  const close = async () => {
    for (const server of servers) await server.close();
    await dropTestDatabase(serverUrl, url);
  };
  try {
    for (let i = 0; i < count; i++) {
      servers.push(
        await createServer({
          dataDir: "memory://",
          databaseUrl: url,
          bootstrapToken: "test-admin-token",
          logger: false,
          distribution: false,
        }),
      );
    }
  } catch (error) {
    await close();
    throw error;
  }
  return { servers, url, close };
}

/** A fresh in-process controller with an empty store; closing it drops its test database. */
export async function freshServer(
  databaseUrl?: string,
  options: { distribution?: boolean; logger?: ServerOptions["logger"] } = {},
): Promise<NetloomServer> {
  const testDatabase = databaseUrl ? await createTestDatabase(databaseUrl) : undefined;
  const server = await createServer({
    dataDir: "memory://",
    databaseUrl: testDatabase ?? "",
    bootstrapToken: "test-admin-token",
    logger: options.logger ?? false,
    distribution: options.distribution ?? false,
  });
  if (!databaseUrl || !testDatabase) return server;
  const closeServer = server.close.bind(server);
  return Object.assign(server, {
    async close() {
      await closeServer();
      await dropTestDatabase(databaseUrl, testDatabase);
    },
  });
}

/** Signs a user in by a fresh API token and answers its principal and caller. */
export async function userCaller(
  server: NetloomServer,
  email: string,
  role: {
    global?: "cloud_admin" | "cloud_viewer";
    tenant?: string;
    tenantRole?: "tenant_admin" | "tenant_viewer";
  },
): Promise<{ caller: AppCaller; principal: Principal; token: string }> {
  const { auth, store } = server.services;
  const user = await auth.createUser({
    email,
    displayName: email,
    password: "correct horse battery",
    globalRole: role.global ?? "none",
  });
  if (role.tenant && role.tenantRole) {
    const tenant = store.tenant(role.tenant);
    if (!tenant) throw new Error(`no tenant ${role.tenant}`);
    await auth.grant(email, tenant.id, role.tenantRole);
  }
  const { token } = await auth.createToken(user.id, "test");
  const principal = await auth.authenticate({ token });
  if (!principal) throw new Error("token did not authenticate");
  return { caller: server.caller(principal), principal, token };
}

export async function adminCaller(server: NetloomServer): Promise<AppCaller> {
  const principal = await server.services.auth.authenticate({ token: "test-admin-token" });
  if (!principal) throw new Error("bootstrap token did not authenticate");
  return server.caller(principal);
}

/** The domain error code behind a failed call (as clients read it from error.data.netloom). */
export async function codeOf(
  promise: Promise<unknown>,
): Promise<{ code: string; problems: { path: string; message: string }[] }> {
  try {
    await promise;
  } catch (error) {
    const cause = error instanceof TRPCError ? error.cause : error;
    if (cause instanceof NetloomError) return { code: cause.code, problems: [...cause.problems] };
    if (error instanceof TRPCError) return { code: `trpc:${error.code}`, problems: [] };
    throw error;
  }
  return { code: "OK", problems: [] };
}

/** An example of ../shared/examples (beside the clone, see decision 0001), decoded. */
export function example(name: string): unknown {
  return parseDocument(readSharedExample(name));
}
