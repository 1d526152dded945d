import type { IntentFile } from "@netloom/model";
import { describe, expect, it } from "vitest";
import { borderPoint, policyPath } from "../src/canvas/edgeGeometry";
import { estimateSize } from "../src/canvas/geometry";
import { buildGraph, type Graph } from "../src/canvas/graph";
import { layeredLayout, placeInFreeSpace } from "../src/canvas/layered";
import { boxesOf, gridPosition, layoutInputOf, placeNewNodes } from "../src/canvas/layout";

/** The demo tenant's shape (apps/controller/src/demo.ts): three tiers, chain, NAT, router. */
const demo = {
  apiVersion: "netloom/v1",
  tenant: "demo",
  networks: [
    { name: "web", subnets: [{ cidr: "10.20.1.0/24" }] },
    { name: "app", subnets: [{ cidr: "10.20.2.0/24" }] },
    { name: "db", subnets: [{ cidr: "10.20.3.0/24" }] },
    { name: "mgmt", subnets: [{ cidr: "10.20.9.0/24" }] },
    { name: "public", external: true, subnets: [{ cidr: "203.0.113.0/24" }] },
  ],
  workloads: [
    { name: "web-1", interfaces: [{ network: "web", floatingIp: { pool: "public-pool" } }] },
    { name: "web-2", interfaces: [{ network: "web" }] },
    { name: "app-1", interfaces: [{ network: "app" }] },
    { name: "db-1", interfaces: [{ network: "db" }] },
    { name: "bastion", interfaces: [{ network: "mgmt" }, { network: "web" }] },
  ],
  policies: [
    {
      name: "web-app",
      attach: ["web", "app"],
      rules: [{ action: "allow", protocol: "tcp", source: "web", destination: "app", ports: 8080 }],
    },
    {
      name: "app-db",
      attach: ["app", "db"],
      rules: [
        {
          action: "allow",
          protocol: "tcp",
          source: "app",
          destination: "db",
          ports: 5432,
          services: ["fw1"],
        },
      ],
    },
  ],
  services: [
    { name: "fw1", type: "firewall", rules: [] },
    {
      name: "lb1",
      type: "load-balancer",
      network: "web",
      vip: "10.20.1.100",
      protocol: "tcp",
      port: 80,
      members: ["web-1", "web-2"],
      memberPort: 8080,
    },
    { name: "nat1", type: "nat", inside: ["app"], outside: "public" },
    { name: "dns1", type: "dns", domain: "demo.internal", networks: ["web", "app", "db"] },
  ],
  routers: [{ name: "r1", networks: ["web", "mgmt"] }],
  floatingIpPools: [{ name: "public-pool", network: "public" }],
} as unknown as IntentFile;

function overlaps(graph: Graph, positions: Record<string, { x: number; y: number }>): string[] {
  const boxes = graph.nodes.map((node) => ({
    id: node.id,
    ...positions[node.id],
    ...estimateSize(node),
  }));
  const found: string[] = [];
  for (let i = 0; i < boxes.length; i++) {
    for (let j = i + 1; j < boxes.length; j++) {
      const a = boxes[i];
      const b = boxes[j];
      if (
        !a ||
        !b ||
        a.x === undefined ||
        b.x === undefined ||
        a.y === undefined ||
        b.y === undefined
      )
        continue;
      if (
        a.x < b.x + b.width &&
        a.x + a.width > b.x &&
        a.y < b.y + b.height &&
        a.y + a.height > b.y
      )
        found.push(`${a.id} / ${b.id}`);
    }
  }
  return found;
}

describe("layered layout", () => {
  const graph = buildGraph(demo, {}, gridPosition);
  const positions = layeredLayout(layoutInputOf(graph));
  const at = (id: string) => {
    const p = positions[id];
    if (!p) throw new Error(`${id} not placed`);
    return p;
  };

  it("places every node, deterministically, with no two overlapping", () => {
    expect(Object.keys(positions).sort()).toEqual(graph.nodes.map((n) => n.id).sort());
    expect(layeredLayout(layoutInputOf(buildGraph(demo, {}, gridPosition)))).toEqual(positions);
    expect(overlaps(graph, positions)).toEqual([]);
  });

  it("puts networks in tiers left to right by their policies, externals at the left edge", () => {
    expect(at("net:public").x).toBeLessThan(at("net:web").x);
    expect(at("net:web").x).toBeLessThan(at("net:app").x);
    expect(at("net:app").x).toBeLessThan(at("net:db").x);
    // mgmt only joins web through a router: it stands in web's column, below it.
    expect(at("net:mgmt").x).toBe(at("net:web").x);
    expect(at("net:mgmt").y).toBeGreaterThan(at("net:web").y);
    // The pool stands with its external network.
    expect(at("pool:public-pool").x).toBeGreaterThanOrEqual(at("net:public").x);
    expect(at("pool:public-pool").x).toBeLessThan(at("net:web").x);
  });

  it("stacks workloads below their network and draws a chained service on its edge", () => {
    for (const id of ["wl:web-1", "wl:web-2", "svc:lb1"]) {
      expect(at(id).x).toBeGreaterThanOrEqual(at("net:web").x);
      expect(at(id).x).toBeLessThan(at("net:app").x);
      expect(at(id).y).toBeGreaterThan(at("net:web").y);
    }
    expect(at("fip:web-1/0").y).toBeGreaterThan(at("wl:web-1").y);
    const fw = at("svc:fw1");
    expect(fw.x).toBeGreaterThan(at("net:app").x + 200);
    expect(fw.x + 190).toBeLessThanOrEqual(at("net:db").x);
  });

  it("puts new nodes into free space near what they attach to", () => {
    const more = {
      ...demo,
      workloads: [...(demo.workloads ?? []), { name: "web-3", interfaces: [{ network: "web" }] }],
    } as IntentFile;
    const bigger = buildGraph(more, positions, gridPosition);
    const added = placeNewNodes(bigger, positions);
    expect(Object.keys(added)).toEqual(["wl:web-3"]);
    expect(overlaps(bigger, { ...positions, ...added })).toEqual([]);
    const web = at("net:web");
    const placed = added["wl:web-3"];
    expect(placed && Math.hypot(placed.x - web.x, placed.y - web.y)).toBeLessThan(800);
  });

  it("placeInFreeSpace keeps a free spot and moves off a taken one", () => {
    const boxes = boxesOf(graph, positions);
    const free = { x: -5000, y: -5000 };
    expect(placeInFreeSpace(free, { width: 100, height: 40 }, boxes)).toEqual(free);
    const web = at("net:web");
    const moved = placeInFreeSpace(web, { width: 180, height: 58 }, boxes);
    expect(moved).not.toEqual(web);
    expect(
      boxes.some(
        (b) =>
          moved.x < b.x + b.width &&
          moved.x + 180 > b.x &&
          moved.y < b.y + b.height &&
          moved.y + 58 > b.y,
      ),
    ).toBe(false);
  });
});

describe("edge geometry", () => {
  it("starts links on the node border", () => {
    const p = borderPoint({ x: 0, y: 0, width: 100, height: 50 }, { x: 50, y: 500 });
    expect(p).toEqual({ x: 50, y: 50 });
  });

  it("fans parallel policies apart", () => {
    const a = { x: 0, y: 0, width: 220, height: 80 };
    const b = { x: 500, y: 0, width: 220, height: 80 };
    const [, x0, y0] = policyPath(a, b, 0, 2);
    const [, x1, y1] = policyPath(a, b, 1, 2);
    expect(Math.hypot(x1 - x0, y1 - y0)).toBeGreaterThanOrEqual(30);
    const [only] = policyPath(a, b, 0, 1);
    expect(only.startsWith("M220,40")).toBe(true);
  });

  it("numbers parallel policies between the same networks", () => {
    const doc = {
      ...demo,
      policies: [
        ...(demo.policies ?? []),
        { name: "web-app-2", attach: ["app", "web"], rules: [] },
      ],
    } as IntentFile;
    const lanes = buildGraph(doc, {}, gridPosition)
      .edges.filter((e) => e.type === "policy" && e.data?.kind === "policy")
      .map((e) =>
        e.data?.kind === "policy" ? [e.data.policy.name, e.data.lane, e.data.lanes] : [],
      );
    expect(lanes).toContainEqual(["web-app", 0, 2]);
    expect(lanes).toContainEqual(["web-app-2", 1, 2]);
    expect(lanes).toContainEqual(["app-db", 0, 1]);
  });
});
