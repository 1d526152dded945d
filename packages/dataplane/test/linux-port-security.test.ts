import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import path from "node:path";
import type { LocalInterface, NodeConfig } from "@netloom/compiler";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { destroyOwnedNamespaces, runCommand, tenantNamespace } from "../src/linux";
import { portGatewayMac } from "../src/linux/names";
import { ANTI_SPOOFING_RULE } from "../src/linux/nft";
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
 * Issue 9 §5, with real frames (scapy): a workload can send only from its own MAC and its own
 * address or an allowed one; anything forged dies at its own node, on the way to a workload on
 * the same node and to one across nodes, and counts under `implicit:anti-spoofing`.
 */

const TAG = testOwner("tp");
// Debian's python3 carries python3-scapy; another python3 on PATH may not.
const PYTHON = existsSync("/usr/bin/python3") ? "/usr/bin/python3" : "python3";
const FRAMES = path.join(import.meta.dirname, "linux-frames.py");

async function skipReason(): Promise<string | undefined> {
  const linux = await linuxSkipReason();
  if (linux) return linux;
  const scapy = await runCommand([PYTHON, "-c", "import scapy.all"]).catch(() => undefined);
  if (scapy?.code !== 0) return "python3-scapy missing (apt-get install python3-scapy)";
  return undefined;
}
const skip = await skipReason();
if (skip) console.warn(`port security tests skipped: ${skip}`);

const intent = intentOf({
  tenant: "red",
  networks: [
    { name: "net", subnets: [{ cidr: "10.77.0.0/24" }] },
    { name: "other", subnets: [{ cidr: "10.78.0.0/24" }] },
  ],
  workloads: [
    {
      name: "a",
      node: "compute-1",
      interfaces: [{ network: "net", ip: "10.77.0.10", allowedAddresses: ["10.77.0.50/32"] }],
    },
    { name: "b", node: "compute-1", interfaces: [{ network: "net", ip: "10.77.0.11" }] },
    { name: "c", node: "compute-2", interfaces: [{ network: "net", ip: "10.77.0.12" }] },
    { name: "d", node: "compute-1", interfaces: [{ network: "other", ip: "10.78.0.10" }] },
  ],
});

/** Runs the frames helper inside a namespace. */
const frames = (namespace: string, args: string[]) =>
  runCommand(["ip", "netns", "exec", namespace, PYTHON, FRAMES, ...args]);

/** A UDP listener in `namespace`; `received` resolves to the tokens that arrived. */
function listen(namespace: string, port: number, seconds: number) {
  const child = spawn(
    "ip",
    ["netns", "exec", namespace, PYTHON, FRAMES, "listen-udp", `${port}`, `${seconds}`],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  let err = "";
  child.stderr.on("data", (chunk: Buffer) => {
    err += chunk.toString();
  });
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString();
      if (out.includes("ready")) resolve();
    });
    child.on("exit", () => reject(new Error(`listener in ${namespace} exited: ${err}`)));
  });
  const received = new Promise<{ token: string; from: string }[]>((resolve, reject) => {
    child.on("exit", () => {
      const line = out.split("\n").find((candidate) => candidate.startsWith("["));
      if (line === undefined) reject(new Error(`listener in ${namespace}: ${out} ${err}`));
      else resolve(JSON.parse(line) as { token: string; from: string }[]);
    });
  });
  return { ready, received };
}

describe.skipIf(skip !== undefined)("port security with forged frames", () => {
  let lab: Awaited<ReturnType<typeof driverLab>>;
  let configs: Record<string, NodeConfig>;

  const port = (workload: string): LocalInterface => {
    for (const config of Object.values(configs)) {
      for (const tenant of config.tenants) {
        const found = tenant.localInterfaces.find((candidate) => candidate.workload === workload);
        if (found) return found;
      }
    }
    throw new Error(`no port of ${workload}`);
  };
  const nsOf = (workload: string) => {
    const node = lab.nodes.find(
      (candidate) => candidate.name === intent.workloads?.find((w) => w.name === workload)?.node,
    );
    if (!node) throw new Error(`no node for ${workload}`);
    return workloadNs(node, "t-red", workload);
  };
  /** The anti-spoofing count of compute-1 (both its tables). */
  const antiSpoofing = async () => (await lab.drivers[0]?.counters())?.[ANTI_SPOOFING_RULE] ?? 0;

  beforeAll(async () => {
    lab = await driverLab(TAG, 2);
    configs = compileFor(lab.nodes, [tenantInput(intent, "t-red", 8100)]).nodes;
    for (const [i, node] of lab.nodes.entries()) {
      const config = configs[node.name];
      if (config) await lab.drivers[i]?.apply(config, 1);
    }
  }, 60_000);

  afterAll(async () => {
    for (const driver of lab?.drivers ?? []) await driver.teardown();
    await destroyOwnedNamespaces(TAG);
  });

  it("delivers only unforged frames and allowed addresses, same node and across nodes", async () => {
    const a = port("a");
    const forgedMac = "02:de:ad:be:ef:01";
    const sources = {
      own: { mac: a.mac, ip: a.ip, delivered: true },
      allowed: { mac: a.mac, ip: "10.77.0.50", delivered: true },
      otherWorkload: { mac: a.mac, ip: port("b").ip, delivered: false },
      unused: { mac: a.mac, ip: "10.77.0.99", delivered: false },
      internet: { mac: a.mac, ip: "8.8.8.8", delivered: false },
      otherNetwork: { mac: a.mac, ip: port("d").ip, delivered: false },
      forgedMac: { mac: forgedMac, ip: a.ip, delivered: false },
      forgedBoth: { mac: forgedMac, ip: "10.77.0.99", delivered: false },
    };
    const targets = { sameNode: port("b"), acrossNodes: port("c") } as const;
    const before = await antiSpoofing();
    const listeners = Object.fromEntries(
      Object.entries(targets).map(([where, target]) => [
        where,
        listen(nsOf(target.workload), 9999, 6),
      ]),
    );
    for (const listener of Object.values(listeners)) await listener.ready;
    const batch = Object.entries(targets).flatMap(([where, target]) =>
      Object.entries(sources).map(([kind, source]) => ({
        srcMac: source.mac,
        srcIp: source.ip,
        dstMac: portGatewayMac(a.portId),
        dstIp: target.ip,
        port: 9999,
        token: `${where}:${kind}`,
      })),
    );
    const sent = await frames(nsOf("a"), ["send-udp", "eth0", JSON.stringify(batch)]);
    expect(sent.code, sent.stderr).toBe(0);
    const got: string[] = [];
    for (const [where, listener] of Object.entries(listeners)) {
      for (const { token, from } of await listener.received) {
        expect(token.startsWith(`${where}:`)).toBe(true);
        got.push(`${token} from ${from}`);
      }
    }
    const expected = Object.keys(targets).flatMap((where) =>
      Object.entries(sources)
        .filter(([, source]) => source.delivered)
        .map(([kind, source]) => `${where}:${kind} from ${source.ip}`),
    );
    expect(got.sort()).toEqual(expected.sort());
    // Every forged frame dropped at a's node, once each.
    const forged = Object.values(sources).filter((source) => !source.delivered).length;
    expect((await antiSpoofing()) - before).toBe(forged * Object.keys(targets).length);
    // compute-2 never saw them: nothing to count there.
    expect((await lab.drivers[1]?.counters())?.[ANTI_SPOOFING_RULE] ?? 0).toBe(0);
  }, 60_000);

  it("answers ARP only for a sender that names its own MAC and address", async () => {
    const a = port("a");
    const gatewayMac = portGatewayMac(a.portId);
    const ask = async (mac: string, sender: string) => {
      const result = await frames(nsOf("a"), ["arp", "eth0", mac, sender, a.gateway]);
      expect(result.code, result.stderr).toBe(0);
      return result.stdout.trim();
    };
    const before = await antiSpoofing();
    expect(await ask(a.mac, a.ip)).toBe(gatewayMac);
    expect(await ask(a.mac, "10.77.0.50")).toBe(gatewayMac);
    expect(await ask(a.mac, port("b").ip)).toBe("none");
    expect(await ask(a.mac, "10.77.0.99")).toBe("none");
    expect(await ask("02:de:ad:be:ef:02", a.ip)).toBe("none");
    expect((await antiSpoofing()) - before).toBe(3);
    // The forged sender poisoned nothing: b's neighbour entry still points at b.
    const tenant = configs["compute-1"]?.tenants[0];
    const neighbours = await runCommand([
      "ip",
      "-n",
      tenantNamespace(lab.nodes[0]?.namespace ?? "", tenant?.tenantKey ?? ""),
      "neigh",
      "show",
      port("b").ip,
    ]);
    expect(neighbours.stdout).toContain(port("b").mac);
    expect(neighbours.stdout).not.toContain(a.mac);
  }, 60_000);
});
