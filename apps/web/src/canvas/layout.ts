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

/**
 * The default layout for a tenant without saved positions, instant at any size: networks on a
 * row like buses, each network's workloads stacked above it (with their floating IPs beside
 * them), routers and services below between the networks they join.
 */
export function quickLayout(graph: Graph): Record<string, Position> {
  const positions: Record<string, Position> = {};
  const NET_Y = 0;
  const NET_GAP = 270;
  const networks = graph.nodes.filter((n) => n.type === "network");
  const netX = new Map<string, number>();
  networks.forEach((node, index) => {
    positions[node.id] = { x: index * NET_GAP, y: NET_Y };
    netX.set(node.id, index * NET_GAP);
  });
  const linksOf = new Map<string, string[]>();
  for (const edge of graph.edges) {
    if (edge.type !== "link") continue;
    const list = linksOf.get(edge.source) ?? [];
    list.push(edge.target);
    linksOf.set(edge.source, list);
  }
  const stackAbove = new Map<string, number>();
  const stackBelow = new Map<string, number>();
  let orphanX = networks.length * NET_GAP;
  for (const node of graph.nodes) {
    if (node.type === "network" || node.type === "fip") continue;
    const nets = (linksOf.get(node.id) ?? []).filter((id) => netX.has(id));
    if (node.type === "workload") {
      const home = nets[0];
      if (home === undefined) {
        positions[node.id] = { x: orphanX, y: NET_Y - 120 };
        orphanX += 200;
        continue;
      }
      const k = stackAbove.get(home) ?? 0;
      stackAbove.set(home, k + 1);
      const x = (netX.get(home) ?? 0) + 20;
      positions[node.id] = { x, y: NET_Y - 110 - k * 86 };
      (linksOf.get(node.id) ?? [])
        .filter((id) => id.startsWith("fip:"))
        .forEach((fip, i) => {
          positions[fip] = { x: x + 195, y: NET_Y - 100 - k * 86 + i * 36 };
        });
      continue;
    }
    const xs = nets.map((id) => netX.get(id) ?? 0);
    const x = xs.length > 0 ? (Math.min(...xs) + Math.max(...xs)) / 2 : orphanX;
    if (xs.length === 0) orphanX += 220;
    const slot = Math.round(x / 50);
    const key = String(slot);
    const k = stackBelow.get(key) ?? 0;
    stackBelow.set(key, k + 1);
    positions[node.id] = { x: x + 15, y: NET_Y + 190 + k * 76 };
  }
  return positions;
}
