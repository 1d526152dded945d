/**
 * `npm run bench:api`: API throughput on loopback against PostgreSQL, 100 concurrent clients.
 * Needs NETLOOM_BENCH_DATABASE_URL or DATABASE_URL whose user may CREATE DATABASE: the run uses
 * a fresh database of its own and drops it afterwards. Prints one JSON line:
 * {"cached_read_rps","db_read_rps","db_read_p99_ms","baseline_db_p99_ms","write_rps","baseline_rps",
 * "baseline_db_rps"}
 */
import { spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import autocannon from "autocannon";
import pg from "pg";

const CONNECTIONS = 100;
const DURATION_S = Number(process.env.NETLOOM_BENCH_SECONDS ?? 6);

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

    const baseline = await run({ url: `${ports.baseline}/json`, connections: CONNECTIONS });
    check(baseline, "baseline");
    const cached = await run({
      url: `${ports.url}/trpc/intent.export?input=${exportInput}`,
      connections: CONNECTIONS,
      headers: auth,
    });
    check(cached, "cached read");
    const baselineDb = await run({ url: `${ports.baseline}/db`, connections: CONNECTIONS });
    check(baselineDb, "baseline db");
    const dbRead = await run({
      url: `${ports.url}/trpc/intent.history?input=${historyInput}`,
      connections: CONNECTIONS,
      headers: auth,
    });
    check(dbRead, "db read");
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
    process.stderr.write(
      `p99 ms: baseline ${baseline.latency.p99}, cached ${cached.latency.p99}, baseline db ${baselineDb.latency.p99}, db ${dbRead.latency.p99}, write ${write.latency.p99}\n`,
    );
    process.stdout.write(
      `${JSON.stringify({
        cached_read_rps: Math.round(cached.requests.average),
        db_read_rps: Math.round(dbRead.requests.average),
        db_read_p99_ms: dbRead.latency.p99,
        baseline_db_p99_ms: baselineDb.latency.p99,
        write_rps: Math.round(write.requests.average),
        baseline_rps: Math.round(baseline.requests.average),
        baseline_db_rps: Math.round(baselineDb.requests.average),
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
