import type { ReactFlowState } from "@xyflow/react";
import { describe, expect, it } from "vitest";
import { policyEdgesInView } from "../src/canvas/lod";

/** Just the parts of React Flow's state the level-of-detail count reads. */
function state(transform: [number, number, number], width = 1000, height = 500): ReactFlowState {
  const node = (id: string, x: number, y: number) =>
    [
      id,
      {
        id,
        internals: { positionAbsolute: { x, y } },
        measured: { width: 200, height: 60 },
      },
    ] as const;
  // Three networks in a row 1,000 apart; policy edges a-b (middle at x≈600) and b-c (≈1,600).
  const nodeLookup = new Map([node("a", 0, 0), node("b", 1000, 0), node("c", 2000, 0)]);
  const edges = [
    { id: "pol:ab", type: "policy", source: "a", target: "b" },
    { id: "pol:bc", type: "policy", source: "b", target: "c" },
    { id: "if:x", type: "link", source: "a", target: "c" },
  ];
  return { transform, width, height, nodeLookup, edges } as unknown as ReactFlowState;
}

describe("level of detail: policy edges in view", () => {
  it("counts policy edges whose middle is inside the view, not links", () => {
    expect(policyEdgesInView(state([0, 0, 1]), 40)).toBe(1);
    // Zoomed out to 0.5 the same screen shows 2,000 flow px: both policy middles.
    expect(policyEdgesInView(state([0, 0, 0.5]), 40)).toBe(2);
  });

  it("follows the pan", () => {
    // Panned 1,000 px left: the view spans flow x 1,000..2,000, where only b-c's middle is.
    expect(policyEdgesInView(state([-1000, 0, 1]), 40)).toBe(1);
    // Panned down out of the row: nothing in view.
    expect(policyEdgesInView(state([0, -2000, 1]), 40)).toBe(0);
  });

  it("stops counting past the limit", () => {
    expect(policyEdgesInView(state([0, 0, 0.5]), 0)).toBe(1);
  });

  it("counts nothing before the canvas has a size", () => {
    expect(policyEdgesInView(state([0, 0, 1], 0, 0), 40)).toBe(0);
  });
});
