import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import type { NodeConfig } from "@netloom/compiler";
import { check, trace } from "@netloom/compiler";
import { type Protocol, parseDocument, parseExpectFileOrThrow } from "@netloom/model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SHARED_EXAMPLES } from "../../../test-support/shared";
import {
  destroyOwnedNamespaces,
  listNamespaces,
  mustRun,
  ownerPrefix,
  probe,
  probeFlowOnLab,
  tenantNamespace,
} from "../src/linux";
import {
  compileFor,
  driverLab,
  intentOf,
  linuxSkipReason,
  loadIntent,
  nodeDriver,
  tenantInput,
  testOwner,
  workloadNs,
} from "./linux-helpers";

const TAG = testOwner("td");

const skipReason = await linuxSkipReason();
if (skipReason) console.warn(`linux dataplane tests skipped: ${skipReason}`);

/** The shared examples when this machine has them, else the copies next to this test. */
const SHARED = SHARED_EXAMPLES;
const example = (file: string) =>
  existsSync(`${SHARED}/${file}`)
    ? `${SHARED}/${file}`
    : path.join(import.meta.dirname, `linux-${file}`);

describe.skipIf(skipReason !== undefined)("linux driver on two nodes", () => {
  let lab: Awaited<ReturnType<typeof driverLab>>;
  let configs: Record<string, NodeConfig>;
  const shop = loadIntent(example("three-tier.yaml"));
  const red = intentOf({
    tenant: "red",
    networks: [{ name: "net", subnets: [{ cidr: "10.77.0.0/24" }] }],
    workloads: [
      { name: "a", node: "compute-1", interfaces: [{ network: "net", ip: "10.77.0.10" }] },
      {
        name: "b",
        node: "compute-2",
        interfaces: [{ network: "net", ip: "10.77.0.11", securityGroups: ["guard"] }],
      },
    ],
    securityGroups: [
      {
        name: "guard",
        rules: [
          { direction: "ingress", protocol: "tcp", ports: 5000, remote: "10.77.0.10/32" },
          { direction: "egress", protocol: "any", remote: "0.0.0.0/0" },
        ],
      },
    ],
  });
  const blue = intentOf({
    tenant: "blue",
    networks: [{ name: "net", subnets: [{ cidr: "10.77.0.0/24" }] }],
    workloads: [
      { name: "a", node: "compute-1", interfaces: [{ network: "net", ip: "10.77.0.10" }] },
      { name: "b", node: "compute-2", interfaces: [{ network: "net", ip: "10.77.0.11" }] },
      { name: "c", node: "compute-2", interfaces: [{ network: "net", ip: "10.77.0.12" }] },
    ],
  });
  const tenants = [
    tenantInput(shop, "t-shop", 5000),
    tenantInput(red, "t-red", 6000),
    tenantInput(blue, "t-blue", 7000),
  ];

  const ns = (tenantId: string, workload: string) => {
    const hostIntent = tenants.find((tenant) => tenant.id === tenantId)?.intent;
    const node = hostIntent?.workloads?.find((w) => w.name === workload)?.node;
    const hostNode = lab.nodes.find((candidate) => candidate.name === node);
    if (!hostNode) throw new Error(`no node for ${workload}`);
    return workloadNs(hostNode, tenantId, workload);
  };
  /**
   * One probe from workload `from` to `host`, where workload `to` listens on the flow's own
   * port (workloads as `[tenantId, name]`).
   */
  const between = (
    from: [string, string],
    to: [string, string],
    host: string,
    protocol: Protocol,
    port = 80,
  ) =>
    probe({
      sourceNamespace: ns(...from),
      host,
      protocol,
      port,
      listeners: [{ namespace: ns(...to), port }],
    });
  const applyAll = async (generation: number) => {
    for (const [i, node] of lab.nodes.entries()) {
      const config = configs[node.name];
      const driver = lab.drivers[i];
      if (config && driver) await driver.apply(config, generation);
    }
  };

  beforeAll(async () => {
    lab = await driverLab(TAG, 2);
    configs = compileFor(lab.nodes, tenants).nodes;
    await applyAll(1);
  });

  afterAll(async () => {
    for (const driver of lab?.drivers ?? []) await driver.teardown();
    await destroyOwnedNamespaces(TAG);
  });

  it("carries TCP across nodes inside one network", async () => {
    const verdict = await between(
      ["t-shop", "web-1"],
      ["t-shop", "web-2"],
      "10.10.1.11",
      "tcp",
      22,
    );
    expect(verdict).toBe("allow");
  });

  it("enforces policies: a one-way rule allows one direction only", async () => {
    const forward = await between(
      ["t-shop", "web-1"],
      ["t-shop", "app-1"],
      "10.10.2.10",
      "tcp",
      8080,
    );
    const backward = await between(
      ["t-shop", "app-1"],
      ["t-shop", "web-1"],
      "10.10.1.10",
      "tcp",
      8080,
    );
    expect([forward, backward]).toEqual(["allow", "deny"]);
  });

  it("enforces ingress security groups at the destination and counts per rule id", async () => {
    const before = await lab.drivers[1]?.counters();
    const beforeByTenant = await lab.drivers[1]?.tenantCounters();
    const allowed = await between(["t-red", "a"], ["t-red", "b"], "10.77.0.11", "tcp", 5000);
    const refused = await between(["t-red", "a"], ["t-red", "b"], "10.77.0.11", "tcp", 5001);
    // Replies of b's own flows pass as established although nothing allows them inbound.
    const outbound = await between(["t-red", "b"], ["t-red", "a"], "10.77.0.10", "tcp", 80);
    expect([allowed, refused, outbound]).toEqual(["allow", "deny", "allow"]);
    // b sits on compute-2: its ingress group is evaluated there.
    const after = await lab.drivers[1]?.counters();
    const delta = (id: string) => (after?.[id] ?? 0) - (before?.[id] ?? 0);
    expect(delta("sg:guard/0")).toBeGreaterThanOrEqual(1);
    expect(delta("implicit:sg-default:guard")).toBeGreaterThanOrEqual(1);
    // The same hits, keyed by the tenant whose table counted them; blue has no such rule.
    const afterByTenant = await lab.drivers[1]?.tenantCounters();
    const redDelta = (id: string) =>
      (afterByTenant?.["t-red"]?.[id] ?? 0) - (beforeByTenant?.["t-red"]?.[id] ?? 0);
    expect(redDelta("sg:guard/0")).toBe(delta("sg:guard/0"));
    expect(afterByTenant?.["t-blue"]?.["sg:guard/0"]).toBeUndefined();
    expect(Object.keys(afterByTenant ?? {}).sort()).toEqual(["t-blue", "t-red", "t-shop"]);
  });

  it("keeps two tenants with the same CIDR on the same nodes apart", async () => {
    const redToRed = await between(["t-red", "a"], ["t-red", "b"], "10.77.0.11", "tcp", 5000);
    // Only blue listens on 10.77.0.11:7001; red's packet must land on red's b (no listener).
    const redToBlue = await between(["t-red", "a"], ["t-blue", "b"], "10.77.0.11", "tcp", 7001);
    // 10.77.0.12 exists only in blue.
    const redToBlueOnly = await between(["t-red", "a"], ["t-blue", "c"], "10.77.0.12", "icmp");
    const blueToBlue = await between(["t-blue", "a"], ["t-blue", "c"], "10.77.0.12", "udp", 53);
    expect([redToRed, redToBlue, redToBlueOnly, blueToBlue]).toEqual([
      "allow",
      "deny",
      "deny",
      "allow",
    ]);
  });

  it("puts back a hand-deleted nft rule and a deleted device on reconcile", async () => {
    const node1 = lab.nodes[0];
    const driver = lab.drivers[0];
    const config = configs["compute-1"];
    if (!node1 || !driver || !config) throw new Error("lab incomplete");
    const shopKey = config.tenants.find((tenant) => tenant.tenantId === "t-shop")?.tenantKey ?? "";
    const tenantNs = tenantNamespace(node1.namespace, shopKey);
    const nft = (...args: string[]) => mustRun(["ip", "netns", "exec", tenantNs, "nft", ...args]);
    const ruleset = JSON.parse(await nft("-j", "list", "chain", "inet", "netloom", "forward")) as {
      nftables: { rule?: { handle: number } }[];
    };
    const handles = ruleset.nftables.flatMap((entry) => (entry.rule ? [entry.rule.handle] : []));
    const last = handles[handles.length - 1];
    await nft("delete", "rule", "inet", "netloom", "forward", "handle", String(last));
    const web1Port = config.tenants
      .flatMap((tenant) => tenant.localInterfaces)
      .find((port) => port.workload === "web-1");
    await mustRun(["ip", "-n", tenantNs, "link", "del", `v${web1Port?.portId}`]);

    const broken = await between(["t-shop", "web-1"], ["t-shop", "web-2"], "10.10.1.11", "tcp", 22);
    expect(broken).toBe("deny");

    const report = await driver.reconcile(config);
    expect(report.repaired.some((line) => line.includes("nft"))).toBe(true);
    expect(report.repaired.some((line) => line.includes(`v${web1Port?.portId}`))).toBe(true);
    const again = await driver.reconcile(config);
    expect(again.repaired).toEqual([]);

    const repaired = await between(
      ["t-shop", "web-1"],
      ["t-shop", "web-2"],
      "10.10.1.11",
      "tcp",
      22,
    );
    expect(repaired).toBe("allow");
    // The forward chain's last rule (ingress SG dispatch) is back: db-1 is filtered again.
    const sg = await between(["t-shop", "app-1"], ["t-shop", "db-1"], "10.10.3.10", "tcp", 22);
    expect(sg).toBe("deny");
  });

  it("agrees with the compiler on every verdict of the three-tier example", async () => {
    const expectations = parseExpectFileOrThrow(
      parseDocument(readFileSync(example("three-tier.expect.yaml"), "utf8")),
    ).expect;
    const compiled = compileFor(lab.nodes, tenants);
    const compiledCheck = check(compiled, "shop", expectations);
    expect(compiledCheck.mismatches).toEqual([]);
    const rows: string[] = [];
    for (const flow of expectations) {
      const traced = trace(compiled, "shop", { tenant: "shop", ...flow });
      const got = await probeFlowOnLab(flow, "shop", Object.values(compiled.nodes), {
        nodes: lab.nodes,
        owner: TAG,
      });
      rows.push(
        `${flow.from}->${flow.to} ${flow.protocol}/${flow.port ?? "-"}: ${got}/${traced.verdict}`,
      );
      expect({ flow, got }).toEqual({ flow, got: traced.verdict });
    }
    expect(rows).toHaveLength(expectations.length);
  }, 120_000);

  it("removes what is no longer desired after a restart, and teardown leaves nothing", async () => {
    const node2 = lab.nodes[1];
    const config = configs["compute-2"];
    if (!node2 || !config) throw new Error("lab incomplete");
    // A fresh driver stands for the agent after kill -9: no memory of what it made.
    const restarted = nodeDriver(node2);
    const withoutBlue: NodeConfig = {
      ...config,
      tenants: config.tenants.filter((tenant) => tenant.tenantId !== "t-blue"),
    };
    await restarted.apply(withoutBlue, 2);
    const blueKey = config.tenants.find((tenant) => tenant.tenantId === "t-blue")?.tenantKey ?? "";
    const left = await listNamespaces(`${node2.namespace}-`);
    expect(left).not.toContain(tenantNamespace(node2.namespace, blueKey));
    expect(left).not.toContain(ns("t-blue", "b"));
    expect(left).toContain(ns("t-red", "b"));

    for (const driver of lab.drivers) await driver.teardown();
    await restarted.teardown();
    expect(await listNamespaces(`${node2.namespace}-`)).toEqual([]);
    await destroyOwnedNamespaces(TAG);
    expect(await listNamespaces(ownerPrefix(TAG))).toEqual([]);
  });
});
