/**
 * The canvas's layered layout, pure and deterministic (same input, same picture), so it runs in
 * a Web Worker (layout.worker.ts) and in unit tests alike. No DOM, no React Flow.
 *
 * - Networks stand in tiers, left to right, by the direction their policies let traffic flow
 *   (rule source to destination) and, when a policy says nothing about direction, by its
 *   attach order. Networks only joined by a router stand in the tier of the network they join.
 * - External networks (and their floating IP pools) form the leftmost column: the edge of the
 *   diagram, where traffic enters.
 * - Each network heads a block: its workloads stacked below it (a floating IP right under its
 *   workload), then its load balancers, DNS, NAT and routers.
 * - A service chained into a policy is drawn on that policy's edge, between the two networks.
 */

export type LayoutNodeType =
  | "network"
  | "workload"
  | "service"
  | "router"
  | "pool"
  | "fip"
  | "gateway";

export interface LayoutNode {
  id: string;
  type: LayoutNodeType;
  width: number;
  height: number;
  external?: boolean;
}

export interface LayoutInput {
  nodes: LayoutNode[];
  /** Attachments: workload, service, router or pool to a network; workload to fip; fip to pool. */
  links: { source: string; target: string }[];
  /** Directed network relations (network node ids): a policy lets `from` reach `to`. */
  flows: { from: string; to: string }[];
  /** Network pairs joined by a policy (drawn as an edge), in attach order. */
  peers: { a: string; b: string }[];
  /** A service (node id) chained into the policy drawn between networks `a` and `b`. */
  chains: { service: string; a: string; b: string }[];
}

export type Position = { x: number; y: number };

/** Spacing, in flow units. */
export const SPACING = {
  /** Between columns: room for a chained service and a policy label in the gap. */
  columnGap: 210,
  /** Between blocks stacked in one column. */
  blockGap: 56,
  /** Between items stacked in a block. */
  itemGap: 18,
  /** Workloads and services sit this far right of their network's left edge. */
  indent: 20,
  /** Between the network and its first item. */
  headGap: 26,
} as const;

export function layeredLayout(input: LayoutInput): Record<string, Position> {
  const byId = new Map(input.nodes.map((node) => [node.id, node]));
  const order = new Map(input.nodes.map((node, index) => [node.id, index]));
  const networks = input.nodes.filter((node) => node.type === "network");
  const internal = networks.filter((node) => !node.external);
  const external = networks.filter((node) => node.external);
  const isInternal = new Set(internal.map((n) => n.id));

  // Directed relations among internal networks; undirected ones (routers, direction-less
  // policies) are kept apart for placing otherwise unrelated networks.
  const out = new Map<string, string[]>();
  const indegree = new Map<string, number>(internal.map((n) => [n.id, 0]));
  const seenEdge = new Set<string>();
  const addFlow = (from: string, to: string) => {
    if (from === to || !isInternal.has(from) || !isInternal.has(to)) return;
    const key = `${from}\u0000${to}`;
    if (seenEdge.has(key) || seenEdge.has(`${to}\u0000${from}`)) return;
    seenEdge.add(key);
    out.set(from, [...(out.get(from) ?? []), to]);
    indegree.set(to, (indegree.get(to) ?? 0) + 1);
  };
  for (const flow of input.flows) addFlow(flow.from, flow.to);
  for (const peer of input.peers) addFlow(peer.a, peer.b);

  const attachedTo = new Map<string, string[]>();
  for (const link of input.links) {
    attachedTo.set(link.source, [...(attachedTo.get(link.source) ?? []), link.target]);
  }
  const neighbours = new Map<string, string[]>();
  for (const node of input.nodes) {
    if (node.type !== "router") continue;
    const legs = (attachedTo.get(node.id) ?? []).filter((id) => isInternal.has(id));
    for (const a of legs) for (const b of legs) if (a !== b) push(neighbours, a, b);
  }

  // Longest-path tiers (Kahn); a cycle is broken at its first network in document order.
  const tier = new Map<string, number>(internal.map((n) => [n.id, 0]));
  const remaining = new Set(internal.map((n) => n.id));
  const ready: string[] = internal.filter((n) => indegree.get(n.id) === 0).map((n) => n.id);
  const hasRelations = new Set<string>();
  for (const [from, tos] of out) {
    hasRelations.add(from);
    for (const to of tos) hasRelations.add(to);
  }
  while (remaining.size > 0) {
    let next = ready.shift();
    if (next === undefined) next = remaining.values().next().value;
    if (next === undefined) break;
    if (!remaining.has(next)) continue;
    remaining.delete(next);
    for (const to of out.get(next) ?? []) {
      if (!remaining.has(to)) continue;
      tier.set(to, Math.max(tier.get(to) ?? 0, (tier.get(next) ?? 0) + 1));
      const left = (indegree.get(to) ?? 0) - 1;
      indegree.set(to, left);
      if (left === 0) ready.push(to);
    }
  }
  // A network with no policy relation joins the tier of a router neighbour that has one.
  const routerAnchor = new Map<string, string>();
  for (const network of internal) {
    if (hasRelations.has(network.id)) continue;
    const anchor = (neighbours.get(network.id) ?? []).find((n) => hasRelations.has(n));
    if (anchor !== undefined) {
      tier.set(network.id, tier.get(anchor) ?? 0);
      routerAnchor.set(network.id, anchor);
    }
  }

  // Columns: externals first (the edge of the diagram), then tiers. Within a column, networks
  // follow the average row of the networks feeding them (barycenter), then document order.
  const tierCount = Math.max(0, ...internal.map((n) => (tier.get(n.id) ?? 0) + 1));
  const columns: string[][] = [];
  if (external.length > 0) columns.push(external.map((n) => n.id));
  const firstTierColumn = columns.length;
  for (let t = 0; t < tierCount; t++) columns.push([]);
  const incoming = new Map<string, string[]>();
  for (const [from, tos] of out) for (const to of tos) push(incoming, to, from);
  const rank = new Map<string, number>();
  for (let t = 0; t < tierCount; t++) {
    const members = internal.filter((n) => tier.get(n.id) === t && !routerAnchor.has(n.id));
    const score = (id: string) => {
      const feeders = (incoming.get(id) ?? []).filter((f) => rank.has(f));
      if (feeders.length === 0) return order.get(id) ?? 0;
      return feeders.reduce((sum, f) => sum + (rank.get(f) ?? 0), 0) / feeders.length;
    };
    const sorted = members
      .map((n) => ({ id: n.id, score: score(n.id), index: order.get(n.id) ?? 0 }))
      .sort((a, b) => a.score - b.score || a.index - b.index)
      .map((n) => n.id);
    // Router-joined networks follow the network they hang from.
    const column: string[] = [];
    for (const id of sorted) {
      column.push(id);
      for (const [follower, anchor] of routerAnchor) if (anchor === id) column.push(follower);
    }
    column.forEach((id, index) => {
      rank.set(id, index);
    });
    columns[firstTierColumn + t] = column;
  }
  // Networks related to nothing at all were never ranked into a column above: tier 0 holds them.
  const placedNetworks = new Set(columns.flat());
  for (const network of internal) {
    if (!placedNetworks.has(network.id)) {
      const column = columns[firstTierColumn] ?? [];
      column.push(network.id);
      columns[firstTierColumn] = column;
    }
  }

  // Block members: each non-network node finds its home network.
  const blocks = new Map<string, string[]>();
  const homed = new Set<string>();
  const chained = new Map<string, { a: string; b: string }>();
  for (const chain of input.chains) {
    if (!chained.has(chain.service) && byId.has(chain.a) && byId.has(chain.b)) {
      chained.set(chain.service, { a: chain.a, b: chain.b });
    }
  }
  const firstNetwork = (id: string) =>
    (attachedTo.get(id) ?? []).find((t) => byId.get(t)?.type === "network");
  const kindRank: Record<LayoutNodeType, number> = {
    network: 0,
    workload: 1,
    fip: 1,
    service: 2,
    router: 3,
    pool: 4,
    gateway: 5,
  };
  const members = input.nodes
    .filter((n) => n.type !== "network" && n.type !== "fip")
    .sort(
      (a, b) =>
        kindRank[a.type] - kindRank[b.type] || (order.get(a.id) ?? 0) - (order.get(b.id) ?? 0),
    );
  for (const node of members) {
    if (chained.has(node.id)) continue;
    const home = firstNetwork(node.id);
    if (home === undefined) continue;
    push(blocks, home, node.id);
    homed.add(node.id);
    if (node.type === "workload") {
      for (const fip of attachedTo.get(node.id) ?? []) {
        if (byId.get(fip)?.type === "fip") {
          push(blocks, home, fip);
          homed.add(fip);
        }
      }
    }
  }

  // Coordinates: columns left to right, blocks top to bottom. A network starts no higher than
  // the networks feeding it, so policy edges run level or downhill, never back up.
  const positions: Record<string, Position> = {};
  let x = 0;
  let bottom = 0;
  for (const column of columns) {
    if (column.length === 0) continue;
    let cursor = 0;
    let width = 0;
    for (const id of column) {
      const network = byId.get(id);
      if (!network) continue;
      const feeders = (incoming.get(id) ?? []).map((f) => positions[f]?.y ?? 0);
      const y = Math.max(cursor, feeders.length > 0 ? Math.max(...feeders) : 0);
      positions[id] = { x, y };
      width = Math.max(width, network.width);
      let itemY = y + network.height + SPACING.headGap;
      for (const member of blocks.get(id) ?? []) {
        const node = byId.get(member);
        if (!node) continue;
        positions[member] = { x: x + SPACING.indent, y: itemY };
        width = Math.max(width, SPACING.indent + node.width);
        itemY += node.height + SPACING.itemGap;
      }
      cursor = itemY - SPACING.itemGap + SPACING.blockGap;
      bottom = Math.max(bottom, cursor);
    }
    x += width + SPACING.columnGap;
  }

  // Chained services: on their policy's edge, just under its label, between the two networks.
  const stackedOnEdge = new Map<string, number>();
  for (const [service, { a, b }] of chained) {
    const node = byId.get(service);
    const pa = positions[a];
    const pb = positions[b];
    const na = byId.get(a);
    const nb = byId.get(b);
    if (!node || !pa || !pb || !na || !nb) continue;
    const key = [a, b].sort().join("\u0000");
    const k = stackedOnEdge.get(key) ?? 0;
    stackedOnEdge.set(key, k + 1);
    const midX = (pa.x + na.width / 2 + pb.x + nb.width / 2) / 2;
    const midY = (pa.y + na.height / 2 + pb.y + nb.height / 2) / 2;
    positions[service] = {
      x: midX - node.width / 2,
      y: midY + 24 + k * (node.height + SPACING.itemGap),
    };
    homed.add(service);
  }

  // Everything with no network to stand by: a row under the diagram.
  let orphanX = 0;
  for (const node of input.nodes) {
    if (positions[node.id] || homed.has(node.id)) continue;
    positions[node.id] = { x: orphanX, y: bottom + SPACING.blockGap };
    orphanX += node.width + SPACING.itemGap * 2;
  }
  return positions;
}

function push(map: Map<string, string[]>, key: string, value: string): void {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
}

/** A node's box, for overlap checks. */
export interface Box {
  x: number;
  y: number;
  width: number;
  height: number;
}

/**
 * Where to put a new node of `size` near `at` (its intended top-left) without covering any of
 * `boxes`: the nearest free spot on rings of candidate offsets around `at`, `margin` apart.
 */
export function placeInFreeSpace(
  at: Position,
  size: { width: number; height: number },
  boxes: readonly Box[],
  margin = 16,
): Position {
  const hits = (x: number, y: number) =>
    boxes.some(
      (b) =>
        x < b.x + b.width + margin &&
        x + size.width + margin > b.x &&
        y < b.y + b.height + margin &&
        y + size.height + margin > b.y,
    );
  if (!hits(at.x, at.y)) return at;
  const stepX = size.width / 2 + margin;
  const stepY = size.height / 2 + margin;
  for (let ring = 1; ring <= 60; ring++) {
    let best: Position | null = null;
    let bestDistance = Number.POSITIVE_INFINITY;
    for (let i = -ring; i <= ring; i++) {
      for (let j = -ring; j <= ring; j++) {
        if (Math.max(Math.abs(i), Math.abs(j)) !== ring) continue;
        const x = at.x + i * stepX;
        const y = at.y + j * stepY;
        const distance = Math.hypot(x - at.x, y - at.y);
        if (distance < bestDistance && !hits(x, y)) {
          best = { x, y };
          bestDistance = distance;
        }
      }
    }
    if (best) return best;
  }
  const right = Math.max(at.x, ...boxes.map((b) => b.x + b.width)) + margin;
  return { x: right, y: at.y };
}
