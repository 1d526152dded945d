/**
 * `npm run soak` (not in CI): SOAK_TENANTS tenants (default 6) edit their intents for
 * SOAK_MINUTES (default 2) through three controllers (child processes) on a private PostgreSQL
 * (initdb in a temp dir, its own port, run as user postgres), with memory agents that list all
 * three controllers. A third of the way in one controller is killed (SIGKILL); halfway
 * PostgreSQL is restarted. Prints one JSON line: requests, 5xx (and those outside the restart
 * window), p99, lost acknowledged writes, convergence lag after the churn stops, heap growth of
 * the surviving controllers.
 */
import { type ChildProcess, execFileSync, fork } from "node:child_process";
import { chmodSync, mkdtempSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { type Agent, startAgent } from "@netloom/agent";
import type { AppRouter } from "@netloom/controller";
import { createMemoryDriver } from "@netloom/dataplane";
import { createTRPCClient, httpLink, TRPCClientError } from "@trpc/client";

const here = path.dirname(fileURLToPath(import.meta.url));
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

async function controller(databaseUrl: string): Promise<{ url: string; child: ChildProcess }> {
  const child = fork(path.join(here, "controller-child.ts"), [databaseUrl], {
    execArgv: ["--import", "tsx"],
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let text = "";
    child.stdout?.on("data", (data: Buffer) => {
      text += data.toString();
      const line = text.split("\n").find((candidate) => candidate.startsWith("{"));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once("exit", (code) => reject(new Error(`controller exited with ${code}`)));
  });
  return { url, child };
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

async function heapBytes(url: string): Promise<number | null> {
  try {
    const text = await (
      await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${TOKEN}` } })
    ).text();
    const line = text
      .split("\n")
      .find((l) => l.startsWith("netloom_process_nodejs_heap_size_used_bytes"));
    return line ? Number(line.split(" ")[1]) : null;
  } catch {
    return null;
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
  await new Promise((resolve) => setTimeout(resolve, 5000));
  const heapBefore = await Promise.all(urls.map(heapBytes));

  const started = Date.now();
  const end = started + MINUTES * 60_000;
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
  await Promise.all([...Array.from({ length: TENANTS }, (_, t) => writer(t)), chaos]);

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
  const heapAfter = await Promise.all(urls.map(heapBytes));
  const growth = urls
    .map((_, i) => {
      const before = heapBefore[i];
      const after = heapAfter[i];
      return before && after && !dead.has(i) ? (after - before) / before : null;
    })
    .filter((value): value is number => value !== null);
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
