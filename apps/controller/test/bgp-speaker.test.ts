import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { bgpSchema } from "@netloom/model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BgpSpeaker, type SpeakerLog } from "../src/bgp/speaker";
import type { EvpnType5Route, LearnedEvpnRoute } from "../src/bgp/types";

/**
 * Issue 14: two controllers' speakers (real gobgpd, each in a namespace of its own, joined by a
 * veth) peer over l2vpn-evpn: exports are originated and withdrawn by difference, learned
 * routes reach the store whole, peer state shows prefix counts, and a killed gobgpd restarts
 * without the other side losing the routes (graceful restart).
 */

function skipReason(): string | undefined {
  if (process.platform !== "linux") return "not Linux";
  if (process.getuid?.() !== 0) return "not root: network namespaces need CAP_SYS_ADMIN";
  try {
    execFileSync("gobgpd", ["--version"]);
  } catch {
    return "gobgpd is not installed (apt-get install -y gobgpd)";
  }
  return undefined;
}
const skip = skipReason();
if (skip) console.warn(`bgp speaker tests skipped: ${skip}`);

const owner = `es${process.pid.toString(36)}`;
const NS = { a: `nl-${owner}.a`, b: `nl-${owner}.b` };
const ip = (...args: string[]) => execFileSync("ip", args, { stdio: "pipe" });
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function until<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(100);
  }
}

const quietLog: SpeakerLog & { lines: string[] } = {
  lines: [],
  info(_details, message) {
    this.lines.push(message);
  },
  warn(_details, message) {
    this.lines.push(message);
  },
  error(_details, message) {
    this.lines.push(message);
  },
};

const route = (prefix: string, node: number): EvpnType5Route => ({
  prefix,
  vni: 5000,
  routerMac: `02:4e:c6:12:00:${node.toString(16).padStart(2, "0")}`,
  nexthop: `198.18.0.${node}`,
  routeTarget: "65000:5000",
});

describe.skipIf(skip !== undefined)("the BGP speaker against another gobgpd", () => {
  let work: string;
  let a: BgpSpeaker;
  let b: BgpSpeaker;
  let learnedByB: LearnedEvpnRoute[] = [];
  let learnedCalls = 0;

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), "netloom-bgp-"));
    ip("netns", "add", NS.a);
    ip("netns", "add", NS.b);
    ip("-n", NS.a, "link", "add", "eth0", "type", "veth", "peer", "name", "eth0", "netns", NS.b);
    for (const [ns, address] of [
      [NS.a, "10.201.0.1/24"],
      [NS.b, "10.201.0.2/24"],
    ] as const) {
      ip("-n", ns, "addr", "add", address, "dev", "eth0");
      ip("-n", ns, "link", "set", "eth0", "up");
      ip("-n", ns, "link", "set", "lo", "up");
    }
    a = new BgpSpeaker({
      settings: bgpSchema.parse({
        localAs: 65000,
        routerId: "10.201.0.1",
        peers: [{ name: "domain-b", address: "10.201.0.2", as: 65001 }],
        gracefulRestartSeconds: 60,
      }),
      namespace: NS.a,
      workDir: path.join(work, "a"),
      onLearned: () => {},
      log: quietLog,
    });
    b = new BgpSpeaker({
      settings: bgpSchema.parse({
        localAs: 65001,
        routerId: "10.201.0.2",
        peers: [{ name: "domain-a", address: "10.201.0.1", as: 65000 }],
        gracefulRestartSeconds: 60,
      }),
      namespace: NS.b,
      workDir: path.join(work, "b"),
      onLearned: (routes) => {
        learnedByB = routes;
        learnedCalls += 1;
      },
      log: quietLog,
    });
    await Promise.all([a.start(), b.start()]);
  }, 60_000);

  afterAll(async () => {
    await a?.stop();
    await b?.stop();
    for (const ns of Object.values(NS)) {
      try {
        ip("netns", "del", ns);
      } catch {
        // never made
      }
    }
    rmSync(work, { recursive: true, force: true });
  }, 30_000);

  it("peers come up with their names and session state", async () => {
    const peers = await until("the session", async () => {
      const [peer] = await a.peers();
      return peer?.state === "up" ? peer : undefined;
    });
    expect(peers).toMatchObject({ name: "domain-b", address: "10.201.0.2", as: 65001 });
    expect(peers.upSince).not.toBeNull();
  }, 90_000);

  it("originates exports, and the other side learns exactly them", async () => {
    await a.setExports([route("10.100.0.11/32", 11), route("10.100.0.12/32", 12)]);
    await until("two learned routes", () => learnedByB.length === 2);
    expect(learnedByB).toEqual([
      { ...route("10.100.0.11/32", 11), peer: "domain-a" },
      { ...route("10.100.0.12/32", 12), peer: "domain-a" },
    ]);
    const [peerOfA] = await until("advertised count", async () => {
      const peers = await a.peers();
      return peers[0]?.prefixesAdvertised === 2 ? peers : undefined;
    });
    expect(peerOfA?.prefixesReceived).toBe(0);
    const [peerOfB] = await b.peers();
    expect(peerOfB?.prefixesReceived).toBe(2);
    // B's own view never counts its own originations as learned.
    await b.setExports([route("10.100.1.21/32", 21)]);
    await until(
      "A learns B's route",
      async () => (await a.status()).peers[0]?.prefixesReceived === 1,
    );
    expect(learnedByB.map((learned) => learned.prefix)).toEqual([
      "10.100.0.11/32",
      "10.100.0.12/32",
    ]);
  }, 60_000);

  it("withdraws by difference: the one gone goes, the other stays untouched", async () => {
    const callsBefore = learnedCalls;
    await a.setExports([route("10.100.0.12/32", 12)]);
    await until("the withdrawal", () => learnedByB.length === 1);
    expect(learnedByB).toEqual([{ ...route("10.100.0.12/32", 12), peer: "domain-a" }]);
    // A changed attribute (a workload moved to another node's MAC) re-announces in place.
    await a.setExports([{ ...route("10.100.0.12/32", 12), routerMac: "02:4e:c6:12:00:99" }]);
    await until("the new router MAC", () => learnedByB[0]?.routerMac === "02:4e:c6:12:00:99");
    expect(learnedByB).toHaveLength(1);
    expect(learnedCalls).toBeGreaterThan(callsBefore);
  }, 60_000);

  it("a killed gobgpd restarts, re-originates, and the peer never loses the route", async () => {
    const pid = a.pid;
    expect(pid).toBeTypeOf("number");
    const lostOnB: number[] = [];
    const watch = setInterval(() => {
      if (learnedByB.length !== 1) lostOnB.push(learnedByB.length);
    }, 20);
    process.kill(pid ?? 0, "SIGKILL");
    const restarted = await until("a new gobgpd", () =>
      a.pid !== undefined && a.pid !== pid ? a.pid : undefined,
    );
    expect(restarted).not.toBe(pid);
    await until("the session back", async () => (await a.peers())[0]?.state === "up", 90_000);
    await until("re-advertised", async () => (await a.peers())[0]?.prefixesAdvertised === 1);
    // A restart learns B's route again; meanwhile the nodes kept the old set.
    await until("A learned again", async () => a.learned().length === 1);
    clearInterval(watch);
    expect(lostOnB).toEqual([]);
    expect(learnedByB).toEqual([
      { ...route("10.100.0.12/32", 12), routerMac: "02:4e:c6:12:00:99", peer: "domain-a" },
    ]);
    expect((await a.status()).starts).toBe(2);
  }, 120_000);
});
