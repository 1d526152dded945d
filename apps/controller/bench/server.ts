/**
 * The server half of `npm run bench:api`, run in a child process so that the load generator
 * does not share its event loop: the controller on PostgreSQL, plus the two baselines (a bare
 * fastify handler returning the cached JSON, and one running the history SQL through `pg`).
 * Prints one JSON line with the ports and what the load generator needs.
 */
import Fastify from "fastify";
import pg from "pg";
import { createServer } from "../src/server";

const TENANTS = 50;
const TOKEN = "bench-admin-token";

async function main(): Promise<void> {
  const databaseUrl = process.env.BENCH_DB_URL;
  if (!databaseUrl) throw new Error("BENCH_DB_URL not set");
  const server = await createServer({
    databaseUrl,
    bootstrapToken: TOKEN,
    // Request logs off: pino writing a line per request would be what is measured.
    logger: { level: "warn" },
    distribution: false,
    port: 0,
  });
  const admin = server.caller(await server.services.auth.authenticate({ token: TOKEN }));
  await admin.fabric.applyFile({
    document: {
      apiVersion: "netloom/v1",
      kind: "Fabric",
      nodes: [
        { name: "compute-1", underlay: "198.18.0.11" },
        { name: "compute-2", underlay: "198.18.0.12" },
      ],
    },
  });
  for (let i = 0; i < TENANTS; i++) {
    await admin.intent.applyFile({
      document: {
        apiVersion: "netloom/v1",
        tenant: `t${i}`,
        networks: [
          { name: "web", subnets: [{ cidr: "10.1.0.0/24" }] },
          { name: "db", subnets: [{ cidr: "10.2.0.0/24" }] },
        ],
        workloads: [
          { name: "web-1", interfaces: [{ network: "web" }] },
          { name: "db-1", interfaces: [{ network: "db" }] },
        ],
        securityGroups: [{ name: "base", rules: [{ direction: "egress" }] }],
        policies: [
          {
            name: "web-db",
            attach: ["web", "db"],
            rules: [
              { action: "allow", protocol: "tcp", source: "web", destination: "db", ports: 5432 },
            ],
          },
        ],
      },
    });
  }
  // Audit rows for the history reads: a few updates on t0.
  for (let i = 0; i < 30; i++) {
    await admin.securityGroups.create({
      tenant: "t0",
      spec: { name: `seed-${i}`, rules: [] } as never,
    });
  }
  const url = await server.listen();
  const tenantId = server.services.store.tenant("t0")?.id ?? "";
  const exportInput = encodeURIComponent(JSON.stringify({ tenant: "t0" }));
  const cachedBody = await (
    await fetch(`${url}/trpc/intent.export?input=${exportInput}`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    })
  ).text();

  const pool = new pg.Pool({ connectionString: databaseUrl, max: 20 });
  const baseline = Fastify({ logger: false });
  baseline.get("/json", async (_request, reply) =>
    reply.header("content-type", "application/json").send(cachedBody),
  );
  // The query the store runs for intent.history (same columns, filter, order and limit).
  const historySql = `SELECT id, actor, action, kind, name, before, after, generation, at
    FROM "AuditEvent" WHERE "tenantId" = $1 ORDER BY id DESC LIMIT $2`;
  baseline.get("/db", async () => {
    const { rows } = await pool.query(historySql, [tenantId, 21]);
    const events = rows.slice(0, 20).map((row) => ({
      ...row,
      id: String(row.id),
      at: new Date(row.at).toISOString(),
    }));
    return { result: { data: { events, next: rows.length > 20 ? String(rows[19]?.id) : null } } };
  });
  await baseline.listen({ port: 0, host: "127.0.0.1" });
  const address = baseline.server.address();
  const baselinePort = typeof address === "object" && address ? address.port : 0;
  process.stdout.write(
    `${JSON.stringify({ url, baseline: `http://127.0.0.1:${baselinePort}`, token: TOKEN, tenants: TENANTS })}\n`,
  );
  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await baseline.close();
    await pool.end();
    await server.close();
    process.exit(0);
  };
  process.on("SIGTERM", stop);
  process.stdin.on("end", stop);
  process.stdin.resume();
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
