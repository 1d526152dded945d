import type { NodeConfig, RuleId, TenantConfig } from "@netloom/compiler";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { destroyOwnedNamespaces, sendProbe, startListener } from "../src/linux";
import {
  compileFor,
  driverLab,
  intentOf,
  linuxSkipReason,
  tenantInput,
  testOwner,
  workloadNs,
} from "./linux-helpers";

/**
 * Issue 8 §6: a flow between two networks runs through both ends' policy lists, and a policy
 * attached to both sits in both; each packet still counts once per rule that decided it.
 */

const TAG = testOwner("tn");
const skip = await linuxSkipReason();
if (skip) console.warn(`linux counter tests skipped: ${skip}`);

const intent = intentOf({
  tenant: "cnt",
  networks: [
    { name: "web", subnets: [{ cidr: "10.30.1.0/24" }] },
    { name: "app", subnets: [{ cidr: "10.30.2.0/24" }] },
    { name: "db", subnets: [{ cidr: "10.30.3.0/24" }] },
    { name: "ops", subnets: [{ cidr: "10.30.4.0/24" }] },
  ],
  workloads: [
    { name: "web-1", node: "compute-1", interfaces: [{ network: "web", ip: "10.30.1.10" }] },
    { name: "app-1", node: "compute-2", interfaces: [{ network: "app", ip: "10.30.2.10" }] },
    { name: "db-1", node: "compute-1", interfaces: [{ network: "db", ip: "10.30.3.10" }] },
    { name: "ops-1", node: "compute-2", interfaces: [{ network: "ops", ip: "10.30.4.10" }] },
  ],
  policies: [
    {
      name: "web-app",
      attach: ["web", "app"],
      rules: [
        {
          action: "allow",
          protocol: "tcp",
          source: "web",
          destination: "app",
          ports: 8080,
          direction: ">",
        },
      ],
    },
    {
      name: "app-ops",
      attach: ["app", "ops"],
      rules: [
        {
          action: "allow",
          protocol: "tcp",
          source: "app",
          destination: "ops",
          ports: 5432,
          direction: "<>",
          services: ["fw"],
        },
      ],
    },
  ],
  services: [
    {
      name: "fw",
      type: "firewall",
      rules: [{ action: "allow", protocol: "tcp", source: "any", destination: "any", ports: 5432 }],
    },
  ],
  routers: [{ name: "r1", networks: ["web", "db"] }],
});

describe.skipIf(skip !== undefined)("hit counters count each packet once", () => {
  let lab: Awaited<ReturnType<typeof driverLab>>;
  let configs: Record<string, NodeConfig>;

  const tenantOn = (node: string): TenantConfig | undefined => configs[node]?.tenants[0];
  const nsOf = (workload: string) => {
    const name = intent.workloads?.find((w) => w.name === workload)?.node;
    const node = lab.nodes.find((candidate) => candidate.name === name);
    if (!node) throw new Error(`no node for ${workload}`);
    return workloadNs(node, "t-cnt", workload);
  };
  /** Hits per rule id, summed over both nodes. */
  const hits = async () => {
    const total: Record<RuleId, number> = {};
    for (const driver of lab.drivers) {
      for (const [ruleId, count] of Object.entries(await driver.counters())) {
        total[ruleId] = (total[ruleId] ?? 0) + count;
      }
    }
    return total;
  };
  /** `count` TCP connects from one workload to another's listener. */
  const connect = async (from: string, to: string, host: string, port: number, count: number) => {
    const listener = await startListener(nsOf(to), "tcp", [port]);
    try {
      for (let i = 0; i < count; i += 1) {
        expect(await sendProbe(nsOf(from), "tcp", host, port, 2000)).toBe("allow");
      }
    } finally {
      listener.stop();
    }
  };

  beforeAll(async () => {
    lab = await driverLab(TAG, 2);
    configs = compileFor(lab.nodes, [tenantInput(intent, "t-cnt", 8300)]).nodes;
    for (const [i, node] of lab.nodes.entries()) {
      const config = configs[node.name];
      if (config) await lab.drivers[i]?.apply(config, 1);
    }
  }, 60_000);

  afterAll(async () => {
    for (const driver of lab?.drivers ?? []) await driver.teardown();
    await destroyOwnedNamespaces(TAG);
  });

  it("counts N connects through a policy attached to both networks as N", async () => {
    const tenant = tenantOn("compute-1");
    const web = tenant?.networks.find((network) => network.name === "web");
    const app = tenant?.networks.find((network) => network.name === "app");
    const ruleId = web?.acl[0]?.ruleId ?? "?";
    // The premise: the same rule sits in both ends' lists.
    expect(app?.acl.map((entry) => entry.ruleId)).toContain(ruleId);
    const before = (await hits())[ruleId] ?? 0;
    await connect("web-1", "app-1", "10.30.2.10", 8080, 7);
    expect((await hits())[ruleId] ?? 0).toBe(before + 7);
  }, 60_000);

  it("counts a router that decides for both ends once per packet", async () => {
    const route = tenantOn("compute-1")?.routes.find((candidate) => candidate.viaRouter);
    const ruleId = route?.viaRouter ?? "?";
    expect(ruleId).not.toBe("?");
    const before = (await hits())[ruleId] ?? 0;
    await connect("web-1", "db-1", "10.30.3.10", 9000, 5);
    expect((await hits())[ruleId] ?? 0).toBe(before + 5);
  }, 60_000);

  it("runs and counts a service chain's firewall once per packet", async () => {
    const tenant = tenantOn("compute-2");
    const policyRule = tenant?.networks
      .find((network) => network.name === "ops")
      ?.acl.find((entry) => entry.services.length > 0)?.ruleId;
    const firewallRule = tenant?.firewalls[0]?.rules[0]?.ruleId ?? "?";
    const before = await hits();
    await connect("app-1", "ops-1", "10.30.4.10", 5432, 4);
    const after = await hits();
    expect((after[firewallRule] ?? 0) - (before[firewallRule] ?? 0)).toBe(4);
    expect((after[policyRule ?? "?"] ?? 0) - (before[policyRule ?? "?"] ?? 0)).toBe(4);
  }, 60_000);
});
