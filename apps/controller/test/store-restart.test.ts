import { execFileSync } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer as createNetServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createServer, type NetloomServer } from "../src/server";
import { adminCaller, example } from "./helpers";

/**
 * Issue 8 §3: a database restart is a non-event. A private PostgreSQL (initdb in a temp dir,
 * its own port; never the shared cluster) is restarted in the middle of a stream of keyed
 * creates over HTTP.
 */
const PG_BIN = ["17", "16", "15"]
  .map((version) => `/usr/lib/postgresql/${version}/bin`)
  .concat("/usr/local/bin")
  .find((dir) => existsSync(path.join(dir, "pg_ctl")));
const isRoot = process.getuid?.() === 0;

/** Runs a PostgreSQL tool as the postgres user (initdb refuses root). */
function asPostgres(tool: string, args: string[]): string {
  const binary = path.join(PG_BIN ?? "", tool);
  return isRoot
    ? execFileSync("runuser", ["-u", "postgres", "--", binary, ...args], { encoding: "utf8" })
    : execFileSync(binary, args, { encoding: "utf8" });
}

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createNetServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const address = probe.address();
      const port = typeof address === "object" && address ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });
}

type Answer = { status: number; code: string; body: unknown };

describe.skipIf(!PG_BIN)("a PostgreSQL restart under a write stream", () => {
  let dir = "";
  let port = 0;
  let server: NetloomServer | undefined;
  let url = "";
  const pgCtl = (...args: string[]) =>
    asPostgres("pg_ctl", ["-D", path.join(dir, "data"), "-w", "-t", "60", ...args]);
  const start = () =>
    pgCtl(
      "-l",
      path.join(dir, "log"),
      "-o",
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      "start",
    );

  beforeAll(async () => {
    dir = mkdtempSync(path.join(tmpdir(), "store-pg-"));
    if (isRoot) chownSync(dir, Number(execFileSync("id", ["-u", "postgres"]).toString()), 0);
    port = await freePort();
    asPostgres("initdb", [
      "-D",
      path.join(dir, "data"),
      "-U",
      "postgres",
      "--auth=trust",
      "-E",
      "UTF8",
    ]);
    start();
    server = await createServer({
      dataDir: "memory://",
      databaseUrl: `postgresql://postgres@127.0.0.1:${port}/postgres`,
      bootstrapToken: "test-admin-token",
      logger: false,
      distribution: false,
    });
    url = await server.listen();
  }, 120_000);

  afterAll(async () => {
    await server?.close();
    try {
      pgCtl("-m", "immediate", "stop");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  const create = async (name: string, key: string): Promise<Answer> => {
    const response = await fetch(`${url}/trpc/workloads.create`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: "Bearer test-admin-token",
        "idempotency-key": key,
      },
      body: JSON.stringify({ tenant: "t", spec: { name, interfaces: [{ network: "lan" }] } }),
    });
    const body = (await response.json()) as {
      result?: { data?: unknown };
      error?: { data?: { netloom?: { code?: string } } };
    };
    return {
      status: response.status,
      code: response.ok ? "OK" : (body.error?.data?.netloom?.code ?? "?"),
      body: body.result?.data,
    };
  };

  it("keeps every acknowledged write, none that failed, lives on, and answers a keyed retry once", async () => {
    if (!server) throw new Error("no server");
    const admin = await adminCaller(server);
    await admin.fabric.applyFile({ document: example("fabric.yaml") });
    await admin.intent.applyFile({
      document: {
        apiVersion: "netloom/v1",
        tenant: "t",
        networks: [{ name: "lan", subnets: [{ cidr: "10.2.0.0/16" }] }],
      },
    });

    // A keyed create, then its retry: the first answer again, nothing created twice.
    const first = await create("keyed", "key-keyed");
    expect(first.code).toBe("OK");
    const generation = (await admin.intent.export({ tenant: "t" })).generation;
    const retried = await create("keyed", "key-keyed");
    expect(retried).toEqual(first);
    expect((await admin.intent.export({ tenant: "t" })).generation).toBe(generation);
    // Without the key the same create is a plain conflict; with the key for another request too.
    expect((await create("keyed", "key-other")).code).toBe("CONFLICT");
    expect((await create("keyed-2", "key-keyed")).code).toBe("CONFLICT");

    const acknowledged = new Set<string>(["keyed"]);
    const failed: { name: string; key: string }[] = [];
    const unexpected: string[] = [];
    let stop = false;
    let counter = 0;
    const writer = async () => {
      while (!stop) {
        const name = `w-${counter++}`;
        const key = `key-${name}`;
        const answer = await create(name, key).catch((error: unknown) => ({
          status: 0,
          code: `fetch failed: ${String(error)}`,
          body: undefined,
        }));
        if (answer.code === "OK") acknowledged.add(name);
        else if (answer.code === "UNAVAILABLE" && answer.status === 503) failed.push({ name, key });
        else unexpected.push(`${name}: ${answer.status} ${answer.code}`);
        if (answer.code !== "OK") await new Promise((resolve) => setTimeout(resolve, 50));
      }
    };
    const writers = [writer(), writer(), writer()];
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const beforeRestart = acknowledged.size;
    pgCtl("-m", "fast", "stop");
    await new Promise((resolve) => setTimeout(resolve, 1500));
    start();
    // New requests succeed once the database is back.
    const ackedAtStart = acknowledged.size;
    const deadline = Date.now() + 30_000;
    while (acknowledged.size < ackedAtStart + 10 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    stop = true;
    await Promise.all(writers);

    expect(unexpected).toEqual([]);
    expect(beforeRestart).toBeGreaterThan(1);
    expect(failed.length).toBeGreaterThan(0);
    expect(acknowledged.size).toBeGreaterThanOrEqual(ackedAtStart + 10);

    // The controller lived and its state is the database's: every acknowledged write is there,
    // no failed one is.
    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    await server.services.store.reload();
    const stored = new Set(
      ((await admin.intent.export({ tenant: "t" })).document.workloads ?? []).map((w) => w.name),
    );
    expect(stored).toEqual(acknowledged);

    // Retrying a failed create with its key now makes it, once.
    const again = failed[0];
    if (!again) throw new Error("a failed write expected");
    expect((await create(again.name, again.key)).code).toBe("OK");
    const replay = await create(again.name, again.key);
    expect(replay.code).toBe("OK");
    const names = ((await admin.intent.export({ tenant: "t" })).document.workloads ?? []).map(
      (w) => w.name,
    );
    expect(names.filter((name) => name === again.name)).toHaveLength(1);
  }, 180_000);
});
