import { bgpSchema } from "@netloom/model";
import { describe, expect, it } from "vitest";
import { renderGobgpConfig } from "../src/bgp/gobgp-config";
import { LearnedTable, nlriKey, pathsOfJson, readPath } from "../src/bgp/gobgp-routes";

/** Issue 14: what the speaker reads from gobgp's JSON and writes into gobgpd's configuration. */

/** A learned path as `gobgp monitor global rib -a evpn -j` prints it (gobgpd 3.10). */
const learnedLine = (withdrawal = false) => [
  {
    nlri: {
      type: 5,
      value: {
        rd: { type: 1, admin: "198.18.0.240", assigned: 1 },
        esi: "single-homed",
        etag: 0,
        prefix: "192.0.2.0/24",
        gateway: "0.0.0.0",
        label: 5000,
      },
    },
    age: 1795898610,
    best: true,
    attrs: [
      { type: 1, value: 0 },
      { type: 2, as_paths: [{ segment_type: 2, num: 1, asns: [65100] }] },
      {
        type: 16,
        value: [
          { type: 3, subtype: 12, tunnel_type: 8 },
          { type: 0, subtype: 2, value: "65000:5000" },
          { type: 6, subtype: 3, mac: "02:4E:C6:12:00:F0" },
        ],
      },
      { type: 14, nexthop: "198.18.0.240", afi: 25, safi: 70, value: [] },
    ],
    stale: false,
    ...(withdrawal ? { withdrawal: true } : {}),
    "source-id": "198.18.0.240",
    "neighbor-ip": "198.18.0.240",
  },
];

describe("gobgp's paths", () => {
  it("reads a learned type-5 path into a route with its neighbour", () => {
    const [raw] = pathsOfJson(learnedLine());
    expect(readPath(raw)).toEqual({
      route: {
        prefix: "192.0.2.0/24",
        vni: 5000,
        routerMac: "02:4e:c6:12:00:f0",
        nexthop: "198.18.0.240",
        routeTarget: "65000:5000",
      },
      nlri: '{"type":1,"admin":"198.18.0.240","assigned":1}|192.0.2.0/24',
      neighbor: "198.18.0.240",
      withdrawal: false,
    });
  });

  it("ignores other route types and incomplete paths", () => {
    const [raw] = learnedLine();
    expect(readPath({ ...raw, nlri: { type: 3, value: {} } })).toBeUndefined();
    expect(readPath({ ...raw, attrs: [] })).toBeUndefined();
    expect(readPath("not a path")).toBeUndefined();
  });

  it("a table keeps learned routes by NLRI, drops withdrawn ones, never learns its own", () => {
    const table = new LearnedTable((address) =>
      address === "198.18.0.240" ? "gateway" : undefined,
    );
    const [learned] = pathsOfJson(learnedLine()).map(readPath);
    const [withdrawn] = pathsOfJson(learnedLine(true)).map(readPath);
    if (!learned || !withdrawn) throw new Error("unreadable fixture");
    expect(table.apply(learned)).toBe(true);
    expect(table.apply(learned)).toBe(false);
    expect(table.list()).toEqual([{ ...learned.route, peer: "gateway" }]);
    // Our own origination (no neighbour) shows in the table too: not learned.
    expect(table.apply({ ...learned, nlri: "own", neighbor: undefined })).toBe(false);
    expect(table.apply(withdrawn)).toBe(true);
    expect(table.list()).toEqual([]);
  });

  it("an exported route's NLRI is its next hop's RD and its prefix", () => {
    expect(
      nlriKey({
        prefix: "203.0.113.10/32",
        vni: 5000,
        routerMac: "02:4e:c6:12:00:0b",
        nexthop: "198.18.0.11",
        routeTarget: "65000:5000",
      }),
    ).toBe("198.18.0.11:5000|203.0.113.10/32");
  });
});

describe("gobgpd's configuration", () => {
  it("has every peer over l2vpn-evpn with graceful restart", () => {
    const toml = renderGobgpConfig(
      bgpSchema.parse({
        localAs: 65000,
        routerId: "198.18.0.200",
        peers: [
          { name: "gateway", address: "198.18.0.240", as: 65100 },
          { name: "domain-b", address: "198.18.0.201", as: 65001 },
        ],
        gracefulRestartSeconds: 90,
      }),
      { listenPort: 1790 },
    );
    expect(toml).toContain('as = 65000\n  router-id = "198.18.0.200"\n  port = 1790');
    expect(toml.match(/\[\[neighbors\]\]/g)).toHaveLength(2);
    expect(toml).toContain('neighbor-address = "198.18.0.201"\n    peer-as = 65001');
    expect(toml.match(/afi-safi-name = "l2vpn-evpn"/g)).toHaveLength(2);
    expect(toml.match(/restart-time = 90/g)).toHaveLength(2);
  });

  it("defaults the restart time to 120 s", () => {
    const toml = renderGobgpConfig(
      bgpSchema.parse({
        localAs: 1,
        routerId: "10.0.0.1",
        peers: [{ name: "p", address: "10.0.0.2", as: 2 }],
      }),
      { listenPort: 179 },
    );
    expect(toml).toContain("restart-time = 120");
  });
});
