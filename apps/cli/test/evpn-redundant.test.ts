import { spawn } from "node:child_process";
import { rmSync } from "node:fs";
import { createServer, type NetloomServer } from "@netloom/controller";
import { mustRun, runCommand, sendProbe } from "@netloom/dataplane";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  GATEWAY_UNDERLAY,
  gatewayVtysh,
  internetNamespace,
  redundantSpeakerUnderlay,
  speakerNamespace,
} from "../src/lab/gateway";
import { readLabState } from "../src/lab/state";
import { cliWorkspace, evpnSkipReason, until } from "./evpn-helpers";

/**
 * Issue 14, "a killed speaker restarts and the gateway keeps forwarding": Debian's FRR 8.4 drops
 * the EVPN routes of a restarting peer (graceful restart stops short of l2vpn-evpn), so one
 * speaker's restart is an outage. The answer is Contrail's: every controller is a speaker and the
 * gateway peers with all of them. Two controllers on one PostgreSQL, each with its gobgpd in its
 * own speaker namespace (`lab up --gateway --speakers 2`), both originating the same exports; the
 * gobgpd whose path FRR does not use is killed while the internet host pings a floating IP every
 * 50 ms: no ping is lost and FRR's kernel route never leaves. Killing the other one is NOT
 * survived with FRR 8.4 (see the second test's comment): the deployment is half an answer.
 */

const baseUrl = process.env.NETLOOM_TEST_DATABASE_URL;
const skip = baseUrl ? await evpnSkipReason() : "NETLOOM_TEST_DATABASE_URL is not set";
if (skip) console.warn(`evpn redundant-speaker tests skipped: ${skip}`);

const TOKEN = "evpn-redundant-token-0123456789";
const LAB = `er${process.pid.toString(36)}`;
const DATABASE = `er_${process.pid}_${Date.now().toString(36)}`;
const FIP = "203.0.113.10";

const FABRIC = {
  apiVersion: "netloom/v1",
  kind: "Fabric",
  nodes: [
    { name: "compute-1", underlay: "198.18.0.11" },
    { name: "compute-2", underlay: "198.18.0.12" },
  ],
  externalNetworks: [
    {
      name: "public",
      subnets: [{ cidr: "203.0.113.0/24" }],
      evpn: { vni: 5000, routeTarget: "65000:5000" },
    },
  ],
};

const TENANT = {
  apiVersion: "netloom/v1",
  tenant: "red",
  networks: [{ name: "web", subnets: [{ cidr: "10.60.1.0/24" }] }],
  floatingIpPools: [{ name: "fip", network: "public" }],
  workloads: [
    {
      name: "open",
      node: "compute-1",
      interfaces: [
        {
          network: "web",
          ip: "10.60.1.10",
          securityGroups: ["open"],
          floatingIp: { pool: "fip", ip: FIP },
        },
      ],
    },
  ],
  securityGroups: [
    {
      name: "open",
      rules: [
        { direction: "ingress", protocol: "icmp", remote: "0.0.0.0/0" },
        { direction: "egress", protocol: "any", remote: "0.0.0.0/0" },
      ],
    },
  ],
};

/** The peer of FRR's best path for one type-5 prefix. */
async function frrBestPeer(frrDir: string, prefix: string): Promise<string | undefined> {
  const out = await gatewayVtysh({ frrDir }, "show bgp l2vpn evpn json");
  const table = JSON.parse(out) as Record<string, unknown>;
  for (const byRd of Object.values(table)) {
    if (!byRd || typeof byRd !== "object" || !("rd" in byRd)) continue;
    for (const [key, entry] of Object.entries(byRd as Record<string, unknown>)) {
      if (!key.endsWith(`:[${prefix}]`) || !entry || typeof entry !== "object") continue;
      const paths = ((entry as { paths?: unknown[] }).paths ?? []).flat() as {
        peerId?: string;
        bestpath?: boolean;
      }[];
      const chosen = paths.find((one) => one.bestpath);
      if (chosen?.peerId) return chosen.peerId;
    }
  }
  return undefined;
}

/** One statement on the test server's maintenance database (psql: the CLI has no pg client). */
const psql = (statement: string) => mustRun(["psql", baseUrl ?? "", "-qc", statement]);

/** FRR's paths for one type-5 prefix: the peer each came from. */
async function frrPathPeers(frrDir: string, prefix: string): Promise<string[]> {
  const out = await gatewayVtysh({ frrDir }, "show bgp l2vpn evpn json");
  const table = JSON.parse(out) as Record<string, unknown>;
  const peers: string[] = [];
  for (const byRd of Object.values(table)) {
    if (!byRd || typeof byRd !== "object" || !("rd" in byRd)) continue;
    for (const [key, entry] of Object.entries(byRd as Record<string, unknown>)) {
      if (!key.endsWith(`:[${prefix}]`) || !entry || typeof entry !== "object") continue;
      const paths = ((entry as { paths?: unknown[] }).paths ?? []).flat() as {
        peerId?: string;
      }[];
      for (const one of paths) if (one.peerId) peers.push(one.peerId);
    }
  }
  return peers.sort();
}

describe.skipIf(skip !== undefined)("redundant speakers behind a real FRR gateway", () => {
  const { work, netloom, file } = cliWorkspace(TOKEN);
  const servers: NetloomServer[] = [];
  let url = "";
  let frrDir = "";
  let gatewayNs = "";
  const internet = internetNamespace(LAB);
  const speakers = [0, 1].map((index) => ({
    namespace: speakerNamespace(LAB, index),
    address: redundantSpeakerUnderlay(index),
  }));
  const bgpOf = async (server: NetloomServer) => server.services.bgp?.status();
  const routeInstalled = async () => {
    const result = await runCommand(["ip", "-n", gatewayNs, "route", "show", "exact", `${FIP}/32`]);
    return result.code === 0 && result.stdout.trim() !== "";
  };

  beforeAll(async () => {
    await psql(`CREATE DATABASE ${DATABASE}`);
    const database = new URL(baseUrl ?? "");
    database.pathname = `/${DATABASE}`;
    for (const [index, speaker] of speakers.entries()) {
      const server = await createServer({
        port: 0,
        host: "127.0.0.1",
        dataDir: "memory://",
        databaseUrl: database.toString(),
        bootstrapToken: TOKEN,
        logger: false,
        bgp: {
          namespace: speaker.namespace,
          source: `${LAB}-speaker-${index}`,
          ...(index > 0 ? { routerId: speaker.address } : {}),
        },
      });
      servers.push(server);
    }
    const [first, second] = servers;
    if (!first || !second) throw new Error("two controllers expected");
    url = await first.listen();
    await second.listen();
    const up = await netloom(
      ["lab", "up", "--nodes", "2", "--name", LAB, "--gateway", "--speakers", "2"],
      url,
    );
    expect(up, up.stderr).toMatchObject({ code: 0 });
    expect(up.stderr).toContain(`NETLOOM_BGP_ROUTER_ID=${speakers[1]?.address}`);
    const state = await readLabState(work, LAB);
    expect(state?.speakers).toEqual(speakers);
    frrDir = state?.gateway?.frrDir ?? "";
    gatewayNs = state?.gateway?.namespace ?? "";
    const fabric = await netloom(["apply", "-f", file("fabric.json", FABRIC)], url);
    expect(fabric, fabric.stderr).toMatchObject({ code: 0 });
    const applied = await netloom(["apply", "-f", file("red.json", TENANT), "--wait"], url);
    expect(applied, applied.stderr).toMatchObject({ code: 0 });
  }, 180_000);

  afterAll(async () => {
    await netloom(["lab", "down", "--name", LAB], url);
    for (const server of servers) await server.close();
    rmSync(work, { recursive: true, force: true });
    await psql(`DROP DATABASE IF EXISTS ${DATABASE} WITH (FORCE)`);
  }, 60_000);

  it("both controllers' speakers peer with FRR, each with its own router id, and originate the floating IP", async () => {
    for (const [index, server] of servers.entries()) {
      const status = await until(
        `speaker ${index} up with the export`,
        async () => {
          const bgp = await bgpOf(server);
          return bgp?.configured &&
            bgp.peers[0]?.state === "up" &&
            bgp.peers[0].prefixesAdvertised === 1
            ? bgp
            : undefined;
        },
        90_000,
      );
      expect(status.routerId).toBe(speakers[index]?.address);
      expect(status.peers[0]).toMatchObject({ address: GATEWAY_UNDERLAY, as: 65100 });
    }
    await until(
      "FRR to hold a path from each speaker",
      async () => (await frrPathPeers(frrDir, FIP)).length === 2,
    );
    expect(await frrPathPeers(frrDir, FIP)).toEqual(speakers.map((s) => s.address).sort());
    await until("the kernel route on the gateway", routeInstalled);
    await until(
      "forwarding from the internet",
      async () => (await sendProbe(internet, "icmp", FIP, 0, 2000)) === "allow",
    );
  }, 120_000);

  /**
   * Only the speaker whose path is not FRR's best: killing the best path's speaker was measured
   * (same test, victim = best) to lose every ping from the kill on, for good: FRR keeps the kernel
   * route but zebra deletes the router-MAC neighbour and FDB entry (198.18.0.11 dev br5000
   * INCOMPLETE) when the route moves to the other, identical path, and does not restore them
   * even once the killed speaker is back with both paths in FRR (docs/evpn.md).
   */
  it("the speaker FRR does not use killed: it restarts, and not one ping of 50 ms each is lost", async () => {
    const best = await frrBestPeer(frrDir, FIP);
    const bestIndex = speakers.findIndex((one) => one.address === best);
    expect(bestIndex).toBeGreaterThanOrEqual(0);
    // The speaker whose path FRR does not use: killing the one it uses blackholes (see below).
    const victimIndex = 1 - bestIndex;
    const victim = servers[victimIndex];
    const speaker = victim?.services.bgp?.current;
    const pid = speaker?.pid;
    expect(pid).toBeTypeOf("number");
    const windowMs = 8_000;
    const intervalMs = 50;
    const ping = spawn("ip", [
      ...["netns", "exec", internet, "ping", "-n", "-i", String(intervalMs / 1000)],
      ...["-W", "1", "-c", String(windowMs / intervalMs), FIP],
    ]);
    let output = "";
    ping.stdout.on("data", (chunk: Buffer) => {
      output += chunk.toString();
    });
    const done = new Promise<number | null>((resolve) => ping.on("close", resolve));
    let routeChecks = 0;
    let routeMissing = 0;
    let killed = false;
    const startedAt = Date.now();
    let exited = false;
    void done.then(() => {
      exited = true;
    });
    while (!exited) {
      if (!killed && Date.now() - startedAt > 1_500) {
        process.kill(pid ?? 0, "SIGKILL");
        killed = true;
      }
      routeChecks += 1;
      if (!(await routeInstalled())) routeMissing += 1;
      await new Promise((resolve) => setTimeout(resolve, intervalMs));
    }
    await done;
    const summary = /(\d+) packets transmitted, (\d+) received/.exec(output);
    const sent = Number(summary?.[1] ?? 0);
    const received = Number(summary?.[2] ?? 0);
    console.log(
      JSON.stringify({
        bench: "evpn-redundant-speaker-kill",
        killed: speakers[victimIndex]?.address,
        frrBest: best,
        intervalMs,
        pingsSent: sent,
        pingsLost: sent - received,
        routeChecks,
        routeMissing,
      }),
    );
    expect(killed).toBe(true);
    expect(sent).toBe(windowMs / intervalMs);
    expect(sent - received).toBe(0);
    expect(routeMissing).toBe(0);
    // The killed speaker came back: a new gobgpd, up again with the export, both paths in FRR.
    const status = await until(
      "the killed speaker back",
      async () => {
        const bgp = victim ? await bgpOf(victim) : undefined;
        return bgp?.configured &&
          bgp.peers[0]?.state === "up" &&
          bgp.peers[0].prefixesAdvertised === 1
          ? bgp
          : undefined;
      },
      90_000,
    );
    expect(status.starts).toBe(2);
    expect(speaker?.pid).not.toBe(pid);
    await until(
      "FRR to hold both paths again",
      async () => (await frrPathPeers(frrDir, FIP)).length === 2,
    );
  }, 180_000);
});
