import type { LearnedRouteConfig, NodeConfig } from "@netloom/compiler";
import { describe, expect, it } from "vitest";
import { applyDelta, deltaMessageSchema } from "../src";

/** Issue 14: a delta carries a node's learned EVPN routes, whole, when they changed. */

const route: LearnedRouteConfig = {
  prefix: "192.0.2.0/24",
  network: "public",
  vni: 5000,
  routerMac: "02:aa:00:00:00:01",
  vtep: "198.18.0.254",
  via: "169.254.0.254",
  peer: "gateway",
  routeTarget: "65000:5000",
};

const base: NodeConfig = { node: "compute-1", underlay: "198.18.0.11", tenants: [] };

const delta = (extra: Record<string, unknown>) =>
  deltaMessageSchema.parse({
    type: "delta",
    generation: 2,
    baseHash: "a",
    hash: "b",
    replace: [],
    remove: [],
    ...extra,
  });

describe("deltas and learned routes", () => {
  it("sets, keeps and clears a node's learned routes, the JSON equal to the compiler's", () => {
    const learned = applyDelta(base, delta({ learnedRoutes: [route] }));
    expect(JSON.stringify(learned)).toBe(JSON.stringify({ ...base, learnedRoutes: [route] }));
    // A delta that does not name them keeps them.
    expect(applyDelta(learned, delta({})).learnedRoutes).toEqual([route]);
    // `[]` withdraws them all; the field goes, as the compiler leaves it out.
    const cleared = applyDelta(learned, delta({ learnedRoutes: [] }));
    expect(JSON.stringify(cleared)).toBe(JSON.stringify(base));
  });

  it("refuses learned routes that are not objects", () => {
    expect(deltaMessageSchema.safeParse({ ...delta({}), learnedRoutes: ["x"] }).success).toBe(
      false,
    );
  });
});
