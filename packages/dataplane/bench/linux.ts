/**
 * Linux dataplane benchmark: `tsx packages/dataplane/bench/linux.ts` (root). Prints one JSON line:
 * - lab_up_100_ms: from no namespaces to 100 workloads forwarding on 2 nodes (underlay, node
 *   namespaces, both drivers' first apply), checked by a ping across nodes afterwards;
 * - rule_apply_ms: one policy rule change applied through the driver (compile excluded), median
 *   of five different changes;
 * - nft_apply_ms: the last change again as a bare `nft -f` of the same transaction in the same
 *   namespace (median of five): the floor any driver pays (process start, kernel commit).
 */
import { compile, type NodeConfig, type TenantInput } from "@netloom/compiler";
import { type FabricNodeSpec, intentFileSchema } from "@netloom/model";
import {
  createLinuxDriver,
  createUnderlay,
  destroyOwnedNamespaces,
  labNode,
  mustRun,
  renderTenantRuleset,
  tenantNamespace,
  underlayNamespace,
  workloadNamespace,
} from "../src/linux";
import { replaceTableScript } from "../src/linux/nft";

// Its own owner tag: the bench never touches a lab or a test run.
const TAG = `bench_${process.pid.toString(36)}`;
const WORKLOADS = 100;

function intentWith(ports: string) {
  return intentFileSchema.parse({
    apiVersion: "netloom/v1",
    tenant: "bench",
    networks: [
      { name: "front", subnets: [{ cidr: "10.30.1.0/24" }] },
      { name: "back", subnets: [{ cidr: "10.30.2.0/24" }] },
    ],
    workloads: Array.from({ length: WORKLOADS }, (_, i) => ({
      name: `w${i}`,
      node: `compute-${(i % 2) + 1}`,
      interfaces: [
        {
          network: i < WORKLOADS / 2 ? "front" : "back",
          ip: `10.30.${i < WORKLOADS / 2 ? 1 : 2}.${10 + (i % (WORKLOADS / 2))}`,
          ...(i < WORKLOADS / 2 ? {} : { securityGroups: ["back-sg"] }),
        },
      ],
    })),
    securityGroups: [
      {
        name: "back-sg",
        rules: [
          { direction: "ingress", protocol: "tcp", ports: "80,443", remote: "front" },
          { direction: "egress", protocol: "any", remote: "0.0.0.0/0" },
        ],
      },
    ],
    policies: [
      {
        name: "front-back",
        attach: ["front", "back"],
        rules: [{ action: "allow", protocol: "tcp", source: "front", destination: "back", ports }],
      },
    ],
  });
}

const nodes = [labNode(1, TAG), labNode(2, TAG)];
const fabric = {
  nodes: nodes.map((n) => ({ name: n.name, underlay: n.underlay }) as FabricNodeSpec),
};
const tenantOf = (ports: string): TenantInput => ({
  id: "t-bench",
  intent: intentWith(ports),
  vnis: { front: 9100, back: 9101 },
  natAddresses: {},
});
const configsFor = (ports: string) => compile({ fabric, tenants: [tenantOf(ports)] }).nodes;

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function main() {
  await destroyOwnedNamespaces(TAG);
  const before = configsFor("80");

  const upStart = performance.now();
  await createUnderlay(nodes, underlayNamespace(TAG));
  const drivers = nodes.map((node) =>
    createLinuxDriver({
      node: node.name,
      nodeNamespace: node.namespace,
      underlayIp: node.underlay,
    }),
  );
  await Promise.all(
    nodes.map((node, i) => {
      const config = before[node.name];
      return config ? drivers[i]?.apply(config, 1) : undefined;
    }),
  );
  const labUpMs = performance.now() - upStart;

  // Forwarding, not just configured: w0 (compute-1, front) pings w2 (compute-1) and w1 (compute-2).
  const first = nodes[0];
  if (!first) throw new Error("no node");
  const w0 = workloadNamespace(first.namespace, "t-bench", "w0");
  await mustRun(["ip", "netns", "exec", w0, "ping", "-c1", "-W2", "10.30.1.11"]);

  // Five different rule changes (a port added to the policy), each timed through the driver.
  const ruleSamples: number[] = [];
  let changed: NodeConfig | undefined;
  for (let i = 0; i < 5; i += 1) {
    changed = configsFor(`80,${8080 + i}`)[first.name];
    if (!changed) throw new Error("no config");
    const start = performance.now();
    await drivers[0]?.apply(changed, 2 + i);
    ruleSamples.push(performance.now() - start);
  }
  if (!changed) throw new Error("no config");
  const ruleApplyMs = median(ruleSamples);

  // The same change once more, as a bare nft transaction in the same namespace.
  const tenant = changed.tenants[0];
  if (!tenant) throw new Error("no tenant");
  const ruleset = renderTenantRuleset(tenant);
  const script = replaceTableScript(
    {
      chains: ruleset.chains,
      sets: ruleset.sets,
      maps: ruleset.maps,
      counters: new Set(ruleset.counters.keys()),
    },
    ruleset,
  );
  const ns = tenantNamespace(first.namespace, tenant.tenantKey);
  const samples: number[] = [];
  for (let i = 0; i < 5; i += 1) {
    const start = performance.now();
    await mustRun(["ip", "netns", "exec", ns, "nft", "-f", "-"], script);
    samples.push(performance.now() - start);
  }
  const nftApplyMs = median(samples);

  for (const driver of drivers) await driver.teardown();
  await destroyOwnedNamespaces(TAG);
  process.stdout.write(
    `${JSON.stringify({
      lab_up_100_ms: Math.round(labUpMs),
      rule_apply_ms: Math.round(ruleApplyMs * 10) / 10,
      nft_apply_ms: Math.round(nftApplyMs * 10) / 10,
    })}\n`,
  );
}

main().catch(async (error: unknown) => {
  await destroyOwnedNamespaces(TAG);
  process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
