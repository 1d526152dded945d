import { estimateSize } from "./geometry";
import type { Graph } from "./graph";
import {
  type Box,
  type LayoutInput,
  type LayoutNodeType,
  layeredLayout,
  type Position,
  placeInFreeSpace,
} from "./layered";

/**
 * What the layered layout (layered.ts) needs of a graph: sizes and relations, no spec objects,
 * so it crosses to the worker cheaply.
 */
export function layoutInputOf(graph: Graph): LayoutInput {
  const input: LayoutInput = { nodes: [], links: [], flows: [], peers: [], chains: [] };
  for (const node of graph.nodes) {
    const size = estimateSize(node);
    input.nodes.push({
      id: node.id,
      type: (node.type ?? "network") as LayoutNodeType,
      width: size.width,
      height: size.height,
      ...(node.type === "network" && node.data.network.external ? { external: true } : {}),
    });
  }
  for (const edge of graph.edges) {
    if (edge.type === "link") {
      input.links.push({ source: edge.source, target: edge.target });
      continue;
    }
    const data = edge.data;
    if (data?.kind !== "policy") continue;
    input.peers.push({ a: edge.source, b: edge.target });
    for (const rule of data.policy.rules) {
      const source = rule.source === data.a || rule.source === data.b ? rule.source : null;
      const destination =
        rule.destination === data.a || rule.destination === data.b ? rule.destination : null;
      if (source && destination && source !== destination) {
        input.flows.push({ from: `net:${source}`, to: `net:${destination}` });
      }
      for (const service of rule.services ?? []) {
        input.chains.push({ service: `svc:${service}`, a: edge.source, b: edge.target });
      }
    }
  }
  return input;
}

/** A finished auto-layout and how long the worker spent on it. */
export interface LayoutResult {
  positions: Record<string, Position>;
  /** Wall time from posting the graph to having positions back, in ms. */
  ms: number;
}

let worker: Worker | null = null;
let nextRequest = 0;
const waiting = new Map<number, (positions: Record<string, Position>) => void>();

function layoutWorker(): Worker | null {
  if (typeof Worker === "undefined") return null;
  if (!worker) {
    worker = new Worker(new URL("./layout.worker.ts", import.meta.url), { type: "module" });
    worker.onmessage = (
      event: MessageEvent<{ id: number; positions: Record<string, Position> }>,
    ) => {
      const resolve = waiting.get(event.data.id);
      waiting.delete(event.data.id);
      resolve?.(event.data.positions);
    };
    worker.onerror = (event) => {
      // A broken worker would leave every layout hanging: answer them in place instead.
      console.error("canvas layout worker failed; laying out on the main thread", event.message);
      worker = null;
    };
  }
  return worker;
}

/**
 * The layered layout of `graph`, computed off the main thread (a Web Worker) so a large tenant
 * never freezes the page; in place where there are no workers (unit tests).
 */
export async function autoLayout(graph: Graph): Promise<LayoutResult> {
  const started = performance.now();
  const input = layoutInputOf(graph);
  const target = layoutWorker();
  if (!target) return { positions: layeredLayout(input), ms: performance.now() - started };
  const id = nextRequest++;
  const positions = await new Promise<Record<string, Position>>((resolve) => {
    waiting.set(id, resolve);
    target.postMessage({ id, input });
  });
  return { positions, ms: performance.now() - started };
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

/** The boxes of every placed node of `graph`. */
export function boxesOf(graph: Graph, positions: Record<string, Position>): Box[] {
  const boxes: Box[] = [];
  for (const node of graph.nodes) {
    const at = positions[node.id];
    if (!at) continue;
    boxes.push({ ...at, ...estimateSize(node) });
  }
  return boxes;
}

/**
 * Positions for the nodes a stored layout does not know yet (objects another user added, or
 * added from the command line): each goes into free space by the network it attaches to (or
 * by the diagram's top-left), never on top of another node. Answers only the new positions.
 */
export function placeNewNodes(
  graph: Graph,
  positions: Record<string, Position>,
): Record<string, Position> {
  const added: Record<string, Position> = {};
  const missing = graph.nodes.filter((node) => !positions[node.id]);
  if (missing.length === 0) return added;
  const boxes = boxesOf(graph, positions);
  const anchorOf = new Map<string, string>();
  for (const edge of graph.edges) {
    if (edge.type === "link" && !anchorOf.has(edge.source)) anchorOf.set(edge.source, edge.target);
  }
  for (const node of missing) {
    const size = estimateSize(node);
    const anchorId = anchorOf.get(node.id);
    const anchor = anchorId ? (positions[anchorId] ?? added[anchorId]) : undefined;
    const wanted = anchor ? { x: anchor.x + 20, y: anchor.y + 110 } : topLeft(boxes);
    const at = placeInFreeSpace(wanted, size, boxes);
    added[node.id] = at;
    boxes.push({ ...at, ...size });
  }
  return added;
}

function topLeft(boxes: readonly Box[]): Position {
  if (boxes.length === 0) return { x: 0, y: 0 };
  return {
    x: Math.min(...boxes.map((b) => b.x)),
    y: Math.min(...boxes.map((b) => b.y)),
  };
}
