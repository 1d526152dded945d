/**
 * `npm run bench:api`: API throughput on loopback against PostgreSQL, 100 concurrent clients.
 * Needs NETLOOM_BENCH_DATABASE_URL or DATABASE_URL whose user may CREATE DATABASE: the run uses
 * a fresh database of its own and drops it afterwards. Prints one JSON line:
 * {"cached_read_rps","db_read_rps","db_read_p99_ms","baseline_db_p99_ms","db_read_p99_ratio",
 * "db_read_p99_ratio_max","db_read_p99_all_ratio","db_read_cpu_ratio","db_read_steal_pct",
 * "write_rps","baseline_rps","baseline_db_rps","rounds"}
 *
 * Each read is measured against its bare baseline in turns, NETLOOM_BENCH_ROUNDS times (default
 * 5), the baseline first in odd rounds and ours first in even ones: a p99 over one short run
 * swings 2-5x with the shared machine's slow spells, and a spell then hits both sides of a round
 * alike. Figures are medians over the rounds; `db_read_p99_ratio` is the median of each round's
 * own ratio, `db_read_p99_ratio_max` the worst round's (a stall of ours in one round shows
 * there). Each round's figures go to stderr.
 *
 * Latency percentiles leave out each connection's first request. Against a handler that reads
 * PostgreSQL (ours, the bare one, or a bare fastify and `pg` handler with a pool of 20 or 100
 * alike), autocannon's 100 new connections get their first answers one after another, 5-8 ms
 * apart: some 70 of a run's ~10,000 requests at 150-800 ms, which is where a p99 falls, so the
 * p99 measured that ramp more than the API. `db_read_p99_all_ratio` is the same ratio over every
 * request (autocannon's own p99). `db_read_cpu_ratio` is the server process's CPU time per
 * request, ours over the baseline's (both run in that one process; summed over its threads'
 * schedstat files under /proc, so null off Linux): the API layer's cost, steadier than a p99.
 * `db_read_steal_pct` is the share of the machine's CPU time its hypervisor took during the DB
 * reads (/proc/stat): read the ratios of a run with it.
 */
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import pg from "pg";

const CONNECTIONS = 100;
const DURATION_S = Number(process.env.NETLOOM_BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.NETLOOM_BENCH_ROUNDS ?? 5);

interface Ports {
  url: string;
  baseline: string;
  token: string;
  tenants: number;
}

interface Measured {
  result: autocannon.Result;
  rps: number;
  /** Over each connection's requests after its first (see the head of this file). */
  p99: number;
  /** autocannon's own, over every request. */
  p99All: number;
  /** The server process's CPU time per request, undefined where /proc cannot tell. */
  cpuMsPerRequest: number | undefined;
}

async function run(options: autocannon.Options, serverPid?: number): Promise<Measured> {
  // A short warm-up so that JIT and connection pools are in their steady state.
  await autocannon({ ...options, duration: 1 });
  const latencies: number[] = [];
  const cpuBefore = cpuNanoseconds(serverPid);
  const result = await autocannon({
    ...options,
    duration: DURATION_S,
    setupClient: (client) => {
      let first = true;
      client.on("response", (_status, _bytes, milliseconds) => {
        if (first) first = false;
        else latencies.push(milliseconds);
      });
    },
  });
  const cpuAfter = cpuNanoseconds(serverPid);
  return {
    result,
    rps: result.requests.average,
    p99: Math.round(percentile(latencies, 0.99)),
    p99All: result.latency.p99,
    cpuMsPerRequest:
      cpuBefore !== undefined && cpuAfter !== undefined && result.requests.total > 0
        ? (cpuAfter - cpuBefore) / 1e6 / result.requests.total
        : undefined,
  };
}

let cpuUnreadable = false;

/** CPU time of every thread of `pid` (schedstat: nanoseconds on the CPU), Linux only. */
function cpuNanoseconds(pid: number | undefined): number | undefined {
  if (pid === undefined || cpuUnreadable) return undefined;
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch (error) {
    // No /proc (macOS): the CPU figures are left out, said once.
    cpuUnreadable = true;
    process.stderr.write(`no CPU figures: ${error instanceof Error ? error.message : error}\n`);
    return undefined;
  }
  let onCpu = 0;
  for (const task of tasks) {
    try {
      onCpu += Number(readFileSync(`/proc/${pid}/task/${task}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // The thread ended between the listing and the read; its time left with it.
    }
  }
  return onCpu;
}

/**
 * The machine's CPU counters from /proc/stat (user, nice, system, idle, iowait, irq, softirq,
 * steal), undefined off Linux. Steal is time the hypervisor gave this VM's CPUs to others: on a
 * shared VM it slows both sides of a round unevenly, so the figure goes out with the ratios.
 */
function cpuCounters(): number[] | undefined {
  if (cpuUnreadable) return undefined;
  try {
    const first = readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "";
    return first.trim().split(/\s+/).slice(1, 9).map(Number);
  } catch (error) {
    cpuUnreadable = true;
    process.stderr.write(`no CPU figures: ${error instanceof Error ? error.message : error}\n`);
    return undefined;
  }
}

/** Steal between two readings of cpuCounters, in percent of all CPU time; null without /proc. */
function stealPercent(before: number[] | undefined, after: number[] | undefined): number | null {
  if (!before || !after) return null;
  const deltas = after.map((value, index) => value - (before[index] ?? 0));
  const total = deltas.reduce((sum, delta) => sum + delta, 0);
  return total > 0 ? Math.round((1000 * (deltas[7] ?? 0)) / total) / 10 : null;
}

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(fraction * sorted.length))] ?? Number.NaN;
}

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1
    ? (sorted[middle] ?? Number.NaN)
    : ((sorted[middle - 1] ?? Number.NaN) + (sorted[middle] ?? Number.NaN)) / 2;
}

interface Paired {
  baselineRps: number;
  oursRps: number;
  baselineP99: number;
  oursP99: number;
  /** The median of each round's ours/baseline p99. */
  p99Ratio: number;
  /** The worst round's: a stall that hits one round of five still shows here. */
  p99RatioMax: number;
  /** The median ratio of autocannon's own p99s, each connection's first request included. */
  p99AllRatio: number;
  /** The median of each round's ours/baseline server CPU per request; null without /proc. */
  cpuRatio: number | null;
}

/** Ours against its bare baseline, in turns, ROUNDS times; medians over the rounds. */
async function paired(
  what: string,
  baselineUrl: string,
  oursUrl: string,
  headers: Record<string, string>,
  serverPid: number | undefined,
): Promise<Paired> {
  const rounds: { baseline: Measured; ours: Measured }[] = [];
  const measureBaseline = async () => {
    const measured = await run({ url: baselineUrl, connections: CONNECTIONS }, serverPid);
    check(measured.result, `${what} baseline`);
    return measured;
  };
  const measureOurs = async () => {
    const measured = await run({ url: oursUrl, connections: CONNECTIONS, headers }, serverPid);
    check(measured.result, what);
    return measured;
  };
  for (let round = 1; round <= ROUNDS; round++) {
    // Alternate who goes first, so that neither side always follows the other's load.
    let baseline: Measured;
    let ours: Measured;
    if (round % 2 === 1) {
      baseline = await measureBaseline();
      ours = await measureOurs();
    } else {
      ours = await measureOurs();
      baseline = await measureBaseline();
    }
    rounds.push({ baseline, ours });
    process.stderr.write(
      `${what} round ${round}: baseline ${describe(baseline)}; ours ${describe(ours)}\n`,
    );
  }
  const ratio = (of: (measured: Measured) => number | undefined) =>
    rounds.map((round) => {
      const ours = of(round.ours);
      const baseline = of(round.baseline);
      return ours === undefined || baseline === undefined ? Number.NaN : ours / baseline;
    });
  const p99Ratios = ratio((measured) => measured.p99);
  const cpuRatios = ratio((measured) => measured.cpuMsPerRequest);
  return {
    baselineRps: Math.round(median(rounds.map((round) => round.baseline.rps))),
    oursRps: Math.round(median(rounds.map((round) => round.ours.rps))),
    baselineP99: median(rounds.map((round) => round.baseline.p99)),
    oursP99: median(rounds.map((round) => round.ours.p99)),
    p99Ratio: twoDecimals(median(p99Ratios)),
    p99RatioMax: twoDecimals(Math.max(...p99Ratios)),
    p99AllRatio: twoDecimals(median(ratio((measured) => measured.p99All))),
    cpuRatio: cpuRatios.some(Number.isNaN) ? null : twoDecimals(median(cpuRatios)),
  };
}

function describe(measured: Measured): string {
  const cpu =
    measured.cpuMsPerRequest === undefined
      ? ""
      : `, cpu ${measured.cpuMsPerRequest.toFixed(3)} ms/request`;
  return `${Math.round(measured.rps)} rps, p99 ${measured.p99} ms (all ${measured.p99All})${cpu}`;
}

function twoDecimals(value: number): number {
  return Math.round(100 * value) / 100;
}

function check(result: autocannon.Result, what: string): void {
  const bad = result.non2xx + result.errors + result.timeouts;
  if (bad > 0) {
    process.stderr.write(
      `${what}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts\n`,
    );
  }
}

async function main(): Promise<void> {
  const base = process.env.NETLOOM_BENCH_DATABASE_URL ?? process.env.DATABASE_URL;
  if (!base) {
    process.stderr.write("set NETLOOM_BENCH_DATABASE_URL (or DATABASE_URL) to a PostgreSQL URL\n");
    process.exit(2);
  }
  // A prefix lets several people share one PostgreSQL server without clashing names.
  const database = `${process.env.NETLOOM_BENCH_DB_PREFIX ?? "netloom_bench"}_${process.pid}`;
  const admin = new pg.Client({ connectionString: base });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${database}`);
  const benchUrl = new URL(base);
  benchUrl.pathname = `/${database}`;

  const child = spawn(
    process.execPath,
    [
      // BENCH_SERVER_FLAGS: extra node flags for the server (--cpu-prof --cpu-prof-dir=DIR).
      ...(process.env.BENCH_SERVER_FLAGS?.split(" ").filter(Boolean) ?? []),
      "--import",
      "tsx",
      fileURLToPath(new URL("./server.ts", import.meta.url)),
    ],
    {
      env: { ...process.env, BENCH_DB_URL: benchUrl.toString() },
      stdio: ["pipe", "pipe", "inherit"],
    },
  );
  try {
    const ports = await new Promise<Ports>((resolve, reject) => {
      const lines = createInterface({ input: child.stdout });
      lines.once("line", (line) => resolve(JSON.parse(line) as Ports));
      child.once("exit", (code) => reject(new Error(`bench server exited with ${code}`)));
    });
    const auth = { authorization: `Bearer ${ports.token}` };
    const exportInput = encodeURIComponent(JSON.stringify({ tenant: "t0" }));
    const historyInput = encodeURIComponent(JSON.stringify({ tenant: "t0", limit: 20 }));

    const cached = await paired(
      "cached read",
      `${ports.baseline}/json`,
      `${ports.url}/trpc/intent.export?input=${exportInput}`,
      auth,
      child.pid,
    );
    const countersBefore = cpuCounters();
    const dbRead = await paired(
      "db read",
      `${ports.baseline}/db`,
      `${ports.url}/trpc/intent.history?input=${historyInput}`,
      auth,
      child.pid,
    );
    const dbReadSteal = stealPercent(countersBefore, cpuCounters());
    let counter = 0;
    const write = await run(
      {
        url: ports.url,
        connections: CONNECTIONS,
        requests: [
          {
            method: "POST",
            path: "/trpc/securityGroups.create",
            headers: { ...auth, "content-type": "application/json" },
            setupRequest: (request) => {
              counter++;
              const tenant = `t${counter % ports.tenants}`;
              return {
                ...request,
                body: JSON.stringify({ tenant, spec: { name: `sg-${counter}`, rules: [] } }),
              };
            },
          },
        ],
      },
      child.pid,
    );
    check(write.result, "write");
    process.stderr.write(`write: ${describe(write)}\n`);
    process.stdout.write(
      `${JSON.stringify({
        cached_read_rps: cached.oursRps,
        db_read_rps: dbRead.oursRps,
        db_read_p99_ms: dbRead.oursP99,
        baseline_db_p99_ms: dbRead.baselineP99,
        db_read_p99_ratio: dbRead.p99Ratio,
        db_read_p99_ratio_max: dbRead.p99RatioMax,
        db_read_p99_all_ratio: dbRead.p99AllRatio,
        db_read_cpu_ratio: dbRead.cpuRatio,
        db_read_steal_pct: dbReadSteal,
        write_rps: Math.round(write.rps),
        baseline_rps: cached.baselineRps,
        baseline_db_rps: dbRead.baselineRps,
        rounds: ROUNDS,
      })}\n`,
    );
  } finally {
    child.kill("SIGTERM");
    await new Promise((resolve) => child.once("exit", resolve));
    await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
    await admin.end();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
