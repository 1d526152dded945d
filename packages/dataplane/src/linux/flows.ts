import type {
  FloatingIpTranslation,
  LoadBalancerConfig,
  LocalInterface,
  NetworkInstance,
  NodeConfig,
  SourceNatTranslation,
  TenantConfig,
} from "@netloom/compiler";
import { assertNever, type Protocol, parseIpv4, type Verdict } from "@netloom/model";
import { cidrContains } from "./address-sets";
import { workloadNamespace } from "./names";
import { ensureOutsideNetwork } from "./outside";
import { probe } from "./probe";

/**
 * Turns a flow of an EXPECT file (ends given as workload names or addresses, spec section 4) into
 * real packets on a lab: which namespace sends, from which address, to which address, and where
 * the listener runs. The ends resolve as the compiler's trace resolves them, so a differing
 * verdict is a dataplane difference, not a different reading of the flow.
 */
export interface FlowToProbe {
  from: string;
  to: string;
  protocol: Protocol;
  port?: number;
}

/** The lab's nodes (name, namespace standing for the host, underlay address). */
export interface ProbeLab {
  nodes: { name: string; namespace: string; underlay: string }[];
  /** Owner of the lab's namespaces: the lab's name (or a test run's tag). */
  owner: string;
}

interface Port {
  node: string;
  underlay: string;
  namespace: string;
  port: LocalInterface;
}

interface TenantIndex {
  ports: Port[];
  networks: Map<string, NetworkInstance>;
  balancers: LoadBalancerConfig[];
  floating: FloatingIpTranslation[];
  nats: SourceNatTranslation[];
  underlays: string[];
}

function indexTenant(tenant: string, configs: readonly NodeConfig[], lab: ProbeLab): TenantIndex {
  const index: TenantIndex = {
    ports: [],
    networks: new Map(),
    balancers: [],
    floating: [],
    nats: [],
    underlays: lab.nodes.map((node) => node.underlay),
  };
  const seen = new Set<string>();
  const once = (key: string) => {
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  };
  for (const config of configs) {
    const node = lab.nodes.find((candidate) => candidate.name === config.node);
    if (!node) continue;
    for (const t of config.tenants) {
      if (t.tenant !== tenant && t.tenantId !== tenant) continue;
      addTenant(index, t, node, once);
    }
  }
  return index;
}

function addTenant(
  index: TenantIndex,
  tenant: TenantConfig,
  node: ProbeLab["nodes"][number],
  once: (key: string) => boolean,
) {
  for (const port of tenant.localInterfaces) {
    index.ports.push({
      node: node.name,
      underlay: node.underlay,
      namespace: workloadNamespace(node.namespace, tenant.tenantId, port.workload),
      port,
    });
  }
  for (const network of tenant.networks) index.networks.set(network.name, network);
  for (const lb of tenant.loadBalancers) if (once(`lb ${lb.ruleId}`)) index.balancers.push(lb);
  for (const fip of tenant.floatingIps) if (once(`fip ${fip.ruleId}`)) index.floating.push(fip);
  for (const nat of tenant.sourceNats) if (once(`nat ${nat.ruleId}`)) index.nats.push(nat);
}

const contains = cidrContains;
const isAddress = (text: string) => parseIpv4(text) !== undefined;

type End =
  | { kind: "ports"; ports: Port[] }
  | { kind: "vip"; balancer: LoadBalancerConfig }
  | { kind: "gateway"; address: string }
  | { kind: "floating"; floating: FloatingIpTranslation }
  | { kind: "nat"; nat: SourceNatTranslation }
  | { kind: "outside"; address: string; network: NetworkInstance }
  | { kind: "unknown" };

function resolve(index: TenantIndex, text: string): End {
  if (!isAddress(text)) {
    const ports = index.ports
      .filter((entry) => entry.port.workload === text)
      .sort((a, b) => a.port.interfaceIndex - b.port.interfaceIndex);
    return ports.length > 0 ? { kind: "ports", ports } : { kind: "unknown" };
  }
  const port = index.ports.find((entry) => entry.port.ip === text);
  if (port) return { kind: "ports", ports: [port] };
  const balancer = index.balancers.find((lb) => lb.vip === text);
  if (balancer) return { kind: "vip", balancer };
  for (const network of index.networks.values()) {
    if (network.subnets.some((subnet) => subnet.gateway === text)) {
      return { kind: "gateway", address: text };
    }
  }
  const floating = index.floating.find((fip) => fip.floatingIp === text);
  if (floating) return { kind: "floating", floating };
  const nat = index.nats.find((candidate) => candidate.outsideIp === text);
  if (nat) return { kind: "nat", nat };
  for (const network of index.networks.values()) {
    if (network.external && network.subnets.some((subnet) => contains(subnet.cidr, text))) {
      return { kind: "outside", address: text, network };
    }
  }
  return { kind: "unknown" };
}

/** Spec 2: an end uses its interface on the other end's network when it has one. */
function pick(ports: Port[], network: string | undefined): Port | undefined {
  return ports.find((entry) => entry.port.network === network) ?? ports[0];
}

function networkOfEnd(end: End): string | undefined {
  switch (end.kind) {
    case "ports":
      return end.ports[0]?.port.network;
    case "vip":
      return end.balancer.network;
    case "floating":
      return end.floating.externalNetwork;
    case "nat":
      return end.nat.outsideNetwork;
    case "outside":
      return end.network.name;
    default:
      return undefined;
  }
}

/** Routes the outside needs: floating IPs and workloads on the external network, to their node. */
function outsideRoutes(index: TenantIndex, network: NetworkInstance): Record<string, string> {
  const routes: Record<string, string> = {};
  for (const fip of index.floating) {
    if (fip.externalNetwork !== network.name) continue;
    const host = index.ports.find((entry) => entry.port.portId === fip.portId);
    if (host) routes[fip.floatingIp] = host.underlay;
  }
  for (const entry of index.ports) {
    if (entry.port.network === network.name) routes[entry.port.ip] = entry.underlay;
  }
  return routes;
}

/**
 * Sends one flow as real packets on the lab and returns what happened: allow when the listener
 * (or the responder) answered.
 */
export async function probeFlowOnLab(
  flow: FlowToProbe,
  tenant: string,
  configs: readonly NodeConfig[],
  lab: ProbeLab,
): Promise<Verdict> {
  const index = indexTenant(tenant, configs, lab);
  const from = resolve(index, flow.from);
  const to = resolve(index, flow.to);
  const port = flow.port ?? 80;
  const base = { protocol: flow.protocol, port, ...(flow.port === undefined ? {} : {}) };

  let sourceNamespace: string;
  let sourceIp: string;
  let sourcePort: Port | undefined;
  if (from.kind === "ports") {
    sourcePort = pick(from.ports, networkOfEnd(to));
    if (!sourcePort) return "deny";
    sourceNamespace = sourcePort.namespace;
    sourceIp = sourcePort.port.ip;
  } else if (from.kind === "outside") {
    sourceNamespace = await ensureOutsideNetwork(
      {
        vni: from.network.vni,
        nodeUnderlays: index.underlays,
        routes: outsideRoutes(index, from.network),
        addresses: [from.address],
      },
      lab.owner,
    );
    sourceIp = from.address;
  } else {
    // Only workloads and outside addresses send (as in the trace).
    return "deny";
  }

  const listenersIn = (namespace: string, listenPort = port) => [{ namespace, port: listenPort }];
  switch (to.kind) {
    case "ports": {
      const target = pick(to.ports, sourcePort?.port.network ?? networkOfEnd(from));
      if (!target) return "deny";
      return probe({
        ...base,
        sourceNamespace,
        sourceIp,
        host: target.port.ip,
        listeners: listenersIn(target.namespace),
      });
    }
    case "vip":
      return probe({
        ...base,
        sourceNamespace,
        sourceIp,
        host: to.balancer.vip,
        listeners: to.balancer.members.flatMap((member) => {
          const entry = index.ports.find((candidate) => candidate.port.ip === member.ip);
          return entry ? [{ namespace: entry.namespace, port: member.port }] : [];
        }),
      });
    case "gateway":
    case "nat":
      // The gateway answers only through its DNS responder; a NAT address takes no inbound.
      return probe({
        ...base,
        sourceNamespace,
        sourceIp,
        host: to.kind === "gateway" ? to.address : to.nat.outsideIp,
        listeners: [],
      });
    case "floating": {
      const target = index.ports.find((entry) => entry.port.portId === to.floating.portId);
      if (!target) return "deny";
      const network = index.networks.get(to.floating.externalNetwork);
      if (network && sourcePort) {
        // A workload's flow to a floating IP hairpins through the outside.
        await ensureOutsideNetwork(
          {
            vni: network.vni,
            nodeUnderlays: index.underlays,
            routes: { ...outsideRoutes(index, network), ...natRoutes(index, sourcePort, network) },
            addresses: [],
          },
          lab.owner,
        );
      }
      return probe({
        ...base,
        sourceNamespace,
        sourceIp,
        host: to.floating.floatingIp,
        listeners: listenersIn(target.namespace),
      });
    }
    case "outside": {
      // Outside to outside is no flow of the tenant's (the trace denies it); both ends would be
      // the same outside namespace.
      if (from.kind === "outside") return "deny";
      const outside = await ensureOutsideNetwork(
        {
          vni: to.network.vni,
          nodeUnderlays: index.underlays,
          routes: {
            ...outsideRoutes(index, to.network),
            ...(sourcePort ? natRoutes(index, sourcePort, to.network) : {}),
          },
          addresses: [to.address],
        },
        lab.owner,
      );
      return probe({
        ...base,
        sourceNamespace,
        sourceIp,
        host: to.address,
        listeners: listenersIn(outside),
      });
    }
    case "unknown":
      return "deny";
    default:
      return assertNever(to, "flow end");
  }
}

/** A NAT service's shared address routed back to the node the probe leaves from. */
function natRoutes(index: TenantIndex, source: Port, network: NetworkInstance) {
  const routes: Record<string, string> = {};
  for (const nat of index.nats) {
    if (nat.outsideNetwork === network.name && nat.insideNetworks.includes(source.port.network)) {
      routes[nat.outsideIp] = source.underlay;
    }
  }
  return routes;
}
