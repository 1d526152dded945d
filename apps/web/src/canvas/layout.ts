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
 * The default layout for a tenant without saved positions, instant at any size: networks in
 * rows like buses, each network's workloads stacked above it (floating IPs beside them),
 * routers and services below, between the networks they join. Rows wrap so the picture stays
 * roughly as wide as it is tall.
 */
export function quickLayout(graph: Graph): Record<string, Position> {
  const positions: Record<string, Position> = {};
  const NET_GAP = 340;
  const WORKLOAD_STEP = 80;
  const BELOW_STEP = 66;
  const networks = graph.nodes.filter((n) => n.type === "network");
  const perRow = Math.max(2, Math.ceil(Math.sqrt(networks.length * 2)));
  const column = new Map<string, number>();
  const rowOf = new Map<string, number>();
  networks.forEach((node, index) => {
    column.set(node.id, index % perRow);
    rowOf.set(node.id, Math.floor(index / perRow));
  });
  const linksOf = new Map<string, string[]>();
  const link = (from: string, to: string) => {
    const list = linksOf.get(from) ?? [];
    list.push(to);
    linksOf.set(from, list);
  };
  for (const edge of graph.edges) {
    if (edge.type === "link") link(edge.source, edge.target);
    // A chained service sits between the networks of the policy that chains it.
    if (edge.type === "policy" && edge.data) {
      for (const rule of edge.data.policy.rules) {
        for (const service of rule.services ?? []) {
          link(`svc:${service}`, edge.source);
          link(`svc:${service}`, edge.target);
        }
      }
    }
  }
  const above = new Map<string, number>();
  const orphans: string[] = [];
  const placements: {
    id: string;
    row: number;
    x: number;
    slot: "above" | "below";
    home: string;
  }[] = [];
  for (const node of graph.nodes) {
    if (node.type === "network") continue;
    // A floating IP lives on its pool's external network: it stacks above that network.
    const via =
      node.type === "fip"
        ? (linksOf.get(node.id) ?? [])
            .filter((id) => id.startsWith("pool:"))
            .flatMap((id) => linksOf.get(id) ?? [])
        : [];
    const nets = [...new Set([...via, ...(linksOf.get(node.id) ?? [])])].filter((id) =>
      column.has(id),
    );
    const home = nets[0];
    if (home === undefined) {
      orphans.push(node.id);
      continue;
    }
    const row = rowOf.get(home) ?? 0;
    if (node.type === "workload" || node.type === "fip") {
      placements.push({
        id: node.id,
        row,
        x: (column.get(home) ?? 0) * NET_GAP + 20,
        slot: "above",
        home,
      });
    } else {
      const cols = nets.filter((id) => rowOf.get(id) === row).map((id) => column.get(id) ?? 0);
      const x = ((Math.min(...cols) + Math.max(...cols)) / 2) * NET_GAP + 15;
      placements.push({ id: node.id, row, x, slot: "below", home: "" });
    }
  }
  // Row heights follow the tallest stack above and below in each row.
  const rows = Math.max(1, Math.ceil(networks.length / perRow));
  const maxAbove = new Array<number>(rows).fill(0);
  const maxBelow = new Array<number>(rows).fill(0);
  // Below the networks, services and routers take the first lane where they overlap nothing.
  const lanes: { from: number; to: number }[][][] = Array.from({ length: rows }, () => []);
  const laneOf = new Map<string, number>();
  for (const p of placements) {
    if (p.slot === "above") {
      const key = `${p.row}:${p.home}`;
      const k = above.get(key) ?? 0;
      above.set(key, k + 1);
      maxAbove[p.row] = Math.max(maxAbove[p.row] ?? 0, k + 1);
      continue;
    }
    const rowLanes = lanes[p.row] ?? [];
    let lane = 0;
    while ((rowLanes[lane] ?? []).some((r) => p.x < r.to + 16 && p.x + 200 > r.from)) lane++;
    rowLanes[lane] = [...(rowLanes[lane] ?? []), { from: p.x, to: p.x + 200 }];
    lanes[p.row] = rowLanes;
    laneOf.set(p.id, lane);
    maxBelow[p.row] = Math.max(maxBelow[p.row] ?? 0, lane + 1);
  }
  const rowY: number[] = [];
  let y = 0;
  for (let r = 0; r < rows; r++) {
    y += (maxAbove[r] ?? 0) * WORKLOAD_STEP + 30;
    rowY.push(y);
    y += 110 + (maxBelow[r] ?? 0) * BELOW_STEP + 60;
  }
  for (const node of networks) {
    positions[node.id] = {
      x: (column.get(node.id) ?? 0) * NET_GAP,
      y: rowY[rowOf.get(node.id) ?? 0] ?? 0,
    };
  }
  above.clear();
  for (const p of placements) {
    const base = rowY[p.row] ?? 0;
    if (p.slot === "below") {
      positions[p.id] = { x: p.x, y: base + 120 + (laneOf.get(p.id) ?? 0) * BELOW_STEP };
      continue;
    }
    const key = `${p.row}:${p.home}`;
    const k = above.get(key) ?? 0;
    above.set(key, k + 1);
    positions[p.id] = { x: p.x, y: base - 96 - k * WORKLOAD_STEP };
  }
  orphans.forEach((id, i) => {
    positions[id] = { x: perRow * NET_GAP + (i % 2) * 210, y: Math.floor(i / 2) * 70 };
  });
  return positions;
}
