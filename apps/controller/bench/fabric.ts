/**
 * Distribution benchmark (`npm run bench:fabric`). Prints one JSON line:
 * {"converge_p99_ms_100","converge_p99_ms_1000","broadcast_p99_ms_1000","resync_1000_ms",
 *  "converge_p99_ms_10000","broadcast_p99_ms_10000","converge_p99_ms_3ctl_1000",
 *  "converge_p99_ms_1ctl_1000_stubs","lab_up_100_ms","rule_apply_ms","nft_apply_ms"}
 *
 * - 10000 / 3ctl: ack-only stub agents (bench/stubs.ts) in BENCH_STUB_PROCS child processes
 *   (default 4), so the figures measure the controllers' fan-out. `converge_p99_ms_10000`: one
 *   controller (PGlite), 10,000 stubs; `broadcast_p99_ms_10000`: the same texts from a bare ws
 *   server to 10,000 bare clients in the same processes. `converge_p99_ms_3ctl_1000`: three
 *   controllers on one PostgreSQL (BENCH_DATABASE_URL, or NETLOOM_TEST_DATABASE_URL; a database
 *   `scale_bench_*` is made and dropped), 1,000 stubs spread over them, commits through the
 *   first; `converge_p99_ms_1ctl_1000_stubs` is the same with one controller, for the ratio.
 *
 * The controller (createServer, PGlite) runs in this process; the memory-driver agents run in a
 * child process, over loopback WebSockets, so the two sides use the machine's two cores.
 * - converge: a one-object change (the port of a security group rule used by a workload on every
 *   node) is committed 50 times; time from the commit (the store's `changed` event) to the last
 *   node's ack of its new hash. p99 over the 50.
 * - broadcast: a bare `ws` server sends the very message texts distribution sent for each of those
 *   changes to 1,000 bare clients (in the same child process) that parse and ack each; time to
 *   the last ack. The floor any distribution design pays for the bytes.
 * - resync: every agent connection is dropped at once; time until every agent has reconnected,
 *   received a full snapshot, reconciled and acked.
 * - Linux figures come from packages/dataplane/bench/linux.ts (root only).
 */
import { type ChildProcess, execFile, fork } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer as createHttpServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { startAgent } from "@netloom/agent";
import { createMemoryDriver } from "@netloom/dataplane";
import type { IntentFile } from "@netloom/model";
import WebSocket, { WebSocketServer } from "ws";
import { type Distribution, distributionFor } from "../src/distribution/index";
import { createServer } from "../src/server";
import { forkController } from "./fork-controller";
import { startStubFleet, wallNow } from "./stubs";

const here = fileURLToPath(import.meta.url);
const repoRoot = path.resolve(path.dirname(here), "../../..");
const CHANGES = Number(process.env.BENCH_CHANGES ?? 50);
const WARMUP = 5;
const BOOTSTRAP = "nlt_bench-admin";

type ChildCommand =
  | { cmd: "agents"; url: string; nodes: { node: string; token: string }[] }
  | { cmd: "bare"; url: string; count: number }
  | { cmd: "stop" };

// ------------------------------------------------------------------------------ child process

async function runChild(): Promise<void> {
  const agents: ReturnType<typeof startAgent>[] = [];
  const bare: WebSocket[] = [];
  process.on("message", async (message: ChildCommand) => {
    switch (message.cmd) {
      case "agents": {
        for (const { node, token } of message.nodes) {
          agents.push(
            startAgent({
              controller: message.url,
              node,
              token,
              driver: createMemoryDriver(),
              backoffMinMs: 100,
              backoffMaxMs: 1000,
            }),
          );
        }
        await Promise.all(
          agents.map((agent) => agent.waitFor((a) => a.applied !== undefined, 120_000)),
        );
        process.send?.({ ready: "agents" });
        break;
      }
      case "bare": {
        const opened: Promise<void>[] = [];
        for (let index = 0; index < message.count; index++) {
          const socket = new WebSocket(`${message.url}/?client=${index}`, {
            perMessageDeflate: false,
          });
          socket.on("message", (data) => {
            // What an agent minimally does with a message: parse it, answer an ack.
            const parsed = JSON.parse(data.toString()) as { generation: number; hash: string };
            socket.send(`{"type":"ack","generation":${parsed.generation},"hash":"${parsed.hash}"}`);
          });
          opened.push(new Promise((resolve) => socket.once("open", () => resolve())));
          bare.push(socket);
        }
        await Promise.all(opened);
        process.send?.({ ready: "bare" });
        break;
      }
      case "stop":
        for (const socket of bare) socket.terminate();
        await Promise.all(agents.map((agent) => agent.stop()));
        process.exit(0);
    }
  });
  process.send?.({ ready: "child" });
}

function startChild(): {
  child: ChildProcess;
  ask(command: ChildCommand, ready: string): Promise<void>;
} {
  const child = fork(here, ["--child"], {
    // One process stands for a thousand hosts: a larger young generation keeps its scavenges
    // (every agent parses every message) from pausing all of them at once. The bare clients of
    // the broadcast baseline run in this same process. BENCH_CHILD_FLAGS: extra node flags
    // (--cpu-prof, --trace-gc).
    execArgv: [
      "--import",
      "tsx",
      "--max-semi-space-size=64",
      ...(process.env.BENCH_CHILD_FLAGS?.split(" ").filter(Boolean) ?? []),
    ],
    stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const waiting = new Map<string, () => void>();
  child.on("message", (message: { ready?: string }) => {
    if (message.ready) waiting.get(message.ready)?.();
  });
  const childReady = new Promise<void>((resolve) => waiting.set("child", resolve));
  return {
    child,
    async ask(command, ready) {
      await childReady;
      const done = new Promise<void>((resolve) => waiting.set(ready, resolve));
      child.send(command);
      await done;
    },
  };
}

// ------------------------------------------------------------------------------ fabric

function nodeName(index: number): string {
  return `compute-${index + 1}`;
}

function underlayOf(index: number): string {
  const host = index + 10;
  return `198.18.${host >> 8}.${host & 255}`;
}

/** A seeded PRNG so every run builds the same fabric. */
function random(seed: number): () => number {
  let state = seed;
  return () => {
    state = (state * 1103515245 + 12345) & 0x7fffffff;
    return state / 0x7fffffff;
  };
}

/**
 * The benchmark tenant: one workload on every node, in N/10 networks, all in one security
 * group. Changing that group's rule changes every node's config: the worst case of a
 * one-object change.
 */
function benchTenant(nodes: number, port: number): IntentFile {
  const networks = Math.max(1, Math.floor(nodes / 10));
  return {
    apiVersion: "netloom/v1",
    tenant: "bench",
    networks: Array.from({ length: networks }, (_, n) => ({
      name: `net-${n}`,
      subnets: [{ cidr: `10.${100 + (n >> 4)}.${(n & 15) << 4}.0/20` }],
    })),
    workloads: Array.from({ length: nodes }, (_, i) => ({
      name: `vm-${i}`,
      node: nodeName(i),
      interfaces: [{ network: `net-${i % networks}`, securityGroups: ["bench-sg"] }],
    })),
    securityGroups: [
      {
        name: "bench-sg",
        rules: [
          { direction: "ingress", protocol: "tcp", ports: port, remote: "0.0.0.0/0" },
          { direction: "egress", protocol: "any", remote: "0.0.0.0/0" },
        ],
      },
    ],
  } as IntentFile;
}

/** Background tenants: two routed networks, ten workloads on random nodes each. */
function backgroundTenant(index: number, nodes: number, next: () => number): IntentFile {
  return {
    apiVersion: "netloom/v1",
    tenant: `bg-${index}`,
    networks: [
      { name: "front", subnets: [{ cidr: "10.1.0.0/24" }] },
      { name: "back", subnets: [{ cidr: "10.2.0.0/24" }] },
    ],
    workloads: Array.from({ length: 10 }, (_, w) => ({
      name: `w-${w}`,
      node: nodeName(Math.floor(next() * nodes)),
      interfaces: [{ network: w % 2 === 0 ? "front" : "back" }],
    })),
    routers: [{ name: "r", networks: ["front", "back"] }],
  } as IntentFile;
}

// ------------------------------------------------------------------------------ measuring

function median(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return Math.round((sorted[Math.floor(sorted.length / 2)] ?? 0) * 10) / 10;
}

function p99(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1);
  return Math.round((sorted[index] ?? 0) * 10) / 10;
}

/** Resolves once `predicate` holds (checked every 20 ms; two minutes at most). */
async function until(predicate: () => boolean): Promise<void> {
  const deadline = performance.now() + 120_000;
  while (!predicate()) {
    if (performance.now() > deadline) throw new Error("timed out");
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Records the time of each node's last ack, from now on. */
function recordAcks(distribution: Distribution) {
  const acks = new Map<string, { hash: string; at: number }>();
  const stop = distribution.hub.observe({
    acked(node, _generation, hash) {
      acks.set(node, { hash, at: performance.now() });
    },
  });
  return { acks, stop };
}

/**
 * Once the change is compiled, waits until every node acked its desired hash; answers the time
 * of the last of those acks (exact: recorded when each arrived, whatever the polling here).
 */
async function lastAck(
  distribution: Distribution,
  names: string[],
  acks: Map<string, { hash: string; at: number }>,
): Promise<number> {
  await distribution.settled();
  const deadline = performance.now() + 120_000;
  for (;;) {
    let last = 0;
    let missing = 0;
    for (const node of names) {
      const ack = acks.get(node);
      if (!ack || ack.hash !== distribution.hub.desiredOf(node)?.hash) missing += 1;
      else if (ack.at > last) last = ack.at;
    }
    if (missing === 0) return last;
    if (performance.now() > deadline) throw new Error(`${missing} nodes never acked`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/**
 * The controller both figures measure (createServer on PGlite, or on PostgreSQL at
 * `databaseUrl`), listening, with `nodeCount` nodes, background tenants, and the bench tenant
 * committed and compiled. `commit(port)` changes the bench tenant's rule; `close` stops it.
 */
async function startBenchController(
  nodeCount: number,
  options: { databaseUrl?: string | undefined; backgroundTenants: number },
) {
  const dataDir = mkdtempSync(path.join(tmpdir(), "netloom-bench-fabric-"));
  const server = await createServer({
    ...(options.databaseUrl ? { databaseUrl: options.databaseUrl } : { dataDir }),
    port: 0,
    host: "127.0.0.1",
    logger: false,
    bootstrapToken: BOOTSTRAP,
  });
  const url = await server.listen();
  const distribution = distributionFor(server.services.events);
  if (!distribution) throw new Error("distribution did not start");
  const store = server.services.store;
  const names = Array.from({ length: nodeCount }, (_, i) => nodeName(i));
  await store.applyFabric(
    names.map((name, i) => ({ name, underlay: underlayOf(i) })),
    { prune: false, mode: "upsert" },
  );
  const next = random(42);
  for (let t = 0; t < options.backgroundTenants; t++) {
    const intent = backgroundTenant(t, nodeCount, next);
    await store.change({
      tenant: intent.tenant,
      actor: "bench",
      createTenant: true,
      mutate: () => intent,
    });
  }
  const change = (intent: IntentFile) =>
    store.change({ tenant: "bench", actor: "bench", createTenant: true, mutate: () => intent });
  if (nodeCount > 2000) {
    // One workload per node in one tenant: beyond the default quotas, raised as an operator would.
    await change({ apiVersion: "netloom/v1", tenant: "bench" } as IntentFile);
    const state = store.tenant("bench");
    if (!state) throw new Error("bench tenant missing");
    await store.setQuotas(state, { networks: nodeCount, workloads: nodeCount }, "bench");
  }
  const commit = (port: number) => change(benchTenant(nodeCount, port));
  await commit(1000);
  await distribution.settled();
  return {
    server,
    url,
    distribution,
    names,
    commit,
    async close() {
      await server.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

interface ConvergeResult {
  p99: number;
  /** Per change, the message text distribution sent to each node. */
  sent: Map<string, string>[];
  resyncMs?: number;
  broadcastP99?: number;
}

async function benchFabric(
  nodeCount: number,
  options: { resync: boolean },
): Promise<ConvergeResult> {
  const { server, url, distribution, names, commit, close } = await startBenchController(
    nodeCount,
    { backgroundTenants: nodeCount / 10 },
  );
  const nodes: { node: string; token: string }[] = [];
  for (const node of names) nodes.push({ node, token: await distribution.issueNodeToken(node) });

  const { child, ask } = startChild();
  const connectStart = performance.now();
  const initial = recordAcks(distribution);
  await ask({ cmd: "agents", url, nodes }, "agents");
  await lastAck(distribution, names, initial.acks);
  initial.stop();
  process.stderr.write(
    `fabric ${nodeCount}: ${nodeCount} agents connected and converged in ${Math.round(performance.now() - connectStart)} ms\n`,
  );

  const samples: number[] = [];
  const sent: Map<string, string>[] = [];
  const phases = { load: [] as number[], compile: [] as number[], install: [] as number[] };
  let committedAt = 0;
  const offChanged = server.services.events.on("changed", () => {
    committedAt = performance.now();
  });
  // Warm-up changes (JIT, first-time paths) are not measured.
  for (let change = -WARMUP; change < CHANGES; change++) {
    const texts = new Map<string, string>();
    const stopObserving = distribution.hub.observe({ sent: (node, text) => texts.set(node, text) });
    const recorder = recordAcks(distribution);
    await commit(1001 + WARMUP + change);
    const last = await lastAck(distribution, names, recorder.acks);
    recorder.stop();
    stopObserving();
    if (change < 0) continue;
    samples.push(last - committedAt);
    sent.push(texts);
    const timings = distribution.feed.lastTimings;
    phases.load.push(timings.loadMs);
    phases.compile.push(timings.compileMs);
    phases.install.push(timings.installMs);
  }
  offChanged();
  const bytes = [...(sent[0]?.values() ?? [])].reduce((sum, text) => sum + text.length, 0);
  process.stderr.write(
    `fabric ${nodeCount}: converge median ${median(samples)} ms, p99 ${p99(samples)} ms; ${sent[0]?.size ?? 0} messages, ${bytes} bytes per change; slowest (change#: ms): ${samples
      .map((ms, index) => [index, ms] as const)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 5)
      .map(([index, ms]) => `${index}: ${Math.round(ms)}`)
      .join(", ")}\n`,
  );

  process.stderr.write(
    `fabric ${nodeCount}: medians per change: store load ${median(phases.load)} ms, compile ${median(phases.compile)} ms, diff+serialize+send ${median(phases.install)} ms\n`,
  );

  let resyncMs: number | undefined;
  if (options.resync) {
    const recorder = recordAcks(distribution);
    const start = performance.now();
    distribution.hub.dropAll();
    resyncMs = Math.round((await lastAck(distribution, names, recorder.acks)) - start);
    recorder.stop();
    process.stderr.write(
      `fabric ${nodeCount}: full resync of ${nodeCount} agents in ${resyncMs} ms\n`,
    );
  }

  const result: ConvergeResult = { p99: p99(samples), sent };
  if (resyncMs !== undefined) result.resyncMs = resyncMs;
  if (nodeCount === 1000) {
    result.broadcastP99 = await benchBroadcast(ask, names, sent);
  }
  child.send({ cmd: "stop" } satisfies ChildCommand);
  await new Promise((resolve) => child.once("exit", resolve));
  await close();
  return result;
}

/** The same texts, sent by a bare ws server to as many bare clients, each acking. */
async function benchBroadcast(
  ask: (command: ChildCommand, ready: string) => Promise<void>,
  names: string[],
  sent: Map<string, string>[],
): Promise<number> {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const clients: WebSocket[] = [];
  let acks = 0;
  let onAllAcked: (() => void) | undefined;
  server.on("connection", (socket, request) => {
    const index = Number(new URL(request.url ?? "/", "http://x").searchParams.get("client"));
    clients[index] = socket;
    socket.on("message", () => {
      acks += 1;
      if (acks === names.length) onAllAcked?.();
    });
  });
  const port = (server.address() as AddressInfo).port;
  await ask({ cmd: "bare", url: `ws://127.0.0.1:${port}`, count: names.length }, "bare");
  const samples: number[] = [];
  for (const texts of sent) {
    acks = 0;
    const done = new Promise<void>((resolve) => {
      onAllAcked = resolve;
    });
    const start = performance.now();
    names.forEach((node, index) => {
      const text = texts.get(node) ?? "";
      clients[index]?.send(text);
    });
    await done;
    samples.push(performance.now() - start);
  }
  const result = p99(samples);
  process.stderr.write(`broadcast 1000: p99 ${result} ms\n`);
  for (const client of server.clients) client.terminate();
  await new Promise((resolve) => server.close(resolve));
  return result;
}

/** Another controller process on `databaseUrl` (three-controller figure). */
function controllerChild(databaseUrl: string): Promise<{ url: string; child: ChildProcess }> {
  // BENCH_CONTROLLER_FLAGS: extra node flags for the other controllers (--cpu-prof).
  return forkController(
    databaseUrl,
    process.env.BENCH_CONTROLLER_FLAGS?.split(" ").filter(Boolean) ?? [],
  );
}

/**
 * Converge p99 with ack-only stub agents: `nodeCount` stubs over `controllers` controllers
 * (more than one: on PostgreSQL at `databaseUrl`), commits through the first. With
 * `broadcast`, also the bare-broadcast floor of the same texts to as many bare clients.
 */
async function benchStubs(
  nodeCount: number,
  controllers: number,
  options: { databaseUrl?: string; broadcast: boolean },
): Promise<{ p99: number; broadcastP99?: number }> {
  const label = `stubs ${nodeCount} x ${controllers} controller(s)`;
  const { server, url, distribution, names, commit, close } = await startBenchController(
    nodeCount,
    {
      databaseUrl: options.databaseUrl,
      backgroundTenants: Number(
        process.env.BENCH_BACKGROUND_TENANTS ?? Math.min(100, nodeCount / 10),
      ),
    },
  );
  const others: { url: string; child: ChildProcess }[] = [];
  for (let c = 1; c < controllers; c++) {
    if (!options.databaseUrl) throw new Error("several controllers need PostgreSQL");
    others.push(await controllerChild(options.databaseUrl));
  }
  const urls = [url, ...others.map((other) => other.url)];
  const nodes: { node: string; token: string; url: string }[] = [];
  for (const [index, node] of names.entries()) {
    nodes.push({
      node,
      token: await distribution.issueNodeToken(node),
      url: urls[index % urls.length] ?? url,
    });
  }
  process.stderr.write(`${label}: fabric built\n`);
  const fleet = startStubFleet(Number(process.env.BENCH_STUB_PROCS ?? 4));
  const connectStart = performance.now();
  await fleet.connect(nodes);
  const desired = () =>
    new Map(names.map((node) => [node, distribution.hub.desiredOf(node)?.hash ?? ""]));
  await fleet.lastAck(desired());
  process.stderr.write(
    `${label}: connected and converged in ${Math.round(performance.now() - connectStart)} ms\n`,
  );

  let committedAt = 0;
  const offChanged = server.services.events.on("changed", () => {
    committedAt = wallNow();
  });
  const samples: number[] = [];
  const sent: Map<string, string>[] = [];
  // Where the time goes (first controller): commit to sent (load, compile, install and send),
  // and sent to the last ack.
  const parts = { loadMs: [] as number[], compileMs: [] as number[], installMs: [] as number[] };
  const sentToAck: number[] = [];
  let bytes = 0;
  for (let change = -WARMUP; change < CHANGES; change++) {
    const texts = new Map<string, string>();
    const stopObserving = distribution.hub.observe({ sent: (node, text) => texts.set(node, text) });
    await commit(1001 + WARMUP + change);
    await distribution.settled();
    const settledAt = wallNow();
    const last = await fleet.lastAck(desired());
    stopObserving();
    if (change < 0) continue;
    samples.push(last - committedAt);
    sentToAck.push(last - settledAt);
    const timings = distribution.feed.lastTimings;
    parts.loadMs.push(timings.loadMs);
    parts.compileMs.push(timings.compileMs);
    parts.installMs.push(timings.installMs);
    bytes = 0;
    for (const text of texts.values()) bytes += Buffer.byteLength(text);
    if (controllers === 1) sent.push(texts);
  }
  offChanged();
  process.stderr.write(`${label}: converge median ${median(samples)} ms, p99 ${p99(samples)} ms\n`);
  process.stderr.write(
    `${label}: medians: load ${median(parts.loadMs)} ms, compile ${median(parts.compileMs)} ms, install+send ${median(parts.installMs)} ms, sent to last ack ${median(sentToAck)} ms; ${Math.round(bytes / 1e5) / 10} MB sent per change\n`,
  );

  const result: { p99: number; broadcastP99?: number } = { p99: p99(samples) };
  if (options.broadcast && sent.length > 0) {
    // The stubs leave first: the floor is measured on an idle controller process, and their
    // 10,000 sockets would otherwise count against this process's descriptor limit (20,000
    // here) next to the 10,000 bare ones. Their disconnects are written before measuring.
    await fleet.disconnect();
    await until(() => distribution.hub.connectedNodes().length === 0);
    await distribution.hub.flush();
    // A listen backlog as deep as the kernel allows (somaxconn): a default of 511 resets
    // connections when thousands of clients open at once.
    const http = createHttpServer();
    await new Promise<void>((resolve) =>
      http.listen({ host: "127.0.0.1", port: 0, backlog: 65535 }, () => resolve()),
    );
    const bare = new WebSocketServer({ server: http, perMessageDeflate: false });
    const clients: WebSocket[] = [];
    let acks = 0;
    let onAllAcked: (() => void) | undefined;
    bare.on("connection", (socket, request) => {
      const index = Number(new URL(request.url ?? "/", "http://x").searchParams.get("client"));
      clients[index] = socket;
      socket.on("message", () => {
        acks += 1;
        if (acks === names.length) onAllAcked?.();
      });
    });
    await fleet.bare(`ws://127.0.0.1:${(http.address() as AddressInfo).port}`, names.length);
    const floor: number[] = [];
    for (const texts of sent) {
      acks = 0;
      const done = new Promise<void>((resolve) => {
        onAllAcked = resolve;
      });
      const start = performance.now();
      for (const [index, node] of names.entries()) clients[index]?.send(texts.get(node) ?? "");
      await done;
      floor.push(performance.now() - start);
    }
    result.broadcastP99 = p99(floor);
    process.stderr.write(`${label}: bare broadcast p99 ${result.broadcastP99} ms\n`);
    for (const client of bare.clients) client.terminate();
    await new Promise((resolve) => bare.close(resolve));
    await new Promise((resolve) => http.close(resolve));
  }
  await fleet.stop();
  for (const other of others) {
    other.child.kill("SIGTERM");
    await new Promise((resolve) => other.child.once("exit", resolve));
  }
  await close();
  return result;
}

/** A PostgreSQL database of the benchmark's own, dropped by the returned function. */
async function benchDatabase(): Promise<{ url: string; drop: () => Promise<void> } | undefined> {
  const base = process.env.BENCH_DATABASE_URL ?? process.env.NETLOOM_TEST_DATABASE_URL;
  if (!base) return undefined;
  const pg = await import("pg");
  const admin = new pg.default.Client({ connectionString: base });
  await admin.connect();
  const name = `scale_bench_${process.pid}_${Date.now()}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(base);
  url.pathname = `/${name}`;
  return {
    url: url.href,
    async drop() {
      for (let attempt = 0; attempt < 50; attempt++) {
        try {
          await admin.query(`DROP DATABASE IF EXISTS ${name}`);
          break;
        } catch {
          await new Promise((resolve) => setTimeout(resolve, 200));
        }
      }
      await admin.end();
    },
  };
}

/** Linux figures from the Linux engineer's benchmark, when it exists and we are root. */
async function linuxFigures(): Promise<Record<string, number | null>> {
  const empty = { lab_up_100_ms: null, rule_apply_ms: null, nft_apply_ms: null };
  const script = path.join(repoRoot, "packages/dataplane/bench/linux.ts");
  if (!existsSync(script)) {
    process.stderr.write(
      "linux figures: null (packages/dataplane/bench/linux.ts does not exist)\n",
    );
    return empty;
  }
  if (process.getuid?.() !== 0) {
    process.stderr.write("linux figures: null (not root)\n");
    return empty;
  }
  const output = await new Promise<string>((resolve) => {
    execFile(
      process.execPath,
      ["--import", "tsx", script],
      { cwd: repoRoot, maxBuffer: 16 << 20, timeout: 20 * 60_000 },
      (error, stdout, stderr) => {
        if (error)
          process.stderr.write(`linux figures: the script failed: ${error.message}\n${stderr}`);
        resolve(stdout);
      },
    );
  });
  const line = output
    .trim()
    .split("\n")
    .reverse()
    .find((candidate) => candidate.trim().startsWith("{"));
  if (!line) {
    process.stderr.write("linux figures: null (the script printed no JSON line)\n");
    return empty;
  }
  const parsed = JSON.parse(line) as Record<string, unknown>;
  const figures: Record<string, number | null> = { ...empty };
  for (const [key, value] of Object.entries(parsed)) {
    figures[key] = typeof value === "number" ? value : null;
  }
  return figures;
}

async function main(): Promise<void> {
  // 100 and 1000: real agents; 10000: stubs; 3: three controllers sharing 1,000 stubs.
  const sizes = (process.env.BENCH_SIZES ?? "100,1000,10000,3").split(",").map(Number);
  const small: Partial<ConvergeResult> = sizes.includes(100)
    ? await benchFabric(100, { resync: false })
    : {};
  const large: Partial<ConvergeResult> = sizes.includes(1000)
    ? await benchFabric(1000, { resync: true })
    : {};
  const huge = sizes.includes(10000) ? await benchStubs(10000, 1, { broadcast: true }) : undefined;
  let threeControllers: number | null = null;
  let oneControllerStubs: number | null = null;
  if (sizes.includes(3)) {
    const database = await benchDatabase();
    if (!database) {
      process.stderr.write("3 controllers: null (BENCH_DATABASE_URL is not set)\n");
    } else {
      try {
        oneControllerStubs = (
          await benchStubs(1000, 1, { databaseUrl: database.url, broadcast: false })
        ).p99;
        const second = await benchDatabase();
        if (second) {
          try {
            threeControllers = (
              await benchStubs(1000, 3, { databaseUrl: second.url, broadcast: false })
            ).p99;
          } finally {
            await second.drop();
          }
        }
      } finally {
        await database.drop();
      }
    }
  }
  const linux = process.env.BENCH_SKIP_LINUX ? {} : await linuxFigures();
  const result = {
    converge_p99_ms_100: small.p99 ?? null,
    converge_p99_ms_1000: large.p99 ?? null,
    broadcast_p99_ms_1000: large.broadcastP99 ?? null,
    resync_1000_ms: large.resyncMs ?? null,
    converge_p99_ms_10000: huge?.p99 ?? null,
    broadcast_p99_ms_10000: huge?.broadcastP99 ?? null,
    converge_p99_ms_3ctl_1000: threeControllers,
    converge_p99_ms_1ctl_1000_stubs: oneControllerStubs,
    lab_up_100_ms: linux.lab_up_100_ms ?? null,
    rule_apply_ms: linux.rule_apply_ms ?? null,
    nft_apply_ms: linux.nft_apply_ms ?? null,
  };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

if (process.argv.includes("--child")) {
  await runChild();
} else {
  await main();
  process.exit(0);
}
