import { assertNever, formatIpv4, type Protocol, parseIpv4, type Verdict } from "@netloom/model";
import type {
  CompiledFabric,
  FirewallEntry,
  FloatingIpTranslation,
  FlowQuery,
  InterNetworkRoute,
  LoadBalancerConfig,
  LocalInterface,
  NetworkInstance,
  NodeConfig,
  RemoteEndpoint,
  SourceNatTranslation,
  TenantConfig,
  TraceHop,
  TraceResult,
} from "./config";
import {
  type LearnedReach,
  learnedReachOf,
  learnedRouteDetail,
  learnedRouteTo,
  nodeHasRoute,
} from "./evpn/trace";
import { cidrInterval, type IntervalSet, intervalSetOf, setContains } from "./ipv4";
import {
  aclMatchers,
  type CompiledGroup,
  firewallMatchers,
  firstGroupMatch,
  firstMatch,
  groupMatchers,
} from "./match";

/*
 * The trace walks the compiled per-node configs the way a packet would: the source node's
 * local interface and egress groups, the policy lists of the networks present on that node,
 * the route and service chain, the underlay to the node holding the destination, and that
 * node's ingress groups. It never reads the intent.
 */

/** A workload interface and the node whose config holds it. */
export interface IfaceRef {
  iface: LocalInterface;
  address: number;
  node: string;
}

/** The tenant's slice of one node's config, indexed. Built on first use. */
export interface NodeView {
  node: NodeConfig;
  config: TenantConfig;
  nets: Map<string, NetworkInstance>;
  localByIp: Map<number, LocalInterface>;
  remoteByIp: Map<number, RemoteEndpoint>;
  routes: Map<string, InterNetworkRoute>;
  groups: Map<string, CompiledGroup>;
  firewalls: Map<string, { name: string; rules: FirewallEntry[] }>;
  floatingByPort: Map<string, FloatingIpTranslation>;
  balancers: Map<number, LoadBalancerConfig>;
}

/** Indexes over one tenant's configs in one compiled fabric. */
export interface TenantIndex {
  tenant: string;
  configs: Map<string, { node: NodeConfig; config: TenantConfig }>;
  views: Map<string, NodeView>;
  byIp: Map<number, IfaceRef>;
  byWorkload: Map<string, IfaceRef[]>;
  floating: Map<number, FloatingIpTranslation>;
  nats: Map<number, SourceNatTranslation>;
  vips: Map<number, LoadBalancerConfig>;
  gateways: Map<number, string>;
  networks: Map<string, { set: IntervalSet; external: boolean }>;
  /** Issue 14: learned EVPN routes the tenant's external networks carry, longest first. */
  learned: LearnedReach[];
}

interface FabricIndex {
  /** Each tenant's configs (by tenant name and by id), in node order. */
  configs: Map<string, { node: NodeConfig; config: TenantConfig }[]>;
  tenants: Map<string, TenantIndex | null>;
}

const fabricIndexes = new WeakMap<CompiledFabric, FabricIndex>();

/** The index of a tenant (by name or id) in a compiled fabric, built once per fabric object. */
export function tenantIndex(compiled: CompiledFabric, tenant: string): TenantIndex | undefined {
  let fabric = fabricIndexes.get(compiled);
  if (fabric === undefined) {
    // One pass over every node groups the configs by tenant for all later lookups.
    const configs = new Map<string, { node: NodeConfig; config: TenantConfig }[]>();
    for (const node of Object.values(compiled.nodes)) {
      for (const config of node.tenants) {
        const entry = { node, config };
        const keys =
          config.tenant === config.tenantId ? [config.tenant] : [config.tenant, config.tenantId];
        for (const key of keys) {
          const list = configs.get(key);
          if (list === undefined) configs.set(key, [entry]);
          else list.push(entry);
        }
      }
    }
    fabric = { configs, tenants: new Map() };
    fabricIndexes.set(compiled, fabric);
  }
  const known = fabric.tenants.get(tenant);
  if (known !== undefined) return known ?? undefined;
  const built = buildIndex(fabric.configs.get(tenant) ?? [], tenant);
  fabric.tenants.set(tenant, built ?? null);
  return built;
}

function buildIndex(
  configs: readonly { node: NodeConfig; config: TenantConfig }[],
  tenant: string,
): TenantIndex | undefined {
  const index: TenantIndex = {
    tenant,
    configs: new Map(),
    views: new Map(),
    byIp: new Map(),
    byWorkload: new Map(),
    floating: new Map(),
    nats: new Map(),
    vips: new Map(),
    gateways: new Map(),
    networks: new Map(),
    learned: learnedReachOf(configs),
  };
  const seenNetworks = new Set<NetworkInstance>();
  for (const { node, config } of configs) {
    index.configs.set(node.node, { node, config });
    for (const iface of config.localInterfaces) {
      const address = parseIpv4(iface.ip);
      if (address === undefined) continue;
      const ref: IfaceRef = { iface, address, node: node.node };
      index.byIp.set(address, ref);
      const list = index.byWorkload.get(iface.workload);
      if (list === undefined) index.byWorkload.set(iface.workload, [ref]);
      else list.push(ref);
    }
    for (const floating of config.floatingIps) {
      const address = parseIpv4(floating.floatingIp);
      if (address !== undefined) index.floating.set(address, floating);
    }
    for (const nat of config.sourceNats) {
      const address = parseIpv4(nat.outsideIp);
      if (address !== undefined) index.nats.set(address, nat);
    }
    for (const balancer of config.loadBalancers) {
      const address = parseIpv4(balancer.vip);
      if (address !== undefined) index.vips.set(address, balancer);
    }
    for (const network of config.networks) {
      if (seenNetworks.has(network)) continue;
      seenNetworks.add(network);
      if (!index.networks.has(network.name)) {
        index.networks.set(network.name, {
          set: intervalSetOf(network.subnets.map((subnet) => subnet.cidr)),
          external: network.external,
        });
      }
      for (const subnet of network.subnets) {
        const gateway = parseIpv4(subnet.gateway);
        if (gateway !== undefined) index.gateways.set(gateway, network.name);
      }
    }
  }
  if (index.configs.size === 0) return undefined;
  for (const list of index.byWorkload.values()) {
    list.sort((a, b) => a.iface.interfaceIndex - b.iface.interfaceIndex);
  }
  return index;
}

export function nodeView(index: TenantIndex, node: string): NodeView | undefined {
  const cached = index.views.get(node);
  if (cached !== undefined) return cached;
  const entry = index.configs.get(node);
  if (entry === undefined) return undefined;
  const { config } = entry;
  const view: NodeView = {
    node: entry.node,
    config,
    nets: new Map(config.networks.map((network) => [network.name, network])),
    localByIp: new Map(config.localInterfaces.map((iface) => [parseIpv4(iface.ip) ?? -1, iface])),
    remoteByIp: new Map(
      config.remoteEndpoints.map((remote) => [parseIpv4(remote.ip) ?? -1, remote]),
    ),
    routes: new Map(config.routes.map((route) => [`${route.from}\u0000${route.to}`, route])),
    groups: new Map(config.securityGroups.map((group) => [group.name, groupMatchers(group)])),
    firewalls: new Map(config.firewalls.map((firewall) => [firewall.name, firewall])),
    floatingByPort: new Map(config.floatingIps.map((floating) => [floating.portId, floating])),
    balancers: new Map(
      config.loadBalancers.map((balancer) => [parseIpv4(balancer.vip) ?? -1, balancer]),
    ),
  };
  index.views.set(node, view);
  return view;
}

/** What one end of a flow names, once resolved against the compiled configs. */
export type FlowEnd =
  | { kind: "workload"; name: string; ifaces: IfaceRef[] }
  | { kind: "iface"; ref: IfaceRef }
  | { kind: "floating"; address: number; floating: FloatingIpTranslation }
  | { kind: "nat"; address: number; nat: SourceNatTranslation }
  | { kind: "vip"; address: number; balancer: LoadBalancerConfig }
  | { kind: "gateway"; address: number; network: string }
  | { kind: "outside"; address: number; network: string; learned?: LearnedReach }
  | { kind: "unknown"; text: string };

export function resolveEnd(index: TenantIndex, text: string): FlowEnd {
  const address = parseIpv4(text);
  if (address === undefined) {
    const ifaces = index.byWorkload.get(text);
    return ifaces === undefined
      ? { kind: "unknown", text }
      : { kind: "workload", name: text, ifaces };
  }
  const ref = index.byIp.get(address);
  if (ref !== undefined) return { kind: "iface", ref };
  const floating = index.floating.get(address);
  if (floating !== undefined) return { kind: "floating", address, floating };
  const nat = index.nats.get(address);
  if (nat !== undefined) return { kind: "nat", address, nat };
  const balancer = index.vips.get(address);
  if (balancer !== undefined) return { kind: "vip", address, balancer };
  const gateway = index.gateways.get(address);
  if (gateway !== undefined) return { kind: "gateway", address, network: gateway };
  for (const [name, network] of index.networks) {
    if (network.external && setContains(network.set, address)) {
      return { kind: "outside", address, network: name };
    }
  }
  // Issue 14: behind a gateway or a peer domain, through a learned EVPN route.
  const learned = learnedRouteTo(index.learned, address);
  if (learned !== undefined) return { kind: "outside", address, network: learned.network, learned };
  return { kind: "unknown", text };
}

function networkOfEnd(end: FlowEnd): string | undefined {
  switch (end.kind) {
    case "iface":
      return end.ref.iface.network;
    case "floating":
      return end.floating.externalNetwork;
    case "nat":
      return end.nat.outsideNetwork;
    case "vip":
      return end.balancer.network;
    case "gateway":
    case "outside":
      return end.network;
    case "workload":
    case "unknown":
      return undefined;
    default:
      return assertNever(end, "flow end");
  }
}

function facing(ifaces: readonly IfaceRef[], network: string | undefined): IfaceRef | undefined {
  return ifaces.find((ref) => ref.iface.network === network) ?? ifaces[0];
}

/**
 * Spec section 2: a workload named as an end uses its interface on the other end's network
 * when it has one, else its first interface. Two workloads meet on the first network they share.
 */
export function pickInterfaces(from: FlowEnd, to: FlowEnd): [FlowEnd, FlowEnd] {
  if (from.kind === "workload" && to.kind === "workload") {
    for (const source of from.ifaces) {
      const destination = to.ifaces.find((ref) => ref.iface.network === source.iface.network);
      if (destination !== undefined) {
        return [
          { kind: "iface", ref: source },
          { kind: "iface", ref: destination },
        ];
      }
    }
    const source = from.ifaces[0];
    const destination = to.ifaces[0];
    if (source === undefined || destination === undefined) return [from, to];
    return [
      { kind: "iface", ref: source },
      { kind: "iface", ref: destination },
    ];
  }
  let source = from;
  let destination = to;
  if (from.kind === "workload") {
    const ref = facing(from.ifaces, networkOfEnd(to));
    if (ref !== undefined) source = { kind: "iface", ref };
  }
  if (to.kind === "workload") {
    const ref = facing(to.ifaces, networkOfEnd(source));
    if (ref !== undefined) destination = { kind: "iface", ref };
  }
  return [source, destination];
}

/** The verdict, reason and deciding rule of a flow; hops are recorded when asked for. */
export interface Outcome {
  verdict: Verdict;
  reason: string;
  rule?: string;
}

/** One flow evaluation: recording hops for trace, or not for the all-pairs matrix. */
export class FlowWalk {
  readonly hops: TraceHop[] | null;

  constructor(
    readonly index: TenantIndex,
    readonly protocol: Protocol,
    readonly port: number | undefined,
    record: boolean,
  ) {
    this.hops = record ? [] : null;
  }

  /** Rule ids that passed the flow so far, for the reason of an allow. */
  private readonly passed: string[] = [];

  private hop(node: string, step: string, rule?: string, detail?: string): void {
    if (this.hops === null) return;
    if (rule !== undefined && !this.passed.includes(rule)) this.passed.push(rule);
    const hop: TraceHop = { node, step };
    if (rule !== undefined) hop.rule = rule;
    if (detail !== undefined) hop.detail = detail;
    this.hops.push(hop);
  }

  run(from: FlowEnd, to: FlowEnd): Outcome {
    let start = from;
    if (from.kind === "unknown") {
      // Port security (spec rule 0): an address an interface may also send from (its
      // allowedAddresses) leaves from that interface; any other tenant address goes nowhere.
      const address = parseIpv4(from.text);
      if (address !== undefined) {
        const sender = allowedSender(this.index, address);
        if (sender !== undefined) start = { kind: "iface", ref: sender };
        else {
          const network = tenantNetworkOf(this.index, address);
          if (network !== undefined) return this.spoofed(from.text, network);
        }
      }
    }
    if (from.kind === "floating") {
      // A flow from a floating address leaves from the interface behind it.
      const ref = this.index.byIp.get(parseIpv4(from.floating.fixedIp) ?? -1);
      if (ref !== undefined) start = { kind: "iface", ref };
    }
    const [source, destination] = pickInterfaces(start, to);
    if (source.kind === "iface") return this.fromInterface(source.ref, destination);
    if (source.kind === "outside") return this.fromOutside(source, destination);
    return deny(`source ${describe(source)} is not a workload or an outside address`);
  }

  /** A source address inside a tenant network that no interface may send from. */
  private spoofed(address: string, network: string): Outcome {
    this.hop(
      "",
      "anti-spoofing",
      ANTI_SPOOFING,
      `${address} is on ${network} but is no interface's address or allowed address: dropped at its own node`,
    );
    return deny(
      `port security: no interface of ${network} may send from ${address} (anti-spoofing)`,
      ANTI_SPOOFING,
    );
  }

  /** Security groups of an interface in one direction; undefined when they pass. */
  groups(
    view: NodeView,
    iface: LocalInterface,
    direction: "ingress" | "egress",
    remote: number,
    port: number | undefined,
  ): Outcome | undefined {
    const step = `${direction} security groups`;
    if (iface.securityGroups.length === 0) {
      this.hop(view.node.node, step, undefined, `${iface.workload}: no groups, unfiltered`);
      return undefined;
    }
    for (const name of iface.securityGroups) {
      const group = view.groups.get(name);
      if (group === undefined) continue;
      const match = firstGroupMatch(group[direction], remote, this.protocol, port);
      if (match !== undefined) {
        this.hop(view.node.node, step, match.ruleId, `${iface.workload}: allowed`);
        return undefined;
      }
    }
    const rule = `implicit:sg-default:${iface.securityGroups[0] ?? ""}`;
    this.hop(view.node.node, step, rule, `${iface.workload}: no ${direction} rule matches`);
    return deny(
      `no ${direction} rule of ${iface.securityGroups.join(", ")} on ${iface.workload} matches`,
      rule,
    );
  }

  /**
   * The policy lists of networks X (source) and Y (destination) on the source node, then the
   * service chain of the deciding allow rules. Undefined when the flow passes.
   */
  policies(
    view: NodeView,
    from: string,
    to: string,
    source: number,
    destination: number,
    port: number | undefined,
  ): Outcome | undefined {
    const node = view.node.node;
    const route = view.routes.get(`${from}\u0000${to}`);
    const noMatch = route?.noMatch ?? "deny";
    const chain: string[] = [];
    for (const network of [from, to]) {
      const instance = view.nets.get(network);
      const rule = `implicit:no-match:${network}`;
      if (instance === undefined) {
        this.hop(node, `policy ${network}`, rule, `no route from ${from} to ${to}`);
        return deny(
          `no rule of ${network}'s policies allows the flow (no route from ${from})`,
          rule,
        );
      }
      const match = firstMatch(aclMatchers(instance), source, destination, this.protocol, port);
      if (match === undefined) {
        if (noMatch === "deny" || route?.viaRouter === undefined) {
          this.hop(node, `policy ${network}`, rule, "no rule matches");
          return deny(`no rule of ${network}'s policies matches`, rule);
        }
        this.hop(node, `policy ${network}`, route.viaRouter, "no rule matches; joined by router");
        continue;
      }
      if (match.action === "deny") {
        this.hop(node, `policy ${network}`, match.ruleId, "deny");
        return deny(`denied by ${match.ruleId} of ${network}'s policies`, match.ruleId);
      }
      this.hop(node, `policy ${network}`, match.ruleId, "allow");
      for (const service of match.services) if (!chain.includes(service)) chain.push(service);
    }
    if (route === undefined) {
      const rule = `implicit:no-match:${to}`;
      this.hop(node, "route", rule, `no route from ${from} to ${to}`);
      return deny(`no route from ${from} to ${to}`, rule);
    }
    this.hop(node, "route", route.viaRouter, `${from} -> ${to}`);
    for (const service of chain) {
      const firewall = view.firewalls.get(service);
      if (firewall === undefined) {
        this.hop(node, `service ${service}`, undefined, "not a firewall: passes");
        continue;
      }
      const match = firstMatch(
        firewallMatchers(firewall),
        source,
        destination,
        this.protocol,
        port,
      );
      if (match === undefined) {
        const rule = `implicit:firewall-default:${service}`;
        this.hop(node, `firewall ${service}`, rule, "no rule matches");
        return deny(`no rule of firewall ${service} matches`, rule);
      }
      this.hop(node, `firewall ${service}`, match.ruleId, match.action);
      if (match.action === "deny") return deny(`denied by ${match.ruleId}`, match.ruleId);
    }
    return undefined;
  }

  /** Underlay forwarding from the source node's config to the destination's node. */
  forward(view: NodeView, destination: IfaceRef): Outcome | undefined {
    const node = view.node.node;
    if (destination.node === node && view.localByIp.has(destination.address)) {
      this.hop(node, "deliver", undefined, `local ${interfaceName(destination.iface)}`);
      return undefined;
    }
    const remote = view.remoteByIp.get(destination.address);
    if (remote === undefined || remote.node !== destination.node) {
      this.hop(node, "forward", undefined, `no remote endpoint for ${destination.iface.ip}`);
      return deny(`no route to ${destination.iface.ip} on ${node}`);
    }
    const vni = view.nets.get(remote.network)?.vni;
    this.hop(
      node,
      "forward",
      undefined,
      `vxlan vni ${vni ?? "?"} to ${remote.node} (${remote.underlay})`,
    );
    return undefined;
  }

  /** Ingress at the destination interface, read from the destination node's config. */
  arrive(destination: IfaceRef, source: number, port: number | undefined): Outcome | undefined {
    const view = nodeView(this.index, destination.node);
    if (view === undefined) return deny(`no config for ${destination.node}`);
    return this.groups(view, destination.iface, "ingress", source, port);
  }

  fromInterface(source: IfaceRef, to: FlowEnd): Outcome {
    const view = nodeView(this.index, source.node);
    if (view === undefined) return deny(`no config for ${source.node}`);
    const node = source.node;
    this.hop(
      node,
      "source",
      undefined,
      `${source.iface.workload} ${source.iface.ip} (${source.iface.network})`,
    );
    const from = source.iface.network;
    switch (to.kind) {
      case "iface": {
        const destination = to.ref;
        const egress = this.groups(view, source.iface, "egress", destination.address, this.port);
        if (egress !== undefined) return egress;
        if (destination.iface.network === from) {
          this.hop(node, "same network", "implicit:same-network", from);
        } else {
          const verdict = this.policies(
            view,
            from,
            destination.iface.network,
            source.address,
            destination.address,
            this.port,
          );
          if (verdict !== undefined) return verdict;
        }
        return (
          this.forward(view, destination) ??
          this.arrive(destination, source.address, this.port) ??
          allow(
            `${source.iface.workload} reaches ${destination.iface.workload} (${this.passed.join(", ") || "unfiltered"})`,
          )
        );
      }
      case "vip":
        return this.toBalancer(view, source, to.address, to.balancer);
      case "gateway": {
        const zone = view.config.dnsZones.find((candidate) =>
          candidate.networks.includes(to.network),
        );
        if (zone === undefined || this.protocol !== "udp" || this.port !== 53) {
          this.hop(node, "gateway", undefined, "the gateway answers DNS (udp/53) only");
          return deny(`the gateway of ${to.network} answers only DNS (udp/53) of a DNS service`);
        }
        const egress = this.groups(view, source.iface, "egress", to.address, this.port);
        if (egress !== undefined) return egress;
        this.hop(node, "dns", zone.ruleId, `answered at the gateway of ${to.network}`);
        return allow(`DNS ${zone.domain} answered at the gateway of ${to.network}`, zone.ruleId);
      }
      case "outside":
        if (to.learned !== undefined) return this.toLearned(view, source, to.address, to.learned);
        return this.toOutside(view, source, to.address, to.network);
      case "floating": {
        // Hairpin: out through the source's translation, back in at the floating address.
        const out = this.toOutside(view, source, to.address, to.floating.externalNetwork);
        if (out.verdict === "deny") return out;
        const translated = view.floatingByPort.get(source.iface.portId)?.floatingIp;
        const nat = view.config.sourceNats.find((candidate) =>
          candidate.insideNetworks.includes(from),
        );
        const address = parseIpv4(translated ?? nat?.outsideIp ?? "") ?? source.address;
        return this.toFloating(address, to.floating);
      }
      case "nat":
        this.hop(node, "nat", to.nat.ruleId, "a NAT address takes no inbound flows");
        return deny(`${to.nat.ruleId} takes no inbound flows`, to.nat.ruleId);
      case "workload":
      case "unknown":
        this.hop(node, "route", undefined, `no endpoint ${describe(to)}`);
        return deny(`unknown destination ${describe(to)}`);
      default:
        return assertNever(to, "flow end");
    }
  }

  toOutside(view: NodeView, source: IfaceRef, address: number, external: string): Outcome {
    const node = view.node.node;
    if (source.iface.network === external) {
      const egress = this.groups(view, source.iface, "egress", address, this.port);
      if (egress !== undefined) return egress;
      this.hop(node, "same network", "implicit:same-network", external);
      return allow(`${source.iface.workload} is on ${external}`, "implicit:same-network");
    }
    const floating = view.floatingByPort.get(source.iface.portId);
    const nat = view.config.sourceNats.find(
      (candidate) =>
        candidate.outsideNetwork === external &&
        candidate.insideNetworks.includes(source.iface.network),
    );
    if ((floating === undefined || floating.externalNetwork !== external) && nat === undefined) {
      const rule = `implicit:no-match:${external}`;
      this.hop(node, "snat", rule, "no floating IP or NAT toward outside");
      return deny(`${source.iface.workload} has no floating IP or NAT on ${external}`, rule);
    }
    const egress = this.groups(view, source.iface, "egress", address, this.port);
    if (egress !== undefined) return egress;
    if (floating !== undefined && floating.externalNetwork === external) {
      this.hop(
        node,
        "snat",
        floating.ruleId,
        `source ${source.iface.ip} -> ${floating.floatingIp}`,
      );
      return allow(
        `${source.iface.workload} reaches outside from its floating IP ${floating.floatingIp}`,
        floating.ruleId,
      );
    }
    if (nat === undefined) return deny("no NAT");
    this.hop(node, "snat", nat.ruleId, `source ${source.iface.ip} -> ${nat.outsideIp}`);
    return allow(
      `${source.iface.workload} reaches outside through ${nat.ruleId} (${nat.outsideIp})`,
      nat.ruleId,
    );
  }

  /** Issue 14: out through a floating IP or NAT, then the external network and its EVPN route. */
  toLearned(view: NodeView, source: IfaceRef, address: number, learned: LearnedReach): Outcome {
    const node = view.node.node;
    const out = this.toOutside(view, source, address, learned.network);
    if (out.verdict === "deny") return out;
    if (!nodeHasRoute(view.node, learned.route)) {
      this.hop(node, "route", undefined, `${node} has no route to ${learned.route.prefix}`);
      return deny(`${node} does not carry the EVPN route ${learned.route.prefix}`);
    }
    this.hop(node, "external network", undefined, `${learned.network} (vx${learned.route.vni})`);
    this.hop(node, "evpn", undefined, learnedRouteDetail(learned.route));
    return allow(
      `${out.reason}, then over ${learned.network} by the ${learnedRouteDetail(learned.route)}`,
      out.rule,
    );
  }

  toFloating(source: number, floating: FloatingIpTranslation): Outcome {
    const view = nodeView(this.index, floating.node);
    const iface = view?.localByIp.get(parseIpv4(floating.fixedIp) ?? -1);
    if (view === undefined || iface === undefined) return deny(`no config for ${floating.node}`);
    this.hop(
      floating.node,
      "dnat",
      floating.ruleId,
      `${floating.floatingIp} -> ${floating.fixedIp}`,
    );
    const ingress = this.groups(view, iface, "ingress", source, this.port);
    if (ingress !== undefined) return ingress;
    return allow(
      `outside reaches ${floating.workload} at its floating IP ${floating.floatingIp}`,
      floating.ruleId,
    );
  }

  fromOutside(source: Extract<FlowEnd, { kind: "outside" }>, to: FlowEnd): Outcome {
    if (source.learned !== undefined) {
      // Issue 14: a host behind a learned route arrives from its VTEP on the external network.
      const route = source.learned.route;
      this.hop(`vtep ${route.vtep}`, "evpn", undefined, learnedRouteDetail(route));
      this.hop("outside", "external network", undefined, `${source.network} (vx${route.vni})`);
    }
    if (to.kind === "floating") return this.toFloating(source.address, to.floating);
    if (to.kind === "iface" && to.ref.iface.network === source.network) {
      this.hop("outside", "same network", "implicit:same-network", source.network);
      return (
        this.arrive(to.ref, source.address, this.port) ??
        allow(`same network ${source.network}`, "implicit:same-network")
      );
    }
    if (to.kind === "nat") {
      this.hop("outside", "nat", to.nat.ruleId, "no inbound");
      return deny(`${to.nat.ruleId} takes no inbound flows`, to.nat.ruleId);
    }
    const rule = `implicit:no-match:${source.network}`;
    this.hop("outside", "inbound", rule, "outside reaches workloads only at floating IPs");
    return deny("outside reaches a workload only at its floating IP", rule);
  }

  toBalancer(view: NodeView, source: IfaceRef, vip: number, balancer: LoadBalancerConfig): Outcome {
    const node = view.node.node;
    if (!view.balancers.has(vip)) {
      this.hop(
        node,
        "route",
        undefined,
        `${balancer.network} not reachable from ${source.iface.network}`,
      );
      return deny(
        `no route to the VIP of ${balancer.ruleId}`,
        `implicit:no-match:${balancer.network}`,
      );
    }
    if (this.protocol !== balancer.protocol || this.port !== balancer.port) {
      this.hop(
        node,
        "load balancer",
        balancer.ruleId,
        "protocol or port does not match the listener",
      );
      return deny(
        `${balancer.ruleId} listens on ${balancer.protocol}/${balancer.port} only`,
        balancer.ruleId,
      );
    }
    const egress = this.groups(view, source.iface, "egress", vip, this.port);
    if (egress !== undefined) return egress;
    if (balancer.network === source.iface.network) {
      this.hop(node, "same network", "implicit:same-network", balancer.network);
    } else {
      const verdict = this.policies(
        view,
        source.iface.network,
        balancer.network,
        source.address,
        vip,
        this.port,
      );
      if (verdict !== undefined) return verdict;
    }
    let last: Outcome | undefined;
    for (const member of balancer.members) {
      const address = parseIpv4(member.ip) ?? -1;
      const memberView = nodeView(this.index, member.node);
      const iface = memberView?.localByIp.get(address);
      if (memberView === undefined || iface === undefined) continue;
      this.hop(
        node,
        "lb dnat",
        balancer.ruleId,
        `${balancer.vip}:${balancer.port} -> ${member.ip}:${member.port}`,
      );
      const ref: IfaceRef = { iface, address, node: member.node };
      const outcome = this.forward(view, ref) ?? this.arrive(ref, source.address, member.port);
      if (outcome === undefined) {
        return allow(
          `${balancer.ruleId} sends the flow to ${member.workload}:${member.port}`,
          balancer.ruleId,
        );
      }
      last = outcome;
    }
    return last ?? deny(`${balancer.ruleId} has no member`, balancer.ruleId);
  }
}

/** Port security's rule id (spec section 2 rule 0), also used by the dataplane's counters. */
export const ANTI_SPOOFING = "implicit:anti-spoofing";

/** An interface as a person names it: `web-1 interface 0 on web`. */
export function interfaceName(iface: LocalInterface): string {
  return `${iface.workload} interface ${iface.interfaceIndex} on ${iface.network}`;
}

/** The interface whose allowedAddresses hold the address (sending from it), if one does. */
function allowedSender(index: TenantIndex, address: number): IfaceRef | undefined {
  for (const ref of index.byIp.values()) {
    for (const cidr of ref.iface.allowedAddresses ?? []) {
      const range = cidrInterval(cidr);
      if (range !== undefined && address >= range[0] && address <= range[1]) {
        return { iface: ref.iface, address, node: ref.node };
      }
    }
  }
  return undefined;
}

/** The tenant's own (not external) network whose subnets hold the address, if one does. */
function tenantNetworkOf(index: TenantIndex, address: number): string | undefined {
  for (const [name, network] of index.networks) {
    if (!network.external && setContains(network.set, address)) return name;
  }
  return undefined;
}

function describe(end: FlowEnd): string {
  switch (end.kind) {
    case "workload":
      return end.name;
    case "iface":
      return end.ref.iface.ip;
    case "unknown":
      return end.text;
    case "floating":
    case "nat":
    case "vip":
    case "gateway":
    case "outside":
      return formatIpv4(end.address);
    default:
      return assertNever(end, "flow end");
  }
}

function allow(reason: string, rule?: string): Outcome {
  return rule === undefined ? { verdict: "allow", reason } : { verdict: "allow", reason, rule };
}

function deny(reason: string, rule?: string): Outcome {
  return rule === undefined ? { verdict: "deny", reason } : { verdict: "deny", reason, rule };
}

/**
 * Traces a flow of `tenant` (name or id) through the compiled configs: verdict, reason, and
 * the hops with the rule that decided each. Spec section 2; the semantics choices are in
 * packages/compiler/README.md.
 */
export function trace(compiled: CompiledFabric, tenant: string, flow: FlowQuery): TraceResult {
  const index = tenantIndex(compiled, tenant);
  if (index === undefined) {
    return { verdict: "deny", reason: `tenant ${tenant} has nothing on any node`, hops: [] };
  }
  const walk = new FlowWalk(index, flow.protocol, flow.port, true);
  const outcome = walk.run(resolveEnd(index, flow.from), resolveEnd(index, flow.to));
  const result: TraceResult = {
    verdict: outcome.verdict,
    reason: outcome.reason,
    hops: walk.hops ?? [],
  };
  if (outcome.rule !== undefined) result.rule = outcome.rule;
  return result;
}
