/*
 * The controller half of `npm run bench:compile` (packages/compiler/bench/compile.ts runs it as
 * a child process and merges its line): a quota-max tenant's matrix through the controller's
 * analysis workers while another tenant's reads and /healthz are timed. Prints one JSON line.
 */
import { performance } from "node:perf_hooks";
import {
  fabricNodes,
  makeTenant,
  QUOTA_MAX_SIZE,
  random,
} from "../../../packages/compiler/bench/fixture";
import { createServer } from "../src/server";

const TOKEN = "bench-analysis-token";

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0;
}

async function main(): Promise<void> {
  const server = await createServer({
    dataDir: "memory://",
    databaseUrl: "",
    bootstrapToken: TOKEN,
    logger: { level: "warn" },
    distribution: false,
    port: 0,
    // Measure however long it takes on a loaded machine rather than refuse.
    analysis: { timeoutMs: 600_000 },
  });
  try {
    const url = await server.listen();
    const admin = server.caller(await server.services.auth.authenticate({ token: TOKEN }));
    const nodes = fabricNodes(QUOTA_MAX_SIZE.nodes);
    await admin.fabric.applyFile({ document: { apiVersion: "netloom/v1", kind: "Fabric", nodes } });
    const quotaMax = makeTenant(random(20261128), 0, QUOTA_MAX_SIZE, nodes);
    await admin.intent.applyFile({ document: quotaMax.intent });
    const small = {
      ...QUOTA_MAX_SIZE,
      workloadsPerTenant: 10,
      rulesPerTenant: 10,
      groupsPerTenant: 2,
    };
    const other = makeTenant(random(7), 1, small, nodes);
    // Outside addresses are one space (spec 1.1): the fixture gives every tenant the same
    // external range, so the second tenant takes another one.
    other.intent = JSON.parse(JSON.stringify(other.intent).replaceAll("203.0.113.", "198.51.100."));
    await admin.intent.applyFile({ document: other.intent });

    const headers = { authorization: `Bearer ${TOKEN}` };
    const exportInput = encodeURIComponent(JSON.stringify({ tenant: other.intent.tenant }));
    const timed = async (path: string): Promise<number> => {
      const start = performance.now();
      const response = await fetch(`${url}${path}`, { headers });
      await response.arrayBuffer();
      if (!response.ok) throw new Error(`${path}: ${response.status}`);
      return performance.now() - start;
    };
    // Warm both paths (and the workers) first.
    await timed("/healthz");
    await timed(`/trpc/intent.export?input=${exportInput}`);

    const started = performance.now();
    let done = false;
    const matrix = admin.reach.matrix({ tenant: quotaMax.intent.tenant }).finally(() => {
      done = true;
    });
    const latencies: number[] = [];
    // Another tenant's user: a read and a health check every 50 ms, not a flood.
    while (!done) {
      latencies.push(await timed("/healthz"));
      latencies.push(await timed(`/trpc/intent.export?input=${exportInput}`));
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const result = await matrix;
    const throughController = performance.now() - started;
    // Once more: the worker has the tenant compiled now, so this is the matrix alone.
    const again = performance.now();
    await admin.reach.matrix({ tenant: quotaMax.intent.tenant });
    console.log(
      JSON.stringify({
        other_tenant_p99_ms_during_matrix: Math.round(percentile(latencies, 0.99) * 1000) / 1000,
        other_tenant_requests_during_matrix: latencies.length,
        matrix_through_controller_ms: Math.round(throughController),
        matrix_through_controller_cached_ms: Math.round(performance.now() - again),
        matrix_classes: result.classes.length,
      }),
    );
  } finally {
    await server.close();
  }
}

await main();
