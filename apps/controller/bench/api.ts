/**
 * `npm run bench:api`: API throughput on loopback against PostgreSQL, 100 concurrent clients.
 * Needs NETLOOM_BENCH_DATABASE_URL or DATABASE_URL whose user may CREATE DATABASE: the run uses
 * a fresh database of its own and drops it afterwards. Prints one JSON line:
 * {"cached_read_rps","db_read_rps","db_read_p99_ms","baseline_db_p99_ms","db_read_p99_ratio",
 * "db_read_p99_ratio_max","write_rps","baseline_rps","baseline_db_rps","rounds"}
 *
 * Each read is measured against its bare baseline in turns, NETLOOM_BENCH_ROUNDS times (default
 * 3): a p99 over one short run swings 2-5x with the shared machine's slow spells, and a spell
 * then hits both sides of a round alike. Figures are medians over the rounds;
 * `db_read_p99_ratio` is the median of each round's own ratio, `db_read_p99_ratio_max` the
 * worst round's (a stall of ours in one round shows there). Each round's figures go to stderr.
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import pg from "pg";

const CONNECTIONS = 100;
const DURATION_S = Number(process.env.NETLOOM_BENCH_SECONDS ?? 4);
const ROUNDS = Number(process.env.NETLOOM_BENCH_ROUNDS ?? 3);

interface Ports {
  url: string;
  baseline: string;
  token: string;
  tenants: number;
}

async function run(options: autocannon.Options): Promise<autocannon.Result> {
  // A short warm-up so that JIT and connection pools are in their steady state.
  await autocannon({ ...options, duration: 1 });
  return autocannon({ ...options, duration: DURATION_S });
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
  /** The worst round's: a stall that hits one round of three still shows here. */
  p99RatioMax: number;
}

/** Ours against its bare baseline, in turns, ROUNDS times; medians over the rounds. */
async function paired(
  what: string,
  baselineUrl: string,
  oursUrl: string,
  headers: Record<string, string>,
): Promise<Paired> {
  const rounds: { baseline: autocannon.Result; ours: autocannon.Result }[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    const base = await run({ url: baselineUrl, connections: CONNECTIONS });
    check(base, `${what} baseline`);
    const mine = await run({ url: oursUrl, connections: CONNECTIONS, headers });
    check(mine, what);
    rounds.push({ baseline: base, ours: mine });
    process.stderr.write(
      `${what} round ${round}: baseline ${Math.round(base.requests.average)} rps p99 ${base.latency.p99} ms, ours ${Math.round(mine.requests.average)} rps p99 ${mine.latency.p99} ms\n`,
    );
  }
  const ratios = rounds.map((round) => round.ours.latency.p99 / round.baseline.latency.p99);
  return {
    baselineRps: Math.round(median(rounds.map((round) => round.baseline.requests.average))),
    oursRps: Math.round(median(rounds.map((round) => round.ours.requests.average))),
    baselineP99: median(rounds.map((round) => round.baseline.latency.p99)),
    oursP99: median(rounds.map((round) => round.ours.latency.p99)),
    p99Ratio: Math.round(100 * median(ratios)) / 100,
    p99RatioMax: Math.round(100 * Math.max(...ratios)) / 100,
  };
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
    );
    const dbRead = await paired(
      "db read",
      `${ports.baseline}/db`,
      `${ports.url}/trpc/intent.history?input=${historyInput}`,
      auth,
    );
    let counter = 0;
    const write = await run({
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
    });
    check(write, "write");
    process.stderr.write(`p99 ms: write ${write.latency.p99}\n`);
    process.stdout.write(
      `${JSON.stringify({
        cached_read_rps: cached.oursRps,
        db_read_rps: dbRead.oursRps,
        db_read_p99_ms: dbRead.oursP99,
        baseline_db_p99_ms: dbRead.baselineP99,
        db_read_p99_ratio: dbRead.p99Ratio,
        db_read_p99_ratio_max: dbRead.p99RatioMax,
        write_rps: Math.round(write.requests.average),
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
