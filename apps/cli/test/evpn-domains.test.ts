import { createServer, type NetloomServer } from "@netloom/controller";
import { type Listener, sendProbe, startListener, workloadNamespace } from "@netloom/dataplane";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { speakerNamespace } from "../src/lab/gateway";
import { cliWorkspace, evpnSkipReason, until } from "./evpn-helpers";

/**
 * Issue 14, two netloom domains: two controllers, each with its own database, fabric and lab,
 * the second lab on the first one's underlay (`lab up --underlay-of`). Their speakers peer over
 * eBGP l2vpn-evpn and exchange the type-5 routes of an external network both fabrics declare
 * with the same L3 VNI and route target; each domain exports only its own nodes' routes. A
 * workload in each reaches the other at its floating IP through VXLAN, and each side's security
 * groups deny what they should.
 */

const skip = await evpnSkipReason();
if (skip) console.warn(`evpn domain tests skipped: ${skip}`);

const TOKEN = "evpn-domains-token-0123456789";
const suffix = process.pid.toString(36);
const LABS = { a: `esa${suffix}`, b: `esb${suffix}` };
const INTERDC = {
  name: "interdc",
  subnets: [{ cidr: "100.64.0.0/24" }],
  evpn: { vni: 6000, routeTarget: "65000:6000" },
};
const A_FIP = "100.64.0.10";
const B_FIP = "100.64.0.20";

const fabric = (node: string, localAs: number, routerId: string, peer: object) => ({
  apiVersion: "netloom/v1",
  kind: "Fabric",
  nodes: [{ name: "compute-1", underlay: node }],
  externalNetworks: [INTERDC],
  bgp: { localAs, routerId, peers: [peer] },
});

/** Domain A's tenant: a reaches out on icmp and tcp 8080/2222; admits tcp 8080 from b only. */
const RED = {
  apiVersion: "netloom/v1",
  tenant: "red",
  networks: [{ name: "web", subnets: [{ cidr: "10.70.1.0/24" }] }],
  floatingIpPools: [{ name: "dc", network: "interdc" }],
  workloads: [
    {
      name: "a",
      node: "compute-1",
      interfaces: [
        {
          network: "web",
          ip: "10.70.1.10",
          securityGroups: ["a-sg"],
          floatingIp: { pool: "dc", ip: A_FIP },
        },
      ],
    },
  ],
  securityGroups: [
    {
      name: "a-sg",
      rules: [
        { direction: "egress", protocol: "icmp", remote: "0.0.0.0/0" },
        { direction: "egress", protocol: "tcp", ports: "8080,2222", remote: "100.64.0.0/24" },
        { direction: "ingress", protocol: "tcp", ports: 8080, remote: `${B_FIP}/32` },
      ],
    },
  ],
};

/** Domain B's tenant: b admits icmp from the stretch, tcp 8080 from a, tcp 9000 from anyone. */
const BLUE = {
  apiVersion: "netloom/v1",
  tenant: "blue",
  networks: [{ name: "app", subnets: [{ cidr: "10.80.1.0/24" }] }],
  floatingIpPools: [{ name: "dc", network: "interdc" }],
  workloads: [
    {
      name: "b",
      node: "compute-1",
      interfaces: [
        {
          network: "app",
          ip: "10.80.1.10",
          securityGroups: ["b-sg"],
          floatingIp: { pool: "dc", ip: B_FIP },
        },
      ],
    },
  ],
  securityGroups: [
    {
      name: "b-sg",
      rules: [
        { direction: "ingress", protocol: "icmp", remote: "100.64.0.0/24" },
        { direction: "ingress", protocol: "tcp", ports: 8080, remote: `${A_FIP}/32` },
        { direction: "ingress", protocol: "tcp", ports: 9000, remote: "0.0.0.0/0" },
        { direction: "egress", protocol: "any", remote: "0.0.0.0/0" },
      ],
    },
  ],
};

describe.skipIf(skip !== undefined)("two netloom domains on one underlay", () => {
  const { netloom, file } = cliWorkspace(TOKEN);
  const servers: { a?: NetloomServer; b?: NetloomServer } = {};
  const urls = { a: "", b: "" };
  let nsA = "";
  let nsB = "";
  const status = async (side: "a" | "b") => {
    const server = side === "a" ? servers.a : servers.b;
    if (!server) throw new Error(`no controller ${side}`);
    const principal = await server.services.auth.authenticate({ token: TOKEN });
    if (!principal) throw new Error("the bootstrap token did not authenticate");
    return server.caller(principal).bgp.status();
  };

  beforeAll(async () => {
    for (const side of ["a", "b"] as const) {
      const server = await createServer({
        port: 0,
        host: "127.0.0.1",
        dataDir: "memory://",
        bootstrapToken: TOKEN,
        logger: false,
        bgp: { namespace: speakerNamespace(LABS[side]) },
      });
      servers[side] = server;
      urls[side] = await server.listen();
    }
    const upA = await netloom(["lab", "up", "--nodes", "1", "--name", LABS.a, "--speaker"], urls.a);
    expect(upA, upA.stderr).toMatchObject({ code: 0 });
    const upB = await netloom(
      ["lab", "up", "--nodes", "1", "--name", LABS.b, "--underlay-of", LABS.a],
      urls.b,
    );
    expect(upB, upB.stderr).toMatchObject({ code: 0 });
    expect(upB.stderr).toContain("198.18.0.61");
    const fabricA = fabric("198.18.0.11", 65000, "198.18.0.200", {
      name: "domain-b",
      address: "198.18.0.201",
      as: 65001,
    });
    const fabricB = fabric("198.18.0.61", 65001, "198.18.0.201", {
      name: "domain-a",
      address: "198.18.0.200",
      as: 65000,
    });
    for (const [side, document, tenant] of [
      ["a", fabricA, RED],
      ["b", fabricB, BLUE],
    ] as const) {
      const applied = await netloom(
        ["apply", "-f", file(`fabric-${side}.json`, document)],
        urls[side],
      );
      expect(applied, applied.stderr).toMatchObject({ code: 0 });
      const intent = await netloom(
        ["apply", "-f", file(`${tenant.tenant}.json`, tenant), "--wait"],
        urls[side],
      );
      expect(intent, intent.stderr).toMatchObject({ code: 0 });
    }
    nsA = workloadNamespace(
      `nl-${LABS.a}.n-1`,
      servers.a?.services.store.tenant("red")?.id ?? "",
      "a",
    );
    nsB = workloadNamespace(
      `nl-${LABS.b}.n-1`,
      servers.b?.services.store.tenant("blue")?.id ?? "",
      "b",
    );
  }, 240_000);

  afterAll(async () => {
    // The guest first: its nodes stand on the host lab's underlay.
    await netloom(["lab", "down", "--name", LABS.b], urls.b);
    await netloom(["lab", "down", "--name", LABS.a], urls.a);
    await servers.a?.close();
    await servers.b?.close();
  }, 60_000);

  it("each domain learns exactly the other's own routes", async () => {
    const learnedA = await until(
      "A to learn B's floating IP",
      async () =>
        (await status("a")).learned.length > 0 ? (await status("a")).learned : undefined,
      90_000,
    );
    expect(learnedA).toEqual([
      {
        prefix: `${B_FIP}/32`,
        vni: 6000,
        routerMac: "02:4e:c6:12:00:3d",
        nexthop: "198.18.0.61",
        routeTarget: "65000:6000",
        peer: "domain-b",
      },
    ]);
    const learnedB = await until("B to learn A's floating IP", async () => {
      const bgp = await status("b");
      return bgp.learned.length > 0 ? bgp.learned : undefined;
    });
    expect(learnedB).toEqual([
      {
        prefix: `${A_FIP}/32`,
        vni: 6000,
        routerMac: "02:4e:c6:12:00:0b",
        nexthop: "198.18.0.11",
        routeTarget: "65000:6000",
        peer: "domain-a",
      },
    ]);
    // Each exports only its own node's route, never the one it learned.
    expect((await status("a")).exported.map((route) => route.nexthop)).toEqual(["198.18.0.11"]);
    expect((await status("b")).exported.map((route) => route.nexthop)).toEqual(["198.18.0.61"]);
  }, 120_000);

  it("workloads reach each other across the domains as both sides' security groups allow", async () => {
    await until(
      "a to reach b",
      async () => (await sendProbe(nsA, "icmp", B_FIP, 0, 2000)) === "allow",
      60_000,
      500,
    );
    let listeners: Listener[] = [];
    try {
      listeners = [
        await startListener(nsB, "tcp", [8080, 9000, 2222]),
        await startListener(nsA, "tcp", [8080, 22]),
      ];
      const probe = (from: string, protocol: "icmp" | "tcp", to: string, port = 0) =>
        sendProbe(from, protocol, to, port, 2000);
      expect(await probe(nsA, "icmp", B_FIP)).toBe("allow");
      expect(await probe(nsA, "tcp", B_FIP, 8080)).toBe("allow");
      expect(await probe(nsB, "tcp", A_FIP, 8080)).toBe("allow");
      // Domain A's egress denies tcp/9000, which b would admit.
      expect(await probe(nsA, "tcp", B_FIP, 9000)).toBe("deny");
      // Domain B's ingress denies tcp/2222, which a may send.
      expect(await probe(nsA, "tcp", B_FIP, 2222)).toBe("deny");
      // Domain A's ingress admits only tcp/8080 from b.
      expect(await probe(nsB, "tcp", A_FIP, 22)).toBe("deny");
      expect(await probe(nsB, "icmp", A_FIP)).toBe("deny");
    } finally {
      for (const listener of listeners) listener.stop();
    }
  }, 120_000);
});
