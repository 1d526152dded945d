import {
  type FabricExternalNetworkSpec,
  fabricExternalNetworkSchema,
  type LearnedEvpnRoute,
} from "@netloom/model";
import { describe, expect, it } from "vitest";
import {
  type CompileInput,
  compile,
  createIncrementalCompiler,
  evpnExports,
  formatPlan,
  importLearnedRoutes,
  plan,
  type TenantInput,
  trace,
} from "../src";
import { fabricOf, intent } from "./helpers";

/** Issue 14: EVPN type-5 export and import in the compiler. */

const fabric = fabricOf(3);

const PUBLIC: FabricExternalNetworkSpec = fabricExternalNetworkSchema.parse({
  name: "public",
  subnets: [{ cidr: "203.0.113.0/24" }],
  evpn: {
    vni: 5000,
    routeTarget: "65000:5000",
    exportTenantSubnets: [{ tenant: "acme", network: "web" }],
  },
});

/** A tenant on the evpn network: a floating IP on compute-1, NAT for workloads on 1 and 2. */
function acme(node1 = "compute-1"): TenantInput {
  return {
    id: "id-acme",
    intent: intent({
      tenant: "acme",
      networks: [
        { name: "web", subnets: [{ cidr: "10.1.0.0/24" }] },
        { name: "db", subnets: [{ cidr: "10.2.0.0/24" }] },
      ],
      workloads: [
        {
          name: "web-1",
          node: node1,
          interfaces: [
            { network: "web", ip: "10.1.0.10", floatingIp: { pool: "fip", ip: "203.0.113.10" } },
          ],
        },
        { name: "web-2", node: "compute-2", interfaces: [{ network: "web", ip: "10.1.0.11" }] },
        { name: "db-1", node: "compute-3", interfaces: [{ network: "db", ip: "10.2.0.10" }] },
      ],
      floatingIpPools: [{ name: "fip", network: "public" }],
      services: [{ name: "out", type: "nat", inside: ["web"], outside: "public" }],
      routers: [{ name: "r", networks: ["web", "db"] }],
    }),
    vnis: { web: 1001, db: 1002, public: 5000 },
    natAddresses: { out: "203.0.113.2" },
  };
}

const route = (overrides: Partial<LearnedEvpnRoute> = {}): LearnedEvpnRoute => ({
  prefix: "192.0.2.0/24",
  vni: 5000,
  routerMac: "02:aa:00:00:00:01",
  nexthop: "198.18.0.254",
  routeTarget: "65000:5000",
  peer: "gateway",
  ...overrides,
});

function input(learnedRoutes?: LearnedEvpnRoute[], tenant = acme()): CompileInput {
  return {
    fabric: {
      nodes: fabric.nodes,
      externalNetworks: [PUBLIC],
      ...(learnedRoutes ? { learnedRoutes } : {}),
    },
    tenants: [tenant],
  };
}

describe("evpnExports", () => {
  it("exports floating IPs, NAT addresses and listed subnets from the nodes that hold them", () => {
    const compiled = compile(input());
    const routes = evpnExports(compiled.nodes, [PUBLIC]);
    const mac = (last: string) => `02:4e:c6:12:00:${last}`;
    expect(routes.map((r) => `${r.prefix} ${r.nexthop} ${r.routerMac}`)).toEqual([
      `10.1.0.0/24 198.18.0.11 ${mac("0b")}`,
      `10.1.0.0/24 198.18.0.12 ${mac("0c")}`,
      `203.0.113.2/32 198.18.0.11 ${mac("0b")}`,
      `203.0.113.2/32 198.18.0.12 ${mac("0c")}`,
      `203.0.113.10/32 198.18.0.11 ${mac("0b")}`,
    ]);
    expect(new Set(routes.map((r) => `${r.vni} ${r.routeTarget}`))).toEqual(
      new Set(["5000 65000:5000"]),
    );
  });

  it("is deterministic: the same routes whatever the node order given", () => {
    const compiled = compile(input());
    const forward = evpnExports(Object.values(compiled.nodes), [PUBLIC]);
    const backward = evpnExports(Object.values(compiled.nodes).reverse(), [PUBLIC]);
    expect(JSON.stringify(backward)).toBe(JSON.stringify(forward));
  });

  it("exports nothing for a network without evpn, and follows a moved workload", () => {
    const plain = { name: "public", subnets: PUBLIC.subnets } as FabricExternalNetworkSpec;
    expect(evpnExports(compile(input()).nodes, [plain])).toEqual([]);
    const moved = evpnExports(compile(input(undefined, acme("compute-3"))).nodes, [PUBLIC]);
    expect(moved.filter((r) => r.prefix === "203.0.113.10/32").map((r) => r.nexthop)).toEqual([
      "198.18.0.13",
    ]);
  });
});

describe("learned route import", () => {
  it("imports a route under the network's route target into the nodes that carry the network", () => {
    const compiled = compile(input([route()]));
    const expected = [
      {
        prefix: "192.0.2.0/24",
        network: "public",
        vni: 5000,
        routerMac: "02:aa:00:00:00:01",
        vtep: "198.18.0.254",
        via: "169.254.0.254",
        peer: "gateway",
        routeTarget: "65000:5000",
      },
    ];
    // compute-1 holds the floating IP, compute-2 NATs for web-2: both carry `public`.
    expect(compiled.nodes["compute-1"]?.learnedRoutes).toEqual(expected);
    expect(compiled.nodes["compute-2"]?.learnedRoutes).toEqual(expected);
    // compute-3 has only db: no instance of the external network, nothing to program.
    const networks = compiled.nodes["compute-3"]?.tenants[0]?.networks.map((n) => n.name);
    expect(networks).not.toContain("public");
    expect(compiled.nodes["compute-3"]?.learnedRoutes).toBeUndefined();
  });

  it("filters by route target and VNI, skips own nodes' next hops, one route per prefix", () => {
    const imported = importLearnedRoutes(
      input([
        route({ routeTarget: "65000:9999", prefix: "198.51.100.0/24" }),
        route({ vni: 6000, prefix: "198.51.100.0/25" }),
        route({ nexthop: "198.18.0.12", prefix: "10.9.0.0/16", peer: "other-domain" }),
        route({ nexthop: "198.18.0.253", routerMac: "02:aa:00:00:00:02" }),
        route(),
      ]).fabric,
    );
    expect(imported.byVni.get(5000)?.map((r) => `${r.prefix} ${r.vtep}`)).toEqual([
      "192.0.2.0/24 198.18.0.253",
    ]);
    expect(imported.skipped.map((s) => `${s.route.prefix} ${s.reason.kind}`).sort()).toEqual([
      "10.9.0.0/16 own-node",
      "192.0.2.0/24 shadowed",
      "198.51.100.0/24 no-route-target",
      "198.51.100.0/25 vni-mismatch",
    ]);
  });

  it("gives the same config and hash whatever order the routes come in; the hash follows them", () => {
    const routes = [route(), route({ prefix: "198.51.100.0/24", nexthop: "198.18.0.253" })];
    const a = compile(input(routes));
    const b = compile(input([...routes].reverse()));
    expect(JSON.stringify(b)).toBe(JSON.stringify(a));
    const none = compile(input());
    const one = compile(input([route()]));
    expect(one.hashes["compute-1"]).not.toBe(none.hashes["compute-1"]);
    expect(one.hashes["compute-1"]).not.toBe(a.hashes["compute-1"]);
    // Nodes that carry no evpn network keep their hash.
    expect(one.hashes["compute-3"]).toBe(none.hashes["compute-3"]);
    // An unrelated route (wrong target) changes no config at all.
    const ignored = compile(input([route({ routeTarget: "1:1" })]));
    expect(ignored.hashes).toEqual(none.hashes);
  });

  it("the incremental compiler follows learned routes through fabric changes and tenant moves", () => {
    const compiler = createIncrementalCompiler(input());
    const update = compiler.update({ kind: "fabric", fabric: input([route()]).fabric });
    expect(update.changedNodes.sort()).toEqual(["compute-1", "compute-2"]);
    // web-1 (and with it the floating IP) moves to compute-3: it now carries `public` too.
    const moved = compiler.update({ kind: "tenant", tenant: acme("compute-3") });
    expect(moved.compiled.nodes["compute-3"]?.learnedRoutes?.map((r) => r.prefix)).toEqual([
      "192.0.2.0/24",
    ]);
    expect(JSON.stringify(compiler.current())).toBe(
      JSON.stringify(compile(input([route()], acme("compute-3")))),
    );
  });
});

describe("trace to and from a learned prefix", () => {
  const compiled = compile(input([route()]));

  it("explains the way out hop by hop, ending at the EVPN route", () => {
    const result = trace(compiled, "acme", {
      tenant: "acme",
      from: "web-1",
      to: "192.0.2.7",
      protocol: "tcp",
      port: 443,
    });
    expect(result.verdict).toBe("allow");
    expect(result.rule).toBe("fip:web-1/0");
    expect(result.hops.map((hop) => `${hop.node} ${hop.step}`)).toEqual([
      "compute-1 source",
      "compute-1 egress security groups",
      "compute-1 snat",
      "compute-1 external network",
      "compute-1 evpn",
    ]);
    expect(result.hops.at(-1)?.detail).toBe(
      "EVPN route 192.0.2.0/24 learned from gateway, next hop VTEP 198.18.0.254, VNI 5000",
    );
    // Through NAT from another node, the same route.
    const nat = trace(compiled, "acme", {
      tenant: "acme",
      from: "web-2",
      to: "192.0.2.7",
      protocol: "udp",
      port: 53,
    });
    expect(nat.verdict).toBe("allow");
    expect(nat.rule).toBe("nat:out");
    expect(nat.hops.at(-1)?.node).toBe("compute-2");
  });

  it("denies a workload with no floating IP or NAT, and an address no route holds", () => {
    const db = trace(compiled, "acme", {
      tenant: "acme",
      from: "db-1",
      to: "192.0.2.7",
      protocol: "tcp",
      port: 443,
    });
    expect(db.verdict).toBe("deny");
    const unrouted = trace(compile(input()), "acme", {
      tenant: "acme",
      from: "web-1",
      to: "192.0.2.7",
      protocol: "tcp",
      port: 443,
    });
    expect(unrouted.verdict).toBe("deny");
    expect(unrouted.reason).toContain("unknown destination");
  });

  it("lets a host behind the gateway in only at a floating IP", () => {
    const inbound = trace(compiled, "acme", {
      tenant: "acme",
      from: "192.0.2.7",
      to: "203.0.113.10",
      protocol: "tcp",
      port: 80,
    });
    expect(inbound.verdict).toBe("allow");
    expect(inbound.hops.map((hop) => `${hop.node} ${hop.step}`)).toEqual([
      "vtep 198.18.0.254 evpn",
      "outside external network",
      "compute-1 dnat",
      "compute-1 ingress security groups",
    ]);
    const direct = trace(compiled, "acme", {
      tenant: "acme",
      from: "192.0.2.7",
      to: "web-2",
      protocol: "tcp",
      port: 80,
    });
    expect(direct.verdict).toBe("deny");
  });
});

describe("plan shows learned-route changes per node", () => {
  it("adds, modifies and removes learned routes on the nodes that carry the network", () => {
    const none = compile(input());
    const one = compile(input([route()]));
    const added = plan(none, one);
    expect(added.nodes.map((node) => node.node)).toEqual(["compute-1", "compute-2"]);
    expect(added.nodes[0]?.items).toEqual([
      { kind: "learned-route", key: "evpn:public/192.0.2.0/24", change: "add" },
    ]);
    expect(formatPlan(added)).toContain("+ learned-route evpn:public/192.0.2.0/24");
    const moved = compile(
      input([route({ nexthop: "198.18.0.253", routerMac: "02:aa:00:00:00:02" })]),
    );
    expect(plan(one, moved).nodes[0]?.items).toEqual([
      { kind: "learned-route", key: "evpn:public/192.0.2.0/24", change: "modify" },
    ]);
    const withdrawn = plan(one, none);
    expect(withdrawn.totals).toEqual({ nodes: 2, added: 0, removed: 2, modified: 0 });
  });
});
