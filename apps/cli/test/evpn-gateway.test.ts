import { rmSync } from "node:fs";
import { createServer, type NetloomServer } from "@netloom/controller";
import { type Listener, sendProbe, startListener, workloadNamespace } from "@netloom/dataplane";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  GATEWAY_UNDERLAY,
  INTERNET_HOST,
  internetNamespace,
  speakerNamespace,
} from "../src/lab/gateway";
import { readLabState } from "../src/lab/state";
import { cliWorkspace, evpnSkipReason, frrLearnedType5, until } from "./evpn-helpers";

/**
 * Issue 14 with a real router: `lab up --gateway` puts Debian's FRR on the lab's underlay as the
 * data-center gateway; the controller's speaker (gobgpd in the lab's speaker namespace) peers with
 * it over l2vpn-evpn. Real packets between the gateway's internet host and workloads at their
 * floating IPs, as the tenant's security groups allow; FRR's table holds exactly the exports; a
 * withdrawn floating IP leaves FRR within 2 s; a killed gobgpd restarts while forwarding goes on.
 */

const skip = await evpnSkipReason();
if (skip) console.warn(`evpn gateway tests skipped: ${skip}`);

const TOKEN = "evpn-gateway-token-0123456789";
const LAB = `esgw${process.pid.toString(36)}`;

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

/** open: reachable from the internet on icmp and tcp/8080, reaches out freely. closed: tcp/8080
 * only from 10.0.0.0/8, reaches out on tcp/9000 only. */
const tenant = (withOpenFip: boolean) => ({
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
          ...(withOpenFip ? { floatingIp: { pool: "fip", ip: "203.0.113.10" } } : {}),
        },
      ],
    },
    {
      name: "closed",
      node: "compute-2",
      interfaces: [
        {
          network: "web",
          ip: "10.60.1.11",
          securityGroups: ["closed"],
          floatingIp: { pool: "fip", ip: "203.0.113.11" },
        },
      ],
    },
  ],
  securityGroups: [
    {
      name: "open",
      rules: [
        { direction: "ingress", protocol: "icmp", remote: "0.0.0.0/0" },
        { direction: "ingress", protocol: "tcp", ports: 8080, remote: "192.0.2.0/24" },
        { direction: "egress", protocol: "any", remote: "0.0.0.0/0" },
      ],
    },
    {
      name: "closed",
      rules: [
        { direction: "ingress", protocol: "tcp", ports: 8080, remote: "10.0.0.0/8" },
        { direction: "egress", protocol: "tcp", ports: 9000, remote: "192.0.2.0/24" },
      ],
    },
  ],
});

describe.skipIf(skip !== undefined)("a netloom lab behind a real FRR gateway", () => {
  const { work, netloom, file } = cliWorkspace(TOKEN);
  let server: NetloomServer;
  let url = "";
  let frrDir = "";
  let tenantId = "";
  const internet = internetNamespace(LAB);
  const workloadNs = (node: number, workload: string) =>
    workloadNamespace(`nl-${LAB}.n-${node}`, tenantId, workload);
  const fromInternet = (protocol: "icmp" | "tcp", host: string, port = 0) =>
    sendProbe(internet, protocol, host, port, 2000);
  const frrExported = () => frrLearnedType5(frrDir, GATEWAY_UNDERLAY);
  const exportedByFabric = async () =>
    (await server.services.store.evpnExports())
      .map((route) => `${route.prefix} via ${route.nexthop}`)
      .sort();
  const admin = async () => {
    const principal = await server.services.auth.authenticate({ token: TOKEN });
    if (!principal) throw new Error("the bootstrap token did not authenticate");
    return server.caller(principal);
  };

  beforeAll(async () => {
    server = await createServer({
      port: 0,
      host: "127.0.0.1",
      dataDir: "memory://",
      bootstrapToken: TOKEN,
      logger: false,
      bgp: { namespace: speakerNamespace(LAB) },
    });
    url = await server.listen();
    const up = await netloom(["lab", "up", "--nodes", "2", "--name", LAB, "--gateway"], url);
    expect(up, up.stderr).toMatchObject({ code: 0 });
    expect(up.stderr).toContain("FRR gateway 198.18.0.240");
    const state = await readLabState(work, LAB);
    frrDir = state?.gateway?.frrDir ?? "";
    const fabric = await netloom(["apply", "-f", file("fabric.json", FABRIC)], url);
    expect(fabric, fabric.stderr).toMatchObject({ code: 0 });
    const applied = await netloom(["apply", "-f", file("red.json", tenant(true)), "--wait"], url);
    expect(applied, applied.stderr).toMatchObject({ code: 0 });
    tenantId = server.services.store.tenant("red")?.id ?? "";
  }, 180_000);

  afterAll(async () => {
    await netloom(["lab", "down", "--name", LAB], url);
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it("peers with the gateway and learns its internet prefix", async () => {
    const status = await until(
      "the gateway session",
      async () => {
        const bgp = await (await admin()).bgp.status();
        return bgp.peers[0]?.state === "up" && bgp.learned.length > 0 ? bgp : undefined;
      },
      90_000,
    );
    expect(status.peers[0]).toMatchObject({
      name: "gateway",
      address: GATEWAY_UNDERLAY,
      as: 65100,
    });
    expect(status.learned).toEqual([
      {
        prefix: "192.0.2.0/24",
        vni: 5000,
        routerMac: "02:4e:c6:12:00:f0",
        nexthop: GATEWAY_UNDERLAY,
        routeTarget: "65000:5000",
        peer: "gateway",
      },
    ]);
    const shown = await netloom(["status"], url);
    expect(shown.stdout).toMatch(/gateway\s+198\.18\.0\.240\s+65100\s+up/);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toContain('netloom_bgp_peer_up{peer="gateway"} 1');
    expect(metrics).toMatch(/netloom_bgp_prefixes_advertised\{peer="gateway"\} 2/);
  }, 120_000);

  it("FRR's table holds exactly the exported routes", async () => {
    const wanted = await exportedByFabric();
    expect(wanted).toEqual(["203.0.113.10/32 via 198.18.0.11", "203.0.113.11/32 via 198.18.0.12"]);
    await until(
      "FRR to hold the exports",
      async () => JSON.stringify(await frrExported()) === JSON.stringify(wanted),
    );
    expect(await frrExported()).toEqual(wanted);
  }, 60_000);

  it("the internet reaches workloads at their floating IPs, and back, only as security groups allow", async () => {
    await until(
      "the learned route on the nodes",
      async () =>
        (await sendProbe(workloadNs(1, "open"), "icmp", INTERNET_HOST, 0, 2000)) === "allow",
    );
    expect(await fromInternet("icmp", "203.0.113.10")).toBe("allow");
    let listeners: Listener[] = [];
    try {
      listeners = [
        await startListener(workloadNs(1, "open"), "tcp", [8080]),
        await startListener(workloadNs(2, "closed"), "tcp", [8080]),
        await startListener(internet, "tcp", [9000, 9001]),
      ];
      expect(await fromInternet("tcp", "203.0.113.10", 8080)).toBe("allow");
      // closed admits tcp/8080 from 10.0.0.0/8 only, and no icmp.
      expect(await fromInternet("tcp", "203.0.113.11", 8080)).toBe("deny");
      expect(await fromInternet("icmp", "203.0.113.11")).toBe("deny");
      // Outbound: open reaches anything; closed only tcp/9000.
      const out = (node: number, workload: string, port: number) =>
        sendProbe(workloadNs(node, workload), "tcp", INTERNET_HOST, port, 2000);
      expect(await out(1, "open", 9001)).toBe("allow");
      expect(await out(2, "closed", 9000)).toBe("allow");
      expect(await out(2, "closed", 9001)).toBe("deny");
      expect(await sendProbe(workloadNs(2, "closed"), "icmp", INTERNET_HOST, 0, 2000)).toBe("deny");
    } finally {
      for (const listener of listeners) listener.stop();
    }
  }, 120_000);

  it("withdrawing a floating IP removes its route from FRR within 2 s, and only it", async () => {
    const applied = await netloom(["apply", "-f", file("red.json", tenant(false))], url);
    expect(applied, applied.stderr).toMatchObject({ code: 0 });
    const started = Date.now();
    await until(
      "FRR to drop 203.0.113.10",
      async () => !(await frrExported()).some((route) => route.startsWith("203.0.113.10/")),
      10_000,
      50,
    );
    const withdrawMs = Date.now() - started;
    expect(withdrawMs).toBeLessThan(2_000);
    expect(await frrExported()).toEqual(["203.0.113.11/32 via 198.18.0.12"]);
    console.log(JSON.stringify({ bench: "evpn-withdraw", withdrawMs }));
    const back = await netloom(["apply", "-f", file("red.json", tenant(true)), "--wait"], url);
    expect(back, back.stderr).toMatchObject({ code: 0 });
    await until("FRR to hold 203.0.113.10 again", async () => (await frrExported()).length === 2);
  }, 60_000);

  it("a killed gobgpd restarts and the gateway keeps forwarding through graceful restart", async () => {
    const speaker = server.services.bgp?.current;
    const pid = speaker?.pid;
    expect(pid).toBeTypeOf("number");
    await until(
      "forwarding before the kill",
      async () => (await fromInternet("icmp", "203.0.113.10")) === "allow",
    );
    process.kill(pid ?? 0, "SIGKILL");
    // Forwarding goes on while the speaker is away and comes back; FRR keeps the routes (stale).
    const verdicts: string[] = [];
    const until10s = Date.now() + 10_000;
    while (Date.now() < until10s) {
      verdicts.push(await fromInternet("icmp", "203.0.113.10"));
      const routes = await frrExported();
      verdicts.push(routes.length === 2 ? "routes" : `routes ${routes.length}`);
    }
    expect(verdicts.filter((verdict) => verdict !== "allow" && verdict !== "routes")).toEqual([]);
    const status = await until(
      "the session back",
      async () => {
        const bgp = await (await admin()).bgp.status();
        return bgp.peers[0]?.state === "up" && bgp.peers[0].prefixesAdvertised === 2
          ? bgp
          : undefined;
      },
      90_000,
    );
    expect(status.starts).toBe(2);
    expect(speaker?.pid).not.toBe(pid);
    expect(await frrExported()).toEqual(await exportedByFabric());
    expect(await fromInternet("icmp", "203.0.113.10")).toBe("allow");
  }, 180_000);
});
