import { describe, expect, it } from "vitest";
import {
  evpnType5RouteSchema,
  learnedEvpnRouteSchema,
  nodeLinkLocal,
  nodeOverlayMac,
  type Problem,
  parseFabricFile,
  parseWithSchema,
  routeTargetProblem,
  validateFabricEvpn,
} from "../src/index";

/** Issue 14: the Fabric file's `bgp` and `evpn` sections and the EVPN route types. */

const fabric = (extra: Record<string, unknown>) => ({
  apiVersion: "netloom/v1",
  kind: "Fabric",
  nodes: [{ name: "compute-1", underlay: "198.18.0.11" }],
  ...extra,
});

const network = (name: string, evpn: unknown) => ({
  name,
  subnets: [{ cidr: name === "a" ? "203.0.113.0/24" : "198.51.100.0/24" }],
  evpn,
});

function problems(input: unknown): Problem[] {
  const result = parseFabricFile(input);
  if (result.ok) return validateFabricEvpn(result.value);
  return result.problems;
}

describe("fabric file bgp and evpn sections", () => {
  it("accepts a complete configuration", () => {
    const result = parseFabricFile(
      fabric({
        externalNetworks: [
          network("a", {
            vni: 5000,
            routeTarget: "65000:5000",
            exportTenantSubnets: [{ tenant: "acme", network: "web" }],
          }),
        ],
        bgp: {
          localAs: 4_200_000_000,
          routerId: "198.18.0.1",
          peers: [{ name: "gateway", address: "198.18.0.254", as: 65000 }],
          gracefulRestartSeconds: 300,
        },
      }),
    );
    expect(result.ok).toBe(true);
  });

  it("names the field of every bad value", () => {
    const found = problems(
      fabric({
        externalNetworks: [network("a", { vni: 0, routeTarget: "65000" })],
        bgp: {
          localAs: 4_294_967_295,
          routerId: "198.18.0.300",
          peers: [{ name: "Gateway", address: "x", as: 0 }],
        },
      }),
    );
    expect(found.map((p) => p.path)).toEqual([
      "externalNetworks[0].evpn.vni",
      "externalNetworks[0].evpn.routeTarget",
      "bgp.localAs",
      "bgp.routerId",
      "bgp.peers[0].name",
      "bgp.peers[0].address",
      "bgp.peers[0].as",
    ]);
    expect(found.find((p) => p.path === "bgp.routerId")?.message).toContain("198.18.0.300");
  });

  it("refuses shared L3 VNIs and route targets, duplicate peers and exports", () => {
    const found = problems(
      fabric({
        externalNetworks: [
          network("a", {
            vni: 5000,
            routeTarget: "65000:5000",
            exportTenantSubnets: [
              { tenant: "acme", network: "web" },
              { tenant: "acme", network: "web" },
            ],
          }),
          network("b", { vni: 5000, routeTarget: "65000:5000" }),
        ],
        bgp: {
          localAs: 65001,
          routerId: "198.18.0.1",
          peers: [
            { name: "gw", address: "198.18.0.254", as: 65000 },
            { name: "gw", address: "198.18.0.254", as: 65000 },
            { name: "self", address: "198.18.0.1", as: 65000 },
          ],
        },
      }),
    );
    expect(found).toEqual([
      {
        path: "externalNetworks[0].evpn.exportTenantSubnets[1]",
        message: "network web of tenant acme is listed twice",
      },
      {
        path: "externalNetworks[1].evpn.vni",
        message: "VNI 5000 is the L3 VNI of externalNetworks[0] too",
      },
      {
        path: "externalNetworks[1].evpn.routeTarget",
        message: "route target 65000:5000 is imported by externalNetworks[0] too",
      },
      { path: "bgp.peers[1].name", message: "gw is listed twice" },
      { path: "bgp.peers[1].address", message: "198.18.0.254 is listed twice" },
      { path: "bgp.peers[2].address", message: "198.18.0.1 is this speaker's own router id" },
    ]);
  });

  it("checks route targets by RFC 4360's two forms", () => {
    expect(routeTargetProblem("65000:5000")).toBeUndefined();
    expect(routeTargetProblem("65000:4294967295")).toBeUndefined();
    expect(routeTargetProblem("4200000000:65535")).toBeUndefined();
    expect(routeTargetProblem("4200000000:65536")).toContain("above 65535");
    expect(routeTargetProblem("65000:05")).toContain("not a route target");
    expect(routeTargetProblem("a:b")).toContain("not a route target");
  });
});

describe("type-5 route schemas", () => {
  const route = {
    prefix: "192.0.2.0/24",
    vni: 5000,
    routerMac: "02:4e:c6:12:00:0b",
    nexthop: "198.18.0.11",
    routeTarget: "65000:5000",
  };

  it("parses a route and a learned route, and names each bad field", () => {
    expect(evpnType5RouteSchema.parse(route)).toEqual(route);
    expect(learnedEvpnRouteSchema.parse({ ...route, peer: "gateway" }).peer).toBe("gateway");
    const bad = parseWithSchema(learnedEvpnRouteSchema, {
      prefix: "192.0.2.1/24",
      vni: 16_777_216,
      routerMac: "02:4E:C6:12:00:0B",
      nexthop: "198.18.0",
      routeTarget: "x",
      peer: "",
    });
    expect(bad.ok).toBe(false);
    if (!bad.ok) {
      expect(bad.problems.map((p) => p.path)).toEqual([
        "prefix",
        "vni",
        "routerMac",
        "nexthop",
        "routeTarget",
        "peer",
      ]);
    }
  });

  it("derives a node's router MAC and link-local next hop from its underlay", () => {
    expect(nodeOverlayMac("198.18.0.11")).toBe("02:4e:c6:12:00:0b");
    expect(nodeLinkLocal("198.18.0.254")).toBe("169.254.0.254");
  });
});
