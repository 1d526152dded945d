/**
 * `npm run bench:neutron`: the Neutron door against netloom's own API, in one run, on one
 * controller (PGlite in memory, or NETLOOM_BENCH_DATABASE_URL / DATABASE_URL for PostgreSQL).
 * A tenant with 10,000 ports (workload interfaces, each with its Neutron side row):
 * - `GET /network/v2.0/ports` as `openstack port list` sends it (fields id, name, mac_address,
 *   fixed_ips, status) against `workloads.list` through tRPC: p99 over LIST_RUNS requests each.
 * - port create throughput: `POST /network/v2.0/ports` against tRPC `workloads.create` of the
 *   same workload, CREATES each, CONCURRENCY at a time.
 * Prints one JSON line:
 * {"ports","neutron_list_p99_ms","trpc_list_p99_ms","neutron_create_rps","native_create_rps",...}
 */
import type { Name } from "@netloom/model";
import { uuidOf } from "../src/openstack/ids";
import { SideTable } from "../src/openstack/side";
import { createServer } from "../src/server";

const PORTS = Number(process.env.NETLOOM_BENCH_PORTS ?? 10_000);
const LIST_RUNS = Number(process.env.NETLOOM_BENCH_LIST_RUNS ?? 60);
const CREATES = Number(process.env.NETLOOM_BENCH_CREATES ?? 200);
const CONCURRENCY = 4;
const PASSWORD = "bench password 1";
const ADMIN_TOKEN = "bench-admin-token";

function p99(samples: number[]): number {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.99) - 1)] ?? 0;
}

async function timed(run: () => Promise<Response>): Promise<number> {
  const started = performance.now();
  const response = await run();
  const body = await response.text();
  if (!response.ok) throw new Error(`${response.status}: ${body.slice(0, 300)}`);
  return performance.now() - started;
}

/** Runs `count` tasks, `concurrency` at a time; answers tasks per second. */
async function throughput(count: number, task: (index: number) => Promise<void>): Promise<number> {
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < count) {
        const index = next++;
        await task(index);
      }
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
  const databaseUrl = process.env.NETLOOM_BENCH_DATABASE_URL ?? process.env.DATABASE_URL ?? "";
  const server = await createServer({
    dataDir: "memory://",
    databaseUrl,
    bootstrapToken: ADMIN_TOKEN,
    logger: false,
    distribution: false,
    port: 0,
  });
  try {
    const url = await server.listen();
    const { auth, store } = server.services;
    const db = server.db;
    await store.applyFabric([{ name: "compute-1", underlay: "198.18.0.11" }], {
      prune: false,
      mode: "create",
    });
    const tenant = await store.createTenant("bench", "bench");
    await auth.createUser({
      email: "bench@example.org",
      displayName: "bench",
      password: PASSWORD,
      globalRole: "none",
    });
    await auth.grant("bench@example.org", tenant.id, "tenant_admin");

    // 10,000 ports: one network, a default group, one workload per port, one side row each.
    const workloads = Array.from({ length: PORTS }, (_, index) => ({
      name: `port-${index}` as Name,
      node: "compute-1" as Name,
      interfaces: [{ network: "net" as Name, securityGroups: ["default" as Name] }],
    }));
    await store.change({
      tenant: "bench",
      actor: "bench",
      mutate: (_state, document) => ({
        ...document,
        networks: [{ name: "net" as Name, subnets: [{ cidr: "10.0.0.0/16" as never }] }],
        securityGroups: [
          {
            name: "default" as Name,
            rules: [{ direction: "egress" }, { direction: "ingress", remote: "default" }],
          },
        ],
        workloads,
      }),
    });
    const side = new SideTable(db.sql);
    const now = new Date().toISOString().replace(/\.\d{3}Z$/, "Z");
    const rows = workloads.map((workload) => ({
      tenantId: tenant.id,
      kind: "port" as const,
      key: `${workload.name}/net`,
      attributes: {
        name: workload.name,
        description: "",
        tags: [],
        createdAt: now,
        updatedAt: now,
        revision: 0,
        extra: { standalone: true, device_id: "", device_owner: "" },
      },
    }));
    for (let start = 0; start < rows.length; start += 1000)
      await side.write(rows.slice(start, start + 1000));

    const login = await fetch(`${url}/identity/v3/auth/tokens`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({
        auth: {
          identity: {
            methods: ["password"],
            password: { user: { name: "bench", domain: { name: "Default" }, password: PASSWORD } },
          },
          scope: { project: { name: "bench", domain: { name: "Default" } } },
        },
      }),
    });
    const keystoneToken = login.headers.get("x-subject-token");
    if (login.status !== 201 || !keystoneToken) throw new Error(`login failed: ${login.status}`);
    const user = (await auth.listUsers()).find(
      (candidate) => candidate.email === "bench@example.org",
    );
    if (!user) throw new Error("no bench user");
    const { token: apiToken } = await auth.createToken(user.id, "bench");

    const neutronList = () =>
      fetch(
        `${url}/network/v2.0/ports?fields=id&fields=name&fields=mac_address&fields=fixed_ips&fields=status`,
        {
          headers: { "x-auth-token": keystoneToken },
        },
      );
    const trpcList = () =>
      fetch(
        `${url}/trpc/workloads.list?input=${encodeURIComponent(JSON.stringify({ tenant: "bench" }))}`,
        {
          headers: { authorization: `Bearer ${apiToken}` },
        },
      );
    const listed = (await (await neutronList()).json()) as { ports: unknown[] };
    if (listed.ports.length !== PORTS)
      throw new Error(`Neutron listed ${listed.ports.length} ports`);

    // Interleaved, so both see the same machine load.
    const neutronTimes: number[] = [];
    const trpcTimes: number[] = [];
    for (let run = 0; run < LIST_RUNS; run++) {
      neutronTimes.push(await timed(neutronList));
      trpcTimes.push(await timed(trpcList));
    }
    // Uncached: every list after a change (the first after each create) is built afresh.
    const neutronColdTimes: number[] = [];
    const trpcColdTimes: number[] = [];

    const neutronCreate = async (index: number) => {
      await timed(() =>
        fetch(`${url}/network/v2.0/ports`, {
          method: "POST",
          headers: { "x-auth-token": keystoneToken, "content-type": "application/json" },
          body: JSON.stringify({
            port: { name: `neutron-${index}`, network_id: uuidOf(tenant.id, "network", "net") },
          }),
        }),
      );
      if (index % 20 === 0) neutronColdTimes.push(await timed(neutronList));
    };
    const nativeCreate = async (index: number) => {
      await timed(() =>
        fetch(`${url}/trpc/workloads.create`, {
          method: "POST",
          headers: { authorization: `Bearer ${apiToken}`, "content-type": "application/json" },
          body: JSON.stringify({
            tenant: "bench",
            spec: {
              name: `native-${index}`,
              interfaces: [{ network: "net", securityGroups: ["default"] }],
            },
          }),
        }),
      );
      if (index % 20 === 0) trpcColdTimes.push(await timed(trpcList));
    };
    const neutronRps = await throughput(CREATES, neutronCreate);
    const nativeRps = await throughput(CREATES, nativeCreate);

    const round = (value: number) => Math.round(value * 100) / 100;
    process.stdout.write(
      `${JSON.stringify({
        ports: PORTS,
        backend: db.backend,
        neutron_list_p99_ms: round(p99(neutronTimes)),
        trpc_list_p99_ms: round(p99(trpcTimes)),
        neutron_list_uncached_p99_ms: round(p99(neutronColdTimes)),
        trpc_list_uncached_p99_ms: round(p99(trpcColdTimes)),
        neutron_create_rps: round(neutronRps),
        native_create_rps: round(nativeRps),
      })}\n`,
    );
  } finally {
    await server.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
