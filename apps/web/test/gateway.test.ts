import type { IntentFile } from "@netloom/model";
import { describe, expect, it } from "vitest";
import { estimateSize } from "../src/canvas/geometry";
import {
  buildGraph,
  type ExternalRoutes,
  type GatewayFlowNode,
  gatewayLabel,
  refOfNode,
} from "../src/canvas/graph";
import { layeredLayout } from "../src/canvas/layered";
import { gridPosition, layoutInputOf } from "../src/canvas/layout";
import { mergeNodes } from "../src/canvas/nodeMerge";

/** `pub` is the tenant's own external network; `internet` a fabric one, used by pool and NAT. */
const doc = {
  apiVersion: "netloom/v1",
  tenant: "t",
  networks: [
    { name: "lan", subnets: [{ cidr: "10.1.0.0/24" }] },
    { name: "pub", external: true, subnets: [{ cidr: "203.0.113.0/24" }] },
  ],
  services: [{ name: "snat", type: "nat", inside: ["lan"], outside: "internet" }],
  floatingIpPools: [{ name: "public", network: "internet" }],
} as unknown as IntentFile;

const internet: ExternalRoutes = {
  network: "internet",
  peers: [{ name: "gateway" }],
  prefixes: [
    { prefix: "192.0.2.0/24", peer: "gateway" },
    { prefix: "198.51.100.0/24", peer: "gateway" },
  ],
};

function gatewayNode(nodes: { id: string }[], id: string): GatewayFlowNode {
  const node = nodes.find((candidate) => candidate.id === id);
  if (!node) throw new Error(`no node ${id}`);
  return node as GatewayFlowNode;
}

describe("canvas gateway nodes (issue 14)", () => {
  it("draws nothing without learned routes", () => {
    const graph = buildGraph(doc, {}, gridPosition);
    expect(graph.nodes.some((node) => node.type === "gateway")).toBe(false);
    const empty = buildGraph(doc, {}, gridPosition, [{ ...internet, prefixes: [] }]);
    expect(empty.nodes.some((node) => node.type === "gateway")).toBe(false);
  });

  it("joins a fabric network's gateway to the pool and NAT service using it", () => {
    const graph = buildGraph(doc, {}, gridPosition, [internet]);
    const node = gatewayNode(graph.nodes, "gw:internet");
    expect(node.type).toBe("gateway");
    expect(node.data).toEqual({
      kind: "gateway",
      network: "internet",
      peers: ["gateway"],
      prefixes: internet.prefixes,
    });
    expect(node.connectable).toBe(false);
    expect(node.deletable).toBe(false);
    const links = graph.edges
      .filter((edge) => edge.source === "gw:internet")
      .map((edge) => edge.target)
      .sort();
    expect(links).toEqual(["pool:public", "svc:snat"]);
    // Not an object of the document: selecting it opens no inspector.
    expect(refOfNode("gw:internet")).toBeNull();
    // The layout knows its kind and its link.
    const input = layoutInputOf(graph);
    expect(input.nodes.find((n) => n.id === "gw:internet")?.type).toBe("gateway");
    expect(input.links).toContainEqual({ source: "gw:internet", target: "pool:public" });
    expect(layeredLayout(input)["gw:internet"]).toEqual({
      x: expect.any(Number),
      y: expect.any(Number),
    });
  });

  it("joins the network's own node when the tenant draws it", () => {
    const graph = buildGraph(doc, {}, gridPosition, [
      {
        network: "pub",
        peers: [{ name: "edge" }],
        prefixes: [{ prefix: "0.0.0.0/0", peer: "edge" }],
      },
    ]);
    const edges = graph.edges.filter((edge) => edge.source === "gw:pub");
    expect(edges.map((edge) => edge.target)).toEqual(["net:pub"]);
  });

  it("skips a network the document does not use", () => {
    const graph = buildGraph(doc, {}, gridPosition, [{ ...internet, network: "elsewhere" }]);
    expect(graph.nodes.some((node) => node.type === "gateway")).toBe(false);
  });

  it("names the node by its peers and prefix count, and sizes at most five lines and a more", () => {
    const graph = buildGraph(doc, {}, gridPosition, [internet]);
    const [merged] = mergeNodes(
      [],
      graph.nodes.filter((node) => node.type === "gateway"),
      { selectedId: null, activeStop: null, positions: {} },
    );
    expect(merged?.ariaLabel).toBe("gateway gateway: 2 learned prefixes");
    const many = Array.from({ length: 12 }, (_, i) => ({ prefix: `10.9.${i}.0/24`, peer: "a" }));
    const big = gatewayNode(
      buildGraph(doc, {}, gridPosition, [
        { network: "internet", peers: [{ name: "a" }, { name: "b" }], prefixes: many },
      ]).nodes,
      "gw:internet",
    );
    expect(gatewayLabel(big.data)).toBe("gateway a, b: 12 learned prefixes");
    const small = gatewayNode(graph.nodes, "gw:internet");
    // Five prefix lines and "+7 more" against two lines: four lines taller.
    expect(estimateSize(big).height - estimateSize(small).height).toBe(4 * 17);
  });
});
