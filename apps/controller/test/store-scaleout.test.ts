import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppCaller, NetloomServer } from "../src/server";
import { adminCaller, codeOf, controllersSharingDatabase, example } from "./helpers";

/**
 * Issue 8 §1: controllers on one PostgreSQL are stateless peers. Three controllers in this
 * process share one database; on each, writers and readers run at once while every controller
 * keeps re-reading the database (what the cross-controller watch makes it do). Every answer is
 * checked: writes succeed or get CONFLICT, reads never see a tenant vanish or go back in time.
 */
const baseUrl = process.env.NETLOOM_TEST_DATABASE_URL;

describe.skipIf(!baseUrl)("three controllers on one PostgreSQL", () => {
  let shared: Awaited<ReturnType<typeof controllersSharingDatabase>> | undefined;
  let servers: NetloomServer[] = [];
  const admins: AppCaller[] = [];

  beforeAll(async () => {
    shared = await controllersSharingDatabase(baseUrl ?? "", 3);
    servers = shared.servers;
    for (const server of servers) admins.push(await adminCaller(server));
  }, 60_000);

  afterAll(async () => {
    await shared?.close();
  });

  it("a writer overtaken on every optimistic attempt commits on its locked attempt", async () => {
    const [a, b] = admins;
    if (!a || !b || !shared) throw new Error("controllers expected");
    await a.fabric.applyFile({ document: example("fabric.yaml") });
    await a.intent.applyFile({
      document: {
        apiVersion: "netloom/v1",
        tenant: "raced",
        networks: [{ name: "lan", subnets: [{ cidr: "10.2.0.0/16" }] }],
      },
    });
    await servers[1]?.services.store.reload();
    // The adversary stands for faster writers on other controllers: it holds the tenant row,
    // waits until B's write is queued behind it, then commits a new generation first.
    const adversary = new pg.Client({ connectionString: shared.url });
    await adversary.connect();
    const overtaken: number[] = [];
    let done = false;
    let holding: () => void = () => undefined;
    const firstHold = new Promise<void>((resolve) => {
      holding = resolve;
    });
    const overtake = async () => {
      while (!done) {
        await adversary.query("BEGIN");
        const [row] = (
          await adversary.query<{ id: string; generation: number }>(
            `SELECT id, generation FROM "Tenant" WHERE name = 'raced' FOR UPDATE`,
          )
        ).rows;
        holding();
        let waiting = false;
        for (let poll = 0; poll < 400 && !done && !waiting; poll++) {
          const queued = await adversary.query(
            `SELECT 1 FROM pg_stat_activity WHERE datname = current_database()
               AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
          );
          waiting = (queued.rowCount ?? 0) > 0;
          if (!waiting) await new Promise((resolve) => setTimeout(resolve, 5));
        }
        if (!waiting || !row) {
          await adversary.query("ROLLBACK");
          continue;
        }
        await adversary.query(`UPDATE "Tenant" SET generation = generation + 1 WHERE id = $1`, [
          row.id,
        ]);
        await adversary.query("COMMIT");
        overtaken.push(row.generation + 1);
      }
    };
    const racing = overtake();
    // B starts once the row is held, so that even its first commit is overtaken.
    await firstHold;
    try {
      const written = await codeOf(
        b.workloads.create({
          tenant: "raced",
          spec: { name: "late", interfaces: [{ network: "lan" }] } as never,
        }),
      );
      done = true;
      await racing;
      expect(written.code).toBe("OK");
      // Overtaken at the commit of both optimistic attempts, and once more while the locked
      // attempt waited for the row; its plan then read the generation the adversary left.
      expect(overtaken.length).toBeGreaterThanOrEqual(3);
      const exported = await b.intent.export({ tenant: "raced" });
      expect(exported.generation).toBe((overtaken.at(-1) ?? 0) + 1);
      expect(exported.document.workloads?.map((workload) => workload.name)).toEqual(["late"]);
    } finally {
      done = true;
      // A failure above is the one to report; the adversary's own is logged beside it.
      await racing.catch((error: unknown) => console.error("adversary", error));
      await adversary.end();
    }
  });

  it("concurrent writers and readers on each controller get the answers one controller gives", async () => {
    const [a, b, c] = admins;
    if (!a || !b || !c) throw new Error("three controllers expected");
    await a.fabric.applyFile({ document: example("fabric.yaml") });
    const tenants = ["t0", "t1", "t2"];
    for (const tenant of tenants) {
      await a.intent.applyFile({
        document: {
          apiVersion: "netloom/v1",
          tenant,
          networks: [{ name: "lan", subnets: [{ cidr: "10.1.0.0/16" }] }],
        },
      });
    }
    // Controllers B and C learn of them as the watch would tell them.
    for (const server of servers) await server.services.store.reload();

    let stop = false;
    const failures: string[] = [];
    const acknowledged = new Map<string, Set<string>>(tenants.map((t) => [t, new Set()]));
    const counts = { writes: 0, conflicts: 0, reads: 0, reloads: 0 };

    const writer = async (caller: AppCaller, controller: number, index: number) => {
      for (let n = 0; n < 8; n++) {
        const tenant = tenants[(index + n) % tenants.length] ?? "t0";
        const name = `w-${controller}-${index}-${n}`;
        const result = await codeOf(
          caller.workloads.create({
            tenant,
            spec: { name, interfaces: [{ network: "lan" }] } as never,
          }),
        );
        if (result.code === "OK") {
          acknowledged.get(tenant)?.add(name);
          counts.writes++;
        } else if (result.code === "CONFLICT") counts.conflicts++;
        else failures.push(`create ${tenant}/${name} on ${controller}: ${result.code}`);
      }
    };
    const reader = async (caller: AppCaller, controller: number) => {
      const lastGeneration = new Map<string, number>();
      while (!stop) {
        const listed = await codeOf(
          caller.tenants.list().then((list) => {
            const names = new Set(list.map((t) => t.name));
            for (const t of tenants) {
              if (!names.has(t)) failures.push(`controller ${controller} listed no ${t}`);
            }
          }),
        );
        if (listed.code !== "OK") failures.push(`list on ${controller}: ${listed.code}`);
        for (const tenant of tenants) {
          const exported = await codeOf(
            caller.intent.export({ tenant }).then((answer) => {
              const last = lastGeneration.get(tenant) ?? 0;
              if (answer.generation < last) {
                failures.push(`${tenant} went back from ${last} to ${answer.generation}`);
              }
              lastGeneration.set(tenant, answer.generation);
            }),
          );
          counts.reads++;
          if (exported.code !== "OK")
            failures.push(`export ${tenant} on ${controller}: ${exported.code}`);
        }
        await new Promise((resolve) => setImmediate(resolve));
      }
    };
    const reloader = async (server: NetloomServer) => {
      while (!stop) {
        await server.services.store.reload();
        counts.reloads++;
      }
    };

    const readers = admins.map((caller, controller) => reader(caller, controller));
    const reloaders = servers.map((server) => reloader(server));
    const writers = admins.flatMap((caller, controller) =>
      [0, 1, 2].map((index) => writer(caller, controller, index)),
    );
    await Promise.all(writers);
    stop = true;
    await Promise.all([...readers, ...reloaders]);

    expect(failures).toEqual([]);
    expect(counts.reads).toBeGreaterThan(0);
    expect(counts.reloads).toBeGreaterThan(0);
    // Every create had its own name: there is no true conflict, so every one succeeds.
    expect(counts.conflicts).toBe(0);
    expect(counts.writes).toBe(3 * 3 * 8);

    // Every controller, caught up, answers the same document holding every acknowledged write,
    // each address once.
    for (const server of servers) await server.services.store.reload();
    for (const tenant of tenants) {
      const documents = await Promise.all(admins.map((caller) => caller.intent.export({ tenant })));
      const first = documents[0];
      for (const other of documents) expect(other).toEqual(first);
      const workloads = first?.document.workloads ?? [];
      expect(new Set(workloads.map((w) => w.name))).toEqual(acknowledged.get(tenant));
      const addresses = workloads.map((w) => w.interfaces[0]?.ip);
      expect(new Set(addresses).size).toBe(addresses.length);
    }
  }, 120_000);

  it("a tenant created on one controller is changed at once through another", async () => {
    const [a, b] = admins;
    if (!a || !b) throw new Error("controllers expected");
    await a.tenants.create({ name: "fresh" });
    // B has not heard of it: its change reads the tenant from the database.
    const applied = await b.intent.applyFile({
      document: {
        apiVersion: "netloom/v1",
        tenant: "fresh",
        networks: [{ name: "n", subnets: [{ cidr: "10.9.0.0/24" }] }],
      },
    });
    expect(applied.generation).toBe(1);
    // Creating it again through a third controller is a true conflict, not an internal error.
    const again = await codeOf((admins[2] ?? a).tenants.create({ name: "fresh" }));
    expect(again.code).toBe("CONFLICT");
  });
});
