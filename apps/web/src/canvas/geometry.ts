import { Position } from "@xyflow/react";
import type { TopologyNode } from "./graph";

/**
 * Node geometry known before React Flow measures the DOM. With `onlyRenderVisibleElements`,
 * nodes off screen are never measured; giving every node an estimated size and its handle
 * positions keeps fit-to-view, the minimap and edges to off-screen nodes working. Widths are
 * fixed in CSS (styles.css, .nl-*), heights follow the content lines estimated here.
 */
export const NODE_WIDTH: Record<NonNullable<TopologyNode["type"]>, number> = {
  network: 220,
  workload: 180,
  service: 190,
  router: 170,
  pool: 180,
  fip: 200,
  gateway: 200,
};

/** A gateway node lists this many prefixes, then "+N more". */
export const GATEWAY_PREFIXES_SHOWN = 5;

const HEAD = 30;
const LINE = 17;

/**
 * The size every node is drawn at. Nodes get it as a fixed width and height (CSS clips the
 * rare overflow), so the DOM measures exactly what the canvas assumed: no dimension changes,
 * no re-layout when culled nodes scroll into view.
 */
export function estimateSize(node: TopologyNode): { width: number; height: number } {
  const type = node.type ?? "network";
  const width = NODE_WIDTH[type];
  switch (node.type) {
    case "network": {
      const chips = node.data.policies.length > 0 ? 25 : 0;
      return { width, height: 4 + HEAD + 6 + LINE * node.data.network.subnets.length + chips };
    }
    case "workload": {
      const foot = node.data.workload.node ? 21 : 0;
      return { width, height: 2 + HEAD + 6 + LINE * node.data.workload.interfaces.length + foot };
    }
    case "service":
      return { width, height: 2 + HEAD + 21 };
    case "gateway": {
      const count = node.data.prefixes.length;
      const lines =
        Math.min(count, GATEWAY_PREFIXES_SHOWN) + (count > GATEWAY_PREFIXES_SHOWN ? 1 : 0);
      return { width, height: 2 + HEAD + 6 + LINE * lines };
    }
    default:
      // Room for a name drawn large when zoomed out (lod.ts).
      return { width, height: 2 + HEAD + 10 };
  }
}

const HANDLE = 8;

/** Handle boxes where the CSS puts them: centred on the top/bottom (and left/right) edges. */
export function handlesFor(
  node: TopologyNode,
  width: number,
  height: number,
): NonNullable<TopologyNode["handles"]> {
  const half = HANDLE / 2;
  const handles: NonNullable<TopologyNode["handles"]> = [
    {
      id: "top",
      type: "target",
      position: Position.Top,
      x: width / 2 - half,
      y: -half,
      width: HANDLE,
      height: HANDLE,
    },
    {
      id: "bottom",
      type: "source",
      position: Position.Bottom,
      x: width / 2 - half,
      y: height - half,
      width: HANDLE,
      height: HANDLE,
    },
  ];
  if (node.type === "network") {
    handles.push(
      {
        id: "left",
        type: "target",
        position: Position.Left,
        x: -half,
        y: height / 2 - half,
        width: HANDLE,
        height: HANDLE,
      },
      {
        id: "right",
        type: "source",
        position: Position.Right,
        x: width - half,
        y: height / 2 - half,
        width: HANDLE,
        height: HANDLE,
      },
    );
  }
  return handles;
}
