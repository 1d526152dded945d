/**
 * `npm run soak` (not in CI): SOAK_TENANTS tenants (default 6) edit their intents for
 * SOAK_MINUTES (default 2) through three controllers (child processes) on a private PostgreSQL
 * (initdb in a temp dir, its own port, run as user postgres), with memory agents that list all
 * three controllers. A third of the way in one controller is killed (SIGKILL); halfway
 * PostgreSQL is restarted. Prints one JSON line: requests, 5xx (and those outside the restart
 * window), p99, lost acknowledged writes, convergence lag after the churn stops, heap growth of
 * the surviving controllers (heap in use after a full collection, from a tenth of the run in,
 * once warm, to the end; SOAK_HEAP_SNAPSHOTS=dir also writes heap snapshots at both points).
 */
import { type ChildProcess, execFileSync } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Agent, startAgent } from "@netloom/agent";
import type { AppRouter } from "@netloom/controller";
import { createMemoryDriver } from "@netloom/dataplane";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";
import { forkController } from "./fork-controller";

const MINUTES = Number(process.env.SOAK_MINUTES ?? 2);
const TENANTS = Number(process.env.SOAK_TENANTS ?? 6);
const NODES = 3;
const TOKEN = "nlt_bench-admin";

async function freePort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

/** A private PostgreSQL: never the shared cluster, which must not be restarted. */
async function privatePostgres() {
  const dir = mkdtempSync(path.join(tmpdir(), "distrib-soak-pg-"));
  chmodSync(dir, 0o777);
  const data = path.join(dir, "data");
  const port = await freePort();
  const asPostgres = (args: string[]) =>
    execFileSync("runuser", ["-u", "postgres", "--", ...args], { stdio: "ignore" });
  asPostgres(["initdb", "-D", data, "-U", "netloom", "--auth=trust"]);
  const pgctl = (action: string) =>
    asPostgres([
      "pg_ctl",
      "-D",
      data,
      "-l",
      path.join(dir, "log"),
      "-o",
      `-p ${port} -k ${dir}`,
      "-w",
      action,
    ]);
  pgctl("start");
  return {
    url: `postgresql://netloom@127.0.0.1:${port}/postgres`,
    restart: () => pgctl("restart"),
    stop() {
      pgctl("stop");
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A controller process; --expose-gc: the heap is measured after a full collection (`heapBytes`). */
function controller(databaseUrl: string): Promise<{ url: string; child: ChildProcess }> {
  return forkController(databaseUrl, ["--expose-gc"]);
}

function client(url: string) {
  return createTRPCClient<AppRouter>({
    links: [httpLink({ url: `${url}/trpc`, headers: { authorization: `Bearer ${TOKEN}` } })],
  });
}

function intent(tenant: string, version: number) {
  return {
    apiVersion: "netloom/v1",
    tenant,
    networks: [
      { name: "web", subnets: [{ cidr: "10.1.0.0/24" }] },
      { name: "app", subnets: [{ cidr: "10.2.0.0/24" }] },
    ],
    workloads: [
      { name: "w1", node: "node-1", interfaces: [{ network: "web", securityGroups: ["sg"] }] },
      { name: "w2", node: "node-2", interfaces: [{ network: "app" }] },
    ],
    securityGroups: [
      {
        name: "sg",
        rules: [
          { direction: "ingress", protocol: "tcp", ports: 1000 + version, remote: "0.0.0.0/0" },
        ],
      },
    ],
  };
}

let askId = 0;

/** Asks a controller child over IPC; null when it does not answer (dead) within 30 s. */
function askChild<T>(child: ChildProcess, command: Record<string, unknown>): Promise<T | null> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(null);
  askId += 1;
  const id = askId;
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      child.off("message", onMessage);
      resolve(null);
    }, 30_000);
    const onMessage = (message: { id?: number } & T) => {
      if (message.id !== id) return;
      clearTimeout(timer);
      child.off("message", onMessage);
      resolve(message);
    };
    child.on("message", onMessage);
    child.send({ ...command, id });
  });
}

/**
 * The controller's heap in use right after a full collection: what it retains. (Heap used
 * without a collection swings by tens of percent with the collector's timing.)
 */
async function heapBytes(child: ChildProcess): Promise<number | null> {
  const answer = await askChild<{ heapUsed: number }>(child, { cmd: "heap" });
  return answer?.heapUsed ?? null;
}

/** With SOAK_HEAP_SNAPSHOTS=dir, heap snapshots of each controller (`label`-N.heapsnapshot). */
async function snapshots(children: ChildProcess[], label: string): Promise<void> {
  const dir = process.env.SOAK_HEAP_SNAPSHOTS;
  if (!dir) return;
  for (const [index, child] of children.entries()) {
    await askChild(child, {
      cmd: "snapshot",
      path: path.join(dir, `${label}-${index + 1}.heapsnapshot`),
    });
  }
}

async function main(): Promise<void> {
  const database = await privatePostgres();
  const controllers = [await controller(database.url)];
  controllers.push(await controller(database.url), await controller(database.url));
  const urls = controllers.map((c) => c.url);
  const admin = client(urls[0] ?? "");
  await admin.fabric.applyFile.mutate({
    document: {
      apiVersion: "netloom/v1",
      kind: "Fabric",
      nodes: Array.from({ length: NODES }, (_, i) => ({
        name: `node-${i + 1}`,
        underlay: `198.18.0.${i + 11}`,
      })),
    },
  });
  const agents: Agent[] = [];
  for (let i = 0; i < NODES; i++) {
    const node = `node-${i + 1}`;
    const { token } = await admin.fabric.issueNodeToken.mutate({ node });
    agents.push(startAgent({ controller: urls, node, token, driver: createMemoryDriver() }));
  }
  const started = Date.now();
  const end = started + MINUTES * 60_000;
  // The heap is first measured once warm: every tenant written, every cache and compile made,
  // the code optimized (a tenth of the run, at most a minute in).
  const warmAt = started + Math.min(60_000, (end - started) / 10);
  const heapBefore: (number | null)[] = [];
  // And again once the chaos is over (a tenth of the run after the restart): the first errors
  // after the restart make Node parse the source maps of every module their stacks cross, once
  // (tsx runs with source maps), a few MB that stay. Growth from here on is steady state.
  const settledAt = started + 0.6 * (end - started);
  const heapSettled: (number | null)[] = [];
  const warm = (async () => {
    await new Promise((resolve) => setTimeout(resolve, warmAt - Date.now()));
    heapBefore.push(...(await Promise.all(controllers.map((c) => heapBytes(c.child)))));
    await snapshots(
      controllers.map((c) => c.child),
      "warm",
    );
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, settledAt - Date.now())));
    heapSettled.push(...(await Promise.all(controllers.map((c) => heapBytes(c.child)))));
  })();
  const killAt = started + (end - started) / 3;
  const restartAt = started + (end - started) / 2;
  let restartWindow: { from: number; to: number } | undefined;
  const latencies: number[] = [];
  let requests = 0;
  let fiveXx = 0;
  let fiveXxOutside = 0;
  let failed = 0;
  const acked = new Map<string, number>();
  const dead = new Set<number>();

  const writer = async (t: number) => {
    const tenant = `soak-${t}`;
    let version = 0;
    let turn = t;
    while (Date.now() < end) {
      turn += 1;
      const index = turn % urls.length;
      if (dead.has(index)) continue;
      version += 1;
      const at = Date.now();
      requests += 1;
      try {
        await client(urls[index] ?? "").intent.applyFile.mutate({
          document: intent(tenant, version),
        });
        acked.set(tenant, version);
        latencies.push(Date.now() - at);
      } catch (error) {
        failed += 1;
        const status =
          error instanceof TRPCClientError
            ? (error.data as { httpStatus?: number } | undefined)?.httpStatus
            : undefined;
        if (status !== undefined && status >= 500) {
          fiveXx += 1;
          const inRestart =
            restartWindow && at >= restartWindow.from - 1000 && at <= restartWindow.to + 5000;
          if (!inRestart) fiveXxOutside += 1;
        }
      }
    }
  };
  const chaos = (async () => {
    await new Promise((resolve) => setTimeout(resolve, killAt - Date.now()));
    dead.add(1);
    controllers[1]?.child.kill("SIGKILL");
    process.stderr.write("soak: controller 2 killed\n");
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, restartAt - Date.now())));
    const from = Date.now();
    restartWindow = { from, to: from };
    database.restart();
    restartWindow = { from, to: Date.now() };
    process.stderr.write(`soak: PostgreSQL restarted in ${restartWindow.to - from} ms\n`);
  })();
  await Promise.all([...Array.from({ length: TENANTS }, (_, t) => writer(t)), chaos, warm]);

  const live = urls.filter((_, index) => !dead.has(index));
  const reader = client(live[0] ?? "");
  const churnStopped = Date.now();
  let lagMs: number | null = null;
  while (Date.now() - churnStopped < 60_000) {
    const status = await reader.fabric.status.query();
    if (status.converged) {
      lagMs = Date.now() - churnStopped;
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // Lost acknowledged writes: every live controller, once settled, holds a version older than
  // the last acknowledged one (a controller merely behind on the others' writes is not a loss).
  let lost = 0;
  for (const [tenant, version] of acked) {
    let newest = 0;
    for (const url of live) {
      const exported = await client(url).intent.export.query({ tenant });
      const port = exported.document.securityGroups?.[0]?.rules[0]?.ports;
      if (typeof port === "number") newest = Math.max(newest, port - 1000);
    }
    if (newest < version) lost += 1;
  }
  const heapAfter = await Promise.all(controllers.map((c) => heapBytes(c.child)));
  await snapshots(
    controllers.filter((_, index) => !dead.has(index)).map((c) => c.child),
    "end",
  );
  const growthFrom = (from: (number | null)[]) =>
    urls
      .map((_, i) => {
        const before = from[i];
        const after = heapAfter[i];
        return before && after && !dead.has(i) ? (after - before) / before : null;
      })
      .filter((value): value is number => value !== null);
  const growth = growthFrom(heapBefore);
  const settledGrowth = growthFrom(heapSettled);
  latencies.sort((a, b) => a - b);
  const p99 =
    latencies[Math.min(latencies.length - 1, Math.ceil(latencies.length * 0.99) - 1)] ?? null;
  process.stdout.write(
    `${JSON.stringify({
      minutes: MINUTES,
      tenants: TENANTS,
      requests,
      failed,
      "5xx": fiveXx,
      "5xx_outside_restart": fiveXxOutside,
      p99_ms: p99,
      lost_acknowledged_writes: lost,
      convergence_lag_ms: lagMs,
      heap_growth_pct: growth.length > 0 ? Math.round(Math.max(...growth) * 1000) / 10 : null,
      heap_growth_after_restart_pct:
        settledGrowth.length > 0 ? Math.round(Math.max(...settledGrowth) * 1000) / 10 : null,
      // Per controller: warm, after the restart, at the end (null: the killed one).
      heap_mb: controllers.map((_, i) =>
        dead.has(i)
          ? null
          : [heapBefore[i], heapSettled[i], heapAfter[i]].map((bytes) =>
              bytes ? Math.round(bytes / 1e5) / 10 : null,
            ),
      ),
    })}\n`,
  );
  await Promise.all(agents.map((agent) => agent.stop()));
  for (const [index, c] of controllers.entries()) {
    if (dead.has(index)) continue;
    c.child.kill("SIGTERM");
    await new Promise((resolve) => c.child.once("exit", resolve));
  }
  database.stop();
}

await main();
process.exit(0);
