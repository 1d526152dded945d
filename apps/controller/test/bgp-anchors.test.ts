import { NetloomError } from "@netloom/model";
import { describe, expect, it } from "vitest";
import { anchorAddress, anchorRoutes, parseAnchorSubnet } from "../src/bgp/anchors";
import { nlriKey, sortRoutes } from "../src/bgp/gobgp-routes";
import type { EvpnType5Route } from "../src/bgp/types";

/** Issue 14, decision 0008: the anchor routes a redundant speaker originates besides exports. */

const route = (prefix: string, nexthop: string, vni = 5000): EvpnType5Route => ({
  prefix,
  vni,
  routerMac: `02:4e:c6:12:00:${nexthop.split(".")[3]?.padStart(2, "0")}`,
  nexthop,
  routeTarget: `65000:${vni}`,
});

describe("anchor routes", () => {
  const subnet = parseAnchorSubnet("169.254.100.0/24");

  it("puts the VTEP's host part in the speaker's anchor subnet", () => {
    expect(anchorAddress("198.18.0.11", subnet)).toBe("169.254.100.11");
    expect(anchorAddress("10.1.7.200", parseAnchorSubnet("169.254.0.0/16"))).toBe("169.254.7.200");
    expect(anchorAddress("not an address", subnet)).toBeUndefined();
  });

  it("originates one anchor per VTEP and L3 VNI, with that VTEP's router MAC and route target", () => {
    const exports = [
      route("203.0.113.11/32", "198.18.0.12"),
      route("203.0.113.10/32", "198.18.0.11"),
      route("10.60.1.0/24", "198.18.0.11"),
      route("203.0.113.20/32", "198.18.0.11", 6000),
    ];
    const anchors = anchorRoutes(exports, subnet);
    expect(sortRoutes(anchors)).toEqual(
      sortRoutes([
        route("169.254.100.11/32", "198.18.0.11"),
        route("169.254.100.12/32", "198.18.0.12"),
        route("169.254.100.11/32", "198.18.0.11", 6000),
      ]),
    );
    // Never the NLRI of an export: the speaker holds both side by side.
    const keys = new Set([...exports, ...anchors].map(nlriKey));
    expect(keys.size).toBe(exports.length + anchors.length);
  });

  it("originates none without an anchor subnet or without exports", () => {
    expect(anchorRoutes([route("203.0.113.10/32", "198.18.0.11")], undefined)).toEqual([]);
    expect(anchorRoutes([], subnet)).toEqual([]);
  });

  it("refuses a malformed or too small anchor subnet, naming the setting", () => {
    for (const text of ["169.254.100.0", "169.254.100.1/24", "169.254.100.0/31"]) {
      let caught: unknown;
      try {
        parseAnchorSubnet(text);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(NetloomError);
      expect((caught as NetloomError).problems[0]?.path).toBe("NETLOOM_BGP_ANCHOR_SUBNET");
    }
  });
});
