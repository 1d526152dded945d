import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { NodeConfig } from "@netloom/compiler";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  destroyOwnedNamespaces,
  listNamespaces,
  mustRun,
  probe,
  tenantNamespace,
} from "../src/linux";
import {
  compileFor,
  driverLab,
  intentOf,
  linuxSkipReason,
  nodeDriver,
  tenantInput,
  testOwner,
  workloadNs,
} from "./linux-helpers";

const TAG = testOwner("tc");
const skipReason = await linuxSkipReason();
if (skipReason) console.warn(`linux crash tests skipped: ${skipReason}`);

const tenantWith = (name: string, count: number, cidr: string) =>
  intentOf({
    tenant: name,
    networks: [{ name: "net", subnets: [{ cidr: `${cidr}.0/24` }] }],
    workloads: Array.from({ length: count }, (_, i) => ({
      name: `w${i}`,
      node: `compute-${(i % 2) + 1}`,
      interfaces: [{ network: "net", ip: `${cidr}.${10 + i}` }],
    })),
    securityGroups: [
      {
        name: "sg",
        rules: [{ direction: "ingress", protocol: "tcp", ports: 22, remote: "0.0.0.0/0" }],
      },
    ],
  });

/** A tenant with only workload w0, on compute-1 at `ip`, in `${cidr}.0/24`. */
const loneWorkload = (name: string, cidr: string, ip: string) =>
  intentOf({
    tenant: name,
    networks: [{ name: "net", subnets: [{ cidr: `${cidr}.0/24` }] }],
    workloads: [{ name: "w0", node: "compute-1", interfaces: [{ network: "net", ip }] }],
  });

/** Runs an apply in a child process and kills it with SIGKILL after `afterMs`. */
function applyAndKill(config: NodeConfig, nodeNs: string, underlay: string, afterMs: number) {
  const dir = mkdtempSync(path.join(tmpdir(), "nl-crash-"));
  const file = path.join(dir, "config.json");
  writeFileSync(file, JSON.stringify(config));
  const script = path.join(import.meta.dirname, "linux-apply-child.ts");
  return new Promise<string>((resolve) => {
    const child = spawn(process.execPath, ["--import", "tsx", script, file, nodeNs, underlay], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("start")) setTimeout(() => child.kill("SIGKILL"), afterMs);
    });
    child.on("exit", () => resolve(out));
  });
}

describe.skipIf(skipReason !== undefined)(
  "linux driver convergence: kill -9 mid-apply, peers and addresses that change",
  () => {
    let lab: Awaited<ReturnType<typeof driverLab>>;
    beforeAll(async () => {
      lab = await driverLab(TAG, 2);
    });
    afterAll(async () => {
      await destroyOwnedNamespaces(TAG);
    });

    /** The first node with a fresh driver of its own (the lab's drivers stay unused). */
    const firstNode = () => {
      const node1 = lab.nodes[0];
      if (!node1) throw new Error("lab incomplete");
      return { node1, driver: nodeDriver(node1) };
    };
    /** compute-1's config for one tenant. */
    const compute1Config = (intent: ReturnType<typeof intentOf>, id: string, vniBase: number) =>
      compileFor(lab.nodes, [tenantInput(intent, id, vniBase)]).nodes["compute-1"];

    it("converges with no orphans when restarted with a smaller config", async () => {
      const big = [
        tenantInput(tenantWith("alpha", 16, "10.91.0"), "t-alpha", 9300),
        tenantInput(tenantWith("beta", 16, "10.92.0"), "t-beta", 9400),
      ];
      const small = [tenantInput(tenantWith("alpha", 6, "10.91.0"), "t-alpha", 9300)];
      const node1 = lab.nodes[0];
      const node2 = lab.nodes[1];
      if (!node1 || !node2) throw new Error("lab incomplete");
      const bigConfigs = compileFor(lab.nodes, big).nodes;
      const bigConfig = bigConfigs["compute-1"];
      if (!bigConfig) throw new Error("no config");

      // Several crash points: early (namespaces), middle (devices), late (rules).
      const outputs: string[] = [];
      for (const afterMs of [30, 120, 250]) {
        outputs.push(await applyAndKill(bigConfig, node1.namespace, node1.underlay, afterMs));
      }
      const leftovers = await listNamespaces(`${node1.namespace}-`);
      expect(leftovers.length).toBeGreaterThan(0);

      const smallConfigs = compileFor(lab.nodes, small).nodes;
      const restarted = lab.nodes.map((node) => nodeDriver(node));
      for (const [i, node] of lab.nodes.entries()) {
        const config = smallConfigs[node.name];
        if (config) await restarted[i]?.apply(config, 2);
      }

      const smallConfig = smallConfigs["compute-1"];
      const alphaKey = smallConfig?.tenants[0]?.tenantKey ?? "";
      const expected = [
        tenantNamespace(node1.namespace, alphaKey),
        ...[0, 2, 4].map((i) => workloadNs(node1, "t-alpha", `w${i}`)),
      ].sort();
      expect((await listNamespaces(`${node1.namespace}-`)).sort()).toEqual(expected);
      // No VXLAN device stranded in the node namespace, none of beta's anywhere.
      const nodeLinks = await mustRun(["ip", "-n", node1.namespace, "-br", "link"]);
      expect(nodeLinks).not.toMatch(/^vx/m);
      const reconcile = await restarted[0]?.reconcile(smallConfig as NodeConfig);
      expect(reconcile?.repaired).toEqual([]);

      const verdict = await probe({
        sourceNamespace: workloadNs(node1, "t-alpha", "w0"),
        host: "10.91.0.11",
        protocol: "tcp",
        port: 22,
        listeners: [{ namespace: workloadNs(node2, "t-alpha", "w1"), port: 22 }],
      });
      expect(verdict).toBe("allow");
      for (const driver of restarted) await driver.teardown();
      expect(outputs.length).toBe(3);
    }, 120_000);

    it("drops the FDB entries of a peer that no longer hosts the network", async () => {
      const { node1, driver } = firstNode();
      const fdbOf = async (config: NodeConfig) => {
        const key = config.tenants[0]?.tenantKey ?? "";
        return mustRun([
          "bridge",
          "-n",
          tenantNamespace(node1.namespace, key),
          "fdb",
          "show",
          "dev",
          "vx9500",
        ]);
      };
      const first = compute1Config(tenantWith("gamma", 2, "10.93.0"), "t-gamma", 9500);
      const second = compute1Config(
        loneWorkload("gamma", "10.93.0", "10.93.0.10"),
        "t-gamma",
        9500,
      );
      if (!first || !second) throw new Error("no config");
      await driver.apply(first, 1);
      expect(await fdbOf(first)).toContain("dst 198.18.0.12");
      await driver.apply(second, 2);
      expect(await fdbOf(second)).not.toContain("dst 198.18.0.12");
      await driver.teardown();
    });

    it("moves a workload to a new address without leaving the old one behind", async () => {
      const { node1, driver } = firstNode();
      const at = (ip: string) =>
        compute1Config(loneWorkload("delta", "10.94.0", ip), "t-delta", 9600);
      const before = at("10.94.0.10");
      const after = at("10.94.0.20");
      if (!before || !after) throw new Error("no config");
      await driver.apply(before, 1);
      await driver.apply(after, 2);
      const wns = workloadNs(node1, "t-delta", "w0");
      const addresses = await mustRun([
        "ip",
        "-n",
        wns,
        "-4",
        "-br",
        "addr",
        "show",
        "dev",
        "eth0",
      ]);
      expect(addresses).toContain("10.94.0.20/24");
      expect(addresses).not.toContain("10.94.0.10");
      const key = after.tenants[0]?.tenantKey ?? "";
      const routes = await mustRun(["ip", "-n", tenantNamespace(node1.namespace, key), "route"]);
      expect(routes).toContain("10.94.0.20");
      expect(routes).not.toContain("10.94.0.10");
      await driver.teardown();
    });
  },
);
