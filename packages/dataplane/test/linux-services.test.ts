import { readdir, readFile } from "node:fs/promises";
import type { FlowQuery, NodeConfig } from "@netloom/compiler";
import { trace } from "@netloom/compiler";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createOutsideHost,
  destroyOwnedNamespaces,
  listNamespaces,
  OUTSIDE_UNDERLAY,
  ownerPrefix,
  probeFlowOnLab,
  runCommand,
  underlayNamespace,
} from "../src/linux";
import {
  compileFor,
  driverLab,
  intentOf,
  linuxSkipReason,
  testOwner,
  workloadNs,
} from "./linux-helpers";

const TAG = testOwner("ts");
const skipReason = await linuxSkipReason();
if (skipReason) console.warn(`linux dataplane service tests skipped: ${skipReason}`);

const acme = intentOf({
  tenant: "acme",
  networks: [
    { name: "web", subnets: [{ cidr: "10.1.0.0/24" }] },
    { name: "db", subnets: [{ cidr: "10.2.0.0/24" }] },
    { name: "app", subnets: [{ cidr: "10.3.0.0/24" }] },
    { name: "public", external: true, subnets: [{ cidr: "203.0.113.0/24" }] },
  ],
  workloads: [
    {
      name: "web-1",
      node: "compute-1",
      interfaces: [
        {
          network: "web",
          ip: "10.1.0.10",
          securityGroups: ["web-sg"],
          floatingIp: { pool: "public-pool", ip: "203.0.113.20" },
        },
      ],
    },
    { name: "web-2", node: "compute-2", interfaces: [{ network: "web", ip: "10.1.0.11" }] },
    { name: "db-1", node: "compute-2", interfaces: [{ network: "db", ip: "10.2.0.10" }] },
    { name: "app-1", node: "compute-1", interfaces: [{ network: "app", ip: "10.3.0.10" }] },
  ],
  securityGroups: [
    {
      name: "web-sg",
      rules: [
        { direction: "ingress", protocol: "tcp", ports: "80,443,8080", remote: "0.0.0.0/0" },
        { direction: "egress", protocol: "any", remote: "0.0.0.0/0" },
      ],
    },
  ],
  policies: [
    {
      name: "web-db",
      attach: ["web", "db"],
      rules: [
        {
          action: "allow",
          protocol: "tcp",
          source: "web",
          destination: "db",
          ports: "5432,6432",
          direction: ">",
          services: ["fw1"],
        },
      ],
    },
  ],
  services: [
    {
      name: "fw1",
      type: "firewall",
      rules: [{ action: "allow", protocol: "tcp", source: "any", destination: "any", ports: 5432 }],
    },
    {
      name: "lb1",
      type: "load-balancer",
      network: "web",
      vip: "10.1.0.100",
      protocol: "tcp",
      port: 80,
      members: ["web-1"],
      memberPort: 8080,
    },
    { name: "nat1", type: "nat", inside: ["web"], outside: "public" },
    { name: "dns1", type: "dns", domain: "acme.internal", networks: ["web", "db"] },
  ],
  routers: [{ name: "r1", networks: ["web", "app"] }],
  floatingIpPools: [{ name: "public-pool", network: "public" }],
});

const flows: FlowQuery[] = [
  { tenant: "acme", from: "web-2", to: "db-1", protocol: "tcp", port: 5432 },
  { tenant: "acme", from: "web-2", to: "db-1", protocol: "tcp", port: 6432 },
  { tenant: "acme", from: "web-2", to: "db-1", protocol: "tcp", port: 22 },
  { tenant: "acme", from: "web-2", to: "app-1", protocol: "tcp", port: 22 },
  { tenant: "acme", from: "app-1", to: "web-2", protocol: "icmp" },
  { tenant: "acme", from: "app-1", to: "db-1", protocol: "icmp" },
  { tenant: "acme", from: "web-2", to: "10.1.0.100", protocol: "tcp", port: 80 },
  { tenant: "acme", from: "web-2", to: "10.1.0.100", protocol: "tcp", port: 81 },
  { tenant: "acme", from: "203.0.113.50", to: "203.0.113.20", protocol: "tcp", port: 443 },
  { tenant: "acme", from: "203.0.113.50", to: "203.0.113.20", protocol: "tcp", port: 22 },
  { tenant: "acme", from: "203.0.113.50", to: "web-1", protocol: "tcp", port: 80 },
  { tenant: "acme", from: "web-1", to: "203.0.113.50", protocol: "tcp", port: 80 },
  { tenant: "acme", from: "web-2", to: "203.0.113.50", protocol: "udp", port: 5000 },
  { tenant: "acme", from: "db-1", to: "203.0.113.50", protocol: "tcp", port: 80 },
  { tenant: "acme", from: "203.0.113.50", to: "203.0.113.5", protocol: "tcp", port: 80 },
  { tenant: "acme", from: "web-2", to: "10.1.0.1", protocol: "udp", port: 53 },
  { tenant: "acme", from: "web-2", to: "10.1.0.1", protocol: "icmp" },
  { tenant: "acme", from: "app-1", to: "10.3.0.1", protocol: "udp", port: 53 },
  { tenant: "acme", from: "web-2", to: "203.0.113.20", protocol: "tcp", port: 443 },
];

describe.skipIf(skipReason !== undefined)("linux driver services on two nodes", () => {
  let lab: Awaited<ReturnType<typeof driverLab>>;
  let configs: Record<string, NodeConfig>;
  const tenant = {
    id: "t-acme",
    intent: acme,
    vnis: { web: 8000, db: 8001, app: 8002, public: 8003 },
    natAddresses: { nat1: "203.0.113.5" },
  };

  beforeAll(async () => {
    lab = await driverLab(TAG, 2, OUTSIDE_UNDERLAY);
    await createOutsideHost(underlayNamespace(TAG), TAG);
    configs = compileFor(lab.nodes, [tenant]).nodes;
    for (const [i, node] of lab.nodes.entries()) {
      const config = configs[node.name];
      if (config) await lab.drivers[i]?.apply(config, 1);
    }
  });

  afterAll(async () => {
    for (const driver of lab?.drivers ?? []) await driver.teardown();
    await destroyOwnedNamespaces(TAG);
  });

  it("agrees with the compiler's trace on policies, firewalls, routers, LB, FIP, NAT, DNS", async () => {
    const compiled = compileFor(lab.nodes, [tenant]);
    const disagreements: string[] = [];
    const rows: string[] = [];
    for (const flow of flows) {
      const traced = trace(compiled, "acme", flow);
      const got = await probeFlowOnLab(flow, "acme", Object.values(compiled.nodes), {
        nodes: lab.nodes,
        owner: TAG,
      });
      const row = `${flow.from} -> ${flow.to} ${flow.protocol}/${flow.port ?? "-"}: dataplane ${got}, trace ${traced.verdict} (${traced.reason})`;
      rows.push(row);
      if (got !== traced.verdict) disagreements.push(row);
    }
    expect(disagreements, rows.join("\n")).toEqual([]);
    // Both verdicts occur: the comparison is not trivially one-sided.
    expect(rows.some((row) => row.includes("dataplane allow"))).toBe(true);
    expect(rows.some((row) => row.includes("dataplane deny"))).toBe(true);
  }, 180_000);

  it("finds nothing to repair right after an apply (no false drift)", async () => {
    for (const [i, node] of lab.nodes.entries()) {
      const config = configs[node.name];
      if (!config) continue;
      expect((await lab.drivers[i]?.reconcile(config))?.repaired).toEqual([]);
    }
  });

  it("answers DNS for <workload>.<domain> at the gateway", async () => {
    const node2 = lab.nodes[1];
    if (!node2) throw new Error("no node");
    const query = `
      const d = require("node:dgram").createSocket("udp4");
      const name = "web-1.acme.internal".split(".");
      const q = Buffer.concat([Buffer.from([0x12,0x34,1,0,0,1,0,0,0,0,0,0]),
        ...name.map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l)])), Buffer.from([0,0,1,0,1])]);
      d.on("message", (m) => { const a = m.subarray(m.length - 4); console.log([...a].join(".")); process.exit(0); });
      d.send(q, 53, "10.1.0.1"); setTimeout(() => { console.log("timeout"); process.exit(1); }, 2000);`;
    const result = await runCommand([
      "ip",
      "netns",
      "exec",
      workloadNs(node2, "t-acme", "web-2"),
      process.execPath,
      "-e",
      query,
    ]);
    expect(result.stdout.trim()).toBe("10.1.0.10");
  });

  it("stops the DNS responder and leaves no namespace after teardown", async () => {
    for (const driver of lab.drivers) await driver.teardown();
    const left = await listNamespaces(`${lab.nodes[0]?.namespace ?? "?"}-`);
    expect(left).toEqual([]);
    // No responder of this lab survives (its command line names the lab's namespaces).
    const survivors: string[] = [];
    for (const pid of await readdir("/proc")) {
      if (!/^\d+$/.test(pid)) continue;
      const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
      if (cmdline.includes("netloom-dns") && cmdline.includes(ownerPrefix(TAG)))
        survivors.push(pid);
    }
    expect(survivors).toEqual([]);
  });
});
