import type { ELK as ElkInstance } from "elkjs/lib/elk-api";
import type { Graph } from "./graph";

type Position = { x: number; y: number };

/** Rough sizes per node type, for layout before React Flow has measured anything. */
const SIZE: Record<string, { width: number; height: number }> = {
  network: { width: 210, height: 84 },
  workload: { width: 170, height: 58 },
  service: { width: 180, height: 52 },
  router: { width: 140, height: 36 },
  pool: { width: 150, height: 36 },
  fip: { width: 130, height: 32 },
};

/** elkjs is 1.5 MB: loaded on the first layout, never on the way to first render. */
let elk: ElkInstance | null = null;

/**
 * Layered layout (elkjs): workloads and services above the networks they attach to, policies
 * running across. Measured sizes are used where React Flow has them.
 */
export async function autoLayout(
  graph: Graph,
  measured: Record<string, { width: number; height: number }> = {},
): Promise<Record<string, Position>> {
  if (!elk) {
    const { default: ELK } = await import("elkjs/lib/elk.bundled.js");
    elk = new ELK();
  }
  const result = await elk.layout({
    id: "root",
    layoutOptions: {
      "elk.algorithm": "layered",
      "elk.direction": "DOWN",
      "elk.layered.spacing.nodeNodeBetweenLayers": "70",
      "elk.spacing.nodeNode": "36",
      "elk.layered.nodePlacement.strategy": "NETWORK_SIMPLEX",
      "elk.separateConnectedComponents": "true",
      "elk.spacing.componentComponent": "60",
    },
    children: graph.nodes.map((node) => ({
      id: node.id,
      ...(measured[node.id] ?? SIZE[node.type ?? "network"] ?? { width: 160, height: 50 }),
    })),
    // Policy edges join peers; leaving them out keeps networks on one layer.
    edges: graph.edges
      .filter((edge) => edge.type === "link")
      .map((edge) => ({ id: edge.id, sources: [edge.source], targets: [edge.target] })),
  });
  const positions: Record<string, Position> = {};
  for (const child of result.children ?? []) {
    positions[child.id] = { x: child.x ?? 0, y: child.y ?? 0 };
  }
  return positions;
}

/**
 * Placement for nodes that have no saved position and no layout yet: networks on a row,
 * everything else on rows above, in document order. Instant at any size.
 */
export function gridPosition(id: string, index: number): Position {
  const isNetwork = id.startsWith("net:");
  const perRow = 12;
  const col = index % perRow;
  const row = Math.floor(index / perRow);
  return { x: col * 240, y: row * 140 + (isNetwork ? 70 : 0) };
}

const STORAGE_PREFIX = "netloom.positions.";

/**
 * Node positions are saved per tenant in this browser's localStorage: the layout is a view
 * preference, not intent, so it never reaches the controller or the exported file.
 */
export function loadPositions(tenant: string): Record<string, Position> {
  try {
    const raw = localStorage.getItem(STORAGE_PREFIX + tenant);
    if (!raw) return {};
    const parsed: unknown = JSON.parse(raw);
    return parsed && typeof parsed === "object" ? (parsed as Record<string, Position>) : {};
  } catch {
    return {};
  }
}

export function savePositions(tenant: string, positions: Record<string, Position>): void {
  try {
    localStorage.setItem(STORAGE_PREFIX + tenant, JSON.stringify(positions));
  } catch {
    // A full or disabled storage only loses layout; the topology itself is safe on the server.
  }
}
