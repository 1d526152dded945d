import type {
  FloatingIpPool,
  IntentFile,
  Network,
  Policy,
  ResourceKind,
  Router,
  Service,
  Workload,
} from "@netloom/model";
import { assertNever } from "@netloom/model";
import type { Edge, Node } from "@xyflow/react";

/**
 * The canvas as a pure function of the tenant document: one node per network, workload,
 * service, router, floating IP pool and floating IP; one edge per interface, per pair of
 * networks a policy joins, per router leg and per service attachment.
 *
 * Node data holds the spec object itself, so an edit that leaves an object untouched (ops keep
 * untouched objects by reference) leaves its node's data identical and its memoized component
 * does not re-render.
 */

export type NetworkNodeData = { kind: "networks"; network: Network; policies: string[] };
export type WorkloadNodeData = { kind: "workloads"; workload: Workload };
export type ServiceNodeData = { kind: "services"; service: Service };
export type RouterNodeData = { kind: "routers"; router: Router };
export type PoolNodeData = { kind: "floatingIpPools"; pool: FloatingIpPool };
export type FipNodeData = {
  kind: "fip";
  workload: string;
  interfaceIndex: number;
  pool: string;
  ip: string | undefined;
};

/**
 * Issue 14: the data-center gateway(s) behind an external network and the prefixes imported
 * from them (`fabric.tenantExternalRoutes`). Read-only: not an object of the document.
 */
export type GatewayNodeData = {
  kind: "gateway";
  network: string;
  peers: string[];
  prefixes: { prefix: string; peer: string }[];
};
/** What `fabric.tenantExternalRoutes` answers for one external network. */
export interface ExternalRoutes {
  network: string;
  peers: { name: string }[];
  prefixes: { prefix: string; peer: string }[];
}
export type NetworkFlowNode = Node<NetworkNodeData, "network">;
export type WorkloadFlowNode = Node<WorkloadNodeData, "workload">;
export type ServiceFlowNode = Node<ServiceNodeData, "service">;
export type RouterFlowNode = Node<RouterNodeData, "router">;
export type PoolFlowNode = Node<PoolNodeData, "pool">;
export type FipFlowNode = Node<FipNodeData, "fip">;
export type GatewayFlowNode = Node<GatewayNodeData, "gateway">;
export type TopologyNode =
  | NetworkFlowNode
  | WorkloadFlowNode
  | ServiceFlowNode
  | RouterFlowNode
  | PoolFlowNode
  | FipFlowNode
  | GatewayFlowNode;

export type PolicyEdgeData = {
  kind: "policy";
  policy: Policy;
  a: string;
  b: string;
  /** Parallel policies between the same two networks fan apart: this one's place among them. */
  lane: number;
  lanes: number;
};
export type LinkEdgeData = { kind: "link"; role: LinkRole; owner: string };
export type LinkRole =
  | "interface"
  | "router"
  | "service"
  | "pool"
  | "fip"
  | "nat-outside"
  | "gateway";
export type PolicyFlowEdge = Edge<PolicyEdgeData, "policy">;
export type LinkFlowEdge = Edge<LinkEdgeData, "link">;
export type TopologyEdge = PolicyFlowEdge | LinkFlowEdge;

export const nodeId = {
  network: (name: string) => `net:${name}`,
  workload: (name: string) => `wl:${name}`,
  service: (name: string) => `svc:${name}`,
  router: (name: string) => `rtr:${name}`,
  pool: (name: string) => `pool:${name}`,
  fip: (workload: string, index: number) => `fip:${workload}/${index}`,
  gateway: (network: string) => `gw:${network}`,
};

/** The document object a canvas node stands for (floating IPs stand for their workload). */
export function refOfNode(id: string): { kind: ResourceKind; name: string } | null {
  const colon = id.indexOf(":");
  const prefix = id.slice(0, colon);
  const rest = id.slice(colon + 1);
  switch (prefix) {
    case "net":
      return { kind: "networks", name: rest };
    case "wl":
      return { kind: "workloads", name: rest };
    case "svc":
      return { kind: "services", name: rest };
    case "rtr":
      return { kind: "routers", name: rest };
    case "pool":
      return { kind: "floatingIpPools", name: rest };
    case "fip":
      return { kind: "workloads", name: rest.split("/")[0] ?? rest };
    default:
      return null;
  }
}

/** The canvas node of a document object, when the kind has one. */
export function nodeOfRef(kind: ResourceKind, name: string): string | null {
  switch (kind) {
    case "networks":
      return nodeId.network(name);
    case "workloads":
      return nodeId.workload(name);
    case "services":
      return nodeId.service(name);
    case "routers":
      return nodeId.router(name);
    case "floatingIpPools":
      return nodeId.pool(name);
    case "policies":
    case "securityGroups":
    case "assertions":
      return null;
    default:
      return assertNever(kind);
  }
}

export interface Graph {
  nodes: TopologyNode[];
  edges: TopologyEdge[];
}

type Position = { x: number; y: number };

/**
 * Builds the graph; `positions` places nodes (missing ones get `fallback`). `gateways` (issue
 * 14) adds a read-only gateway node per external network with learned prefixes.
 */
export function buildGraph(
  doc: IntentFile,
  positions: Record<string, Position>,
  fallback: (id: string, index: number) => Position,
  gateways: readonly ExternalRoutes[] = NO_GATEWAYS,
): Graph {
  const nodes: TopologyNode[] = [];
  const edges: TopologyEdge[] = [];
  const networks = new Set((doc.networks ?? []).map((n) => n.name as string));
  const place = (id: string): Position => positions[id] ?? fallback(id, nodes.length);

  const policiesByNetwork = new Map<string, string[]>();
  for (const policy of doc.policies ?? []) {
    for (const network of policy.attach) {
      const list = policiesByNetwork.get(network) ?? [];
      list.push(policy.name);
      policiesByNetwork.set(network, list);
    }
  }

  for (const network of doc.networks ?? []) {
    const id = nodeId.network(network.name);
    nodes.push({
      id,
      type: "network",
      position: place(id),
      data: {
        kind: "networks",
        network,
        policies: policiesByNetwork.get(network.name) ?? NO_POLICIES,
      },
    });
  }

  for (const workload of doc.workloads ?? []) {
    const id = nodeId.workload(workload.name);
    nodes.push({
      id,
      type: "workload",
      position: place(id),
      data: { kind: "workloads", workload },
    });
    workload.interfaces.forEach((iface, index) => {
      if (networks.has(iface.network)) {
        edges.push(
          link(
            `if:${workload.name}/${index}`,
            id,
            nodeId.network(iface.network),
            "interface",
            workload.name,
          ),
        );
      }
      if (iface.floatingIp) {
        const fip = nodeId.fip(workload.name, index);
        nodes.push({
          id: fip,
          type: "fip",
          position: place(fip),
          data: {
            kind: "fip",
            workload: workload.name,
            interfaceIndex: index,
            pool: iface.floatingIp.pool,
            ip: iface.floatingIp.ip,
          },
        });
        edges.push(link(`fipw:${workload.name}/${index}`, id, fip, "fip", workload.name));
        edges.push(
          link(
            `fipp:${workload.name}/${index}`,
            fip,
            nodeId.pool(iface.floatingIp.pool),
            "fip",
            workload.name,
          ),
        );
      }
    });
  }

  for (const service of doc.services ?? []) {
    const id = nodeId.service(service.name);
    nodes.push({ id, type: "service", position: place(id), data: { kind: "services", service } });
    for (const [network, role] of serviceLegs(service)) {
      if (networks.has(network)) {
        edges.push(
          link(`svc:${service.name}:${network}`, id, nodeId.network(network), role, service.name),
        );
      }
    }
  }

  for (const router of doc.routers ?? []) {
    const id = nodeId.router(router.name);
    nodes.push({ id, type: "router", position: place(id), data: { kind: "routers", router } });
    for (const network of router.networks) {
      if (networks.has(network)) {
        edges.push(
          link(`rtr:${router.name}:${network}`, id, nodeId.network(network), "router", router.name),
        );
      }
    }
  }

  for (const pool of doc.floatingIpPools ?? []) {
    const id = nodeId.pool(pool.name);
    nodes.push({ id, type: "pool", position: place(id), data: { kind: "floatingIpPools", pool } });
    if (networks.has(pool.network)) {
      edges.push(link(`pool:${pool.name}`, id, nodeId.network(pool.network), "pool", pool.name));
    }
  }

  // A fabric external network is no node of the tenant's canvas: its gateway then joins what
  // the tenant uses it by (pools, NAT services' outside legs).
  for (const routes of gateways) {
    if (routes.prefixes.length === 0) continue;
    const targets = gatewayTargets(doc, networks, routes.network);
    if (targets.length === 0) continue;
    const id = nodeId.gateway(routes.network);
    nodes.push({
      id,
      type: "gateway",
      position: place(id),
      // Read-only: no document object to connect, edit or delete.
      connectable: false,
      deletable: false,
      data: {
        kind: "gateway",
        network: routes.network,
        peers: routes.peers.map((peer) => peer.name),
        prefixes: routes.prefixes,
      },
    });
    for (const target of targets) {
      edges.push(link(`gw:${routes.network}:${target}`, id, target, "gateway", routes.network));
    }
  }

  // A policy joining n networks is drawn as the n(n-1)/2 pairs it lets talk.
  for (const policy of doc.policies ?? []) {
    const attached = policy.attach.filter((n) => networks.has(n));
    for (let i = 0; i < attached.length; i++) {
      for (let j = i + 1; j < attached.length; j++) {
        const a = attached[i] as string;
        const b = attached[j] as string;
        edges.push({
          id: policyEdgeId(policy.name, a, b),
          type: "policy",
          source: nodeId.network(a),
          target: nodeId.network(b),
          sourceHandle: "right",
          targetHandle: "left",
          data: { kind: "policy", policy, a, b, lane: 0, lanes: 1 },
        });
      }
    }
  }
  fanParallelPolicies(edges);

  return { nodes, edges };
}

const NO_POLICIES: string[] = [];
const NO_GATEWAYS: readonly ExternalRoutes[] = [];

/** The nodes a gateway at `network` joins: the network's own node, else what uses it. */
function gatewayTargets(doc: IntentFile, networks: Set<string>, network: string): string[] {
  if (networks.has(network)) return [nodeId.network(network)];
  return [
    ...(doc.floatingIpPools ?? [])
      .filter((pool) => pool.network === network)
      .map((pool) => nodeId.pool(pool.name)),
    ...(doc.services ?? [])
      .filter((service) => service.type === "nat" && service.outside === network)
      .map((service) => nodeId.service(service.name)),
  ];
}

/** The accessible name of a gateway node: its peers and how many prefixes it brings. */
export function gatewayLabel(data: GatewayNodeData): string {
  const count = data.prefixes.length;
  return `gateway ${data.peers.join(", ")}: ${count} learned prefix${count === 1 ? "" : "es"}`;
}

/** Numbers the policy edges that join the same two networks (either way) so they fan apart. */
function fanParallelPolicies(edges: TopologyEdge[]): void {
  const groups = new Map<string, PolicyFlowEdge[]>();
  for (const edge of edges) {
    if (edge.type !== "policy") continue;
    const key = [edge.source, edge.target].sort().join("\u0000");
    const group = groups.get(key);
    if (group) group.push(edge);
    else groups.set(key, [edge]);
  }
  for (const group of groups.values()) {
    if (group.length < 2) continue;
    group.forEach((edge, lane) => {
      if (edge.data) edge.data = { ...edge.data, lane, lanes: group.length };
    });
  }
}

export function policyEdgeId(policy: string, a: string, b: string): string {
  return `pol:${policy}:${a}:${b}`;
}

/** The policy an edge id stands for, if it is a policy edge. */
export function policyOfEdge(id: string): string | null {
  if (!id.startsWith("pol:")) return null;
  return id.split(":")[1] ?? null;
}

function link(
  id: string,
  source: string,
  target: string,
  role: LinkRole,
  owner: string,
): LinkFlowEdge {
  return {
    id,
    type: "link",
    source,
    target,
    sourceHandle: "bottom",
    targetHandle: "top",
    data: { kind: "link", role, owner },
  };
}

function serviceLegs(service: Service): [string, LinkRole][] {
  switch (service.type) {
    case "firewall":
      return [];
    case "load-balancer":
      return [[service.network, "service"]];
    case "nat":
      return [
        ...service.inside.map((n): [string, LinkRole] => [n, "service"]),
        [service.outside, "nat-outside"],
      ];
    case "dns":
      return service.networks.map((n): [string, LinkRole] => [n, "service"]);
    default:
      return assertNever(service);
  }
}
