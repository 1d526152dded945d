import { describe, expect, it } from "vitest";
import {
  areaAround,
  boundsOfNodes,
  cullToArea,
  nearArea,
  needsNewArea,
  viewArea,
} from "../src/canvas/culling";

const node = (id: string, x: number, y: number) => ({
  id,
  position: { x, y },
  width: 100,
  height: 50,
});
const edge = (source: string, target: string) => ({ id: `${source}-${target}`, source, target });

describe("handing React Flow only what is around the view", () => {
  const area = { x: 0, y: 0, width: 1000, height: 1000 };
  const nodes = [
    node("in", 100, 100),
    node("edge-of-area", 950, 980), // its box reaches into the area
    node("far-right", 5000, 100),
    node("far-left", -5000, 100),
    node("far-away", 9000, 9000),
    node("pinned", 20000, 20000),
  ];

  it("keeps nodes touching the area, both ends of edges through it, and pinned nodes", () => {
    const edges = [
      edge("in", "far-away"), // one end inside: both ends are needed to draw it
      edge("far-left", "far-right"), // crosses the view between two far nodes
      edge("far-away", "pinned"), // nowhere near the area
    ];
    const handed = cullToArea(nodes, edges, area, new Set(["pinned"]));
    expect(handed.nodes.map((n) => n.id)).toEqual([
      "in",
      "edge-of-area",
      "far-right",
      "far-left",
      "far-away",
      "pinned",
    ]);
    expect(handed.edges.map((e) => e.id)).toEqual(["in-far-away", "far-left-far-right"]);
    // Without the edges, the far nodes are not needed.
    const alone = cullToArea(nodes, [], area, new Set());
    expect(alone.nodes.map((n) => n.id)).toEqual(["in", "edge-of-area"]);
  });

  it("answers the same arrays when nothing is culled, and the previous edges when unchanged", () => {
    const few = [node("a", 10, 10), node("b", 300, 300)];
    const edges = [edge("a", "b")];
    const handed = cullToArea(few, edges, area, new Set());
    expect(handed.nodes).toBe(few);
    expect(handed.edges).toBe(edges);
    const many = [...few, node("c", 7000, 7000)];
    const moreEdges = [edge("a", "b"), edge("c", "c")];
    const first = cullToArea(many, moreEdges, area, new Set());
    expect(first.edges).toEqual([moreEdges[0]]);
    const again = cullToArea(many, moreEdges, area, new Set(), first.edges);
    expect(again.edges).toBe(first.edges);
  });

  it("moves the area only when the view leaves it or shrinks far inside it", () => {
    // A 1000x800 pane at zoom 0.5 whose top-left shows flow point (200, 100).
    const view = viewArea([-100, -50, 0.5], 1000, 800);
    expect(view).toEqual({ x: 200, y: 100, width: 2000, height: 1600 });
    const around = areaAround(view, 0.75);
    expect(around).toEqual({ x: -1300, y: -1100, width: 5000, height: 4000 });
    expect(needsNewArea(null, view)).toBe(true);
    expect(needsNewArea(around, view)).toBe(false);
    // Panned half a screen: still inside.
    expect(needsNewArea(around, { ...view, x: view.x + 1000 })).toBe(false);
    // Panned two screens: outside.
    expect(needsNewArea(around, { ...view, x: view.x + 4000 })).toBe(true);
    // Zoomed in tenfold: the area would hold far more than the view needs.
    expect(needsNewArea(around, { x: 1000, y: 800, width: 200, height: 160 })).toBe(true);
  });

  it("tells whether a moving node is or will be near the area", () => {
    const far = { x: 9000, y: 9000 };
    expect(nearArea(area, { x: 10, y: 10 }, far)).toBe(true);
    expect(nearArea(area, far, { x: 990, y: 990 })).toBe(true);
    // A node whose corner is left of the area still reaches into it.
    expect(nearArea(area, { x: -150, y: 500 }, far)).toBe(true);
    expect(nearArea(area, far, { x: 5000, y: 10 })).toBe(false);
    expect(nearArea(area, undefined, far)).toBe(false);
  });

  it("bounds every node, or none", () => {
    expect(boundsOfNodes(nodes)).toEqual({ x: -5000, y: 100, width: 25100, height: 19950 });
    expect(boundsOfNodes([])).toBeNull();
  });
});
