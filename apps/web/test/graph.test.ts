import type { IntentFile } from "@netloom/model";
import { describe, expect, it } from "vitest";
import { generateTenant } from "../src/bench/generate";
import { buildGraph, policyOfEdge, refOfNode } from "../src/canvas/graph";
import { gridPosition } from "../src/canvas/layout";
import { failureOf, pathOf, problemsUnder } from "../src/errors";

const doc = {
  apiVersion: "netloom/v1",
  tenant: "t",
  networks: [
    { name: "a", subnets: [{ cidr: "10.1.0.0/24" }] },
    { name: "b", subnets: [{ cidr: "10.2.0.0/24" }] },
    { name: "c", subnets: [{ cidr: "10.3.0.0/24" }] },
    { name: "pub", external: true, subnets: [{ cidr: "203.0.113.0/24" }] },
  ],
  workloads: [{ name: "w", interfaces: [{ network: "a", floatingIp: { pool: "pool" } }] }],
  policies: [{ name: "p", attach: ["a", "b", "c"], rules: [] }],
  services: [
    { name: "fw", type: "firewall", rules: [] },
    { name: "nat", type: "nat", inside: ["a", "b"], outside: "pub" },
  ],
  routers: [{ name: "r", networks: ["b", "c"] }],
  floatingIpPools: [{ name: "pool", network: "pub" }],
} as unknown as IntentFile;

describe("canvas graph", () => {
  const graph = buildGraph(doc, {}, gridPosition);

  it("draws one node per object and one per floating IP", () => {
    expect(graph.nodes.map((n) => n.id).sort()).toEqual(
      [
        "fip:w/0",
        "net:a",
        "net:b",
        "net:c",
        "net:pub",
        "pool:pool",
        "rtr:r",
        "svc:fw",
        "svc:nat",
        "wl:w",
      ].sort(),
    );
  });

  it("a policy joining three networks is three edges", () => {
    const policyEdges = graph.edges.filter((e) => e.type === "policy").map((e) => e.id);
    expect(policyEdges).toEqual(["pol:p:a:b", "pol:p:a:c", "pol:p:b:c"]);
    expect(policyOfEdge("pol:p:a:b")).toBe("p");
    expect(policyOfEdge("if:w/0")).toBeNull();
  });

  it("links interfaces, router legs, NAT legs, pools and floating IPs", () => {
    const links = graph.edges
      .filter((e) => e.type === "link")
      .map((e) => `${e.source}->${e.target}`);
    expect(links).toContain("wl:w->net:a");
    expect(links).toContain("rtr:r->net:b");
    expect(links).toContain("svc:nat->net:pub");
    expect(links).toContain("pool:pool->net:pub");
    expect(links).toContain("fip:w/0->pool:pool");
  });

  it("maps node ids back to document objects", () => {
    expect(refOfNode("fip:w/0")).toEqual({ kind: "workloads", name: "w" });
    expect(refOfNode("svc:nat")).toEqual({ kind: "services", name: "nat" });
  });

  it("the benchmark tenant is 2,000 nodes and 3,000 edges", () => {
    const generated = generateTenant(2000, 3000);
    const big = buildGraph(generated.doc, generated.positions, gridPosition);
    expect(big.nodes).toHaveLength(2000);
    expect(big.edges).toHaveLength(3000);
  });
});

describe("errors from the wire", () => {
  it("reads code and problems from error.data.netloom", () => {
    const failure = failureOf({
      message: "bad",
      data: {
        netloom: {
          code: "INVALID",
          problems: [{ path: "networks[1].subnets[0].cidr", message: "is not an IPv4 prefix" }],
        },
      },
    });
    expect(failure.code).toBe("INVALID");
    expect(problemsUnder(failure.problems, "networks[1]")).toEqual([
      { path: "subnets[0].cidr", message: "is not an IPv4 prefix" },
    ]);
    expect(problemsUnder(failure.problems, "networks[0]")).toEqual([]);
  });

  it("formats zod paths as the spec does", () => {
    expect(pathOf(["subnets", 0, "cidr"])).toBe("subnets[0].cidr");
  });
});
