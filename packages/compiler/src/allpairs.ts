import type { Protocol, Verdict } from "@netloom/model";
import type { CompiledFabric, InterNetworkRoute, LocalInterface, TenantConfig } from "./config";
import { type IntervalSet, setContains, unionOf } from "./ipv4";
import {
  type AclMatcher,
  aclMatchers,
  addressesMatch,
  type CompiledGroup,
  firewallMatchers,
  firstMatch,
  ruleMatchesFlow,
} from "./match";
import {
  type FlowEnd,
  type IfaceRef,
  type NodeView,
  nodeView,
  pickInterfaces,
  type TenantIndex,
  tenantIndex,
} from "./trace";

/** A protocol and (tcp/udp) destination port the matrix is computed for. */
export interface MatrixFlow {
  protocol: Protocol;
  port?: number;
}

/**
 * Reachability of every ordered pair of a tenant's workloads. `allowed[(i * n + j) * f + k]` is 1
 * when workload i reaches workload j with flow k (n workloads, f flows); the diagonal is 0.
 */
export interface ReachabilityMatrix {
  tenant: string;
  workloads: string[];
  flows: MatrixFlow[];
  allowed: Uint8Array;
}

/** The verdict of one cell of a matrix. */
export function matrixVerdict(
  matrix: ReachabilityMatrix,
  from: number,
  to: number,
  flow: number,
): Verdict {
  const cell = matrix.allowed[(from * matrix.workloads.length + to) * matrix.flows.length + flow];
  return cell === 1 ? "allow" : "deny";
}

/**
 * The flows a tenant's rules mention: icmp, plus each tcp/udp port (the first port of each
 * range) named by a policy, firewall or security group rule on the tenant's configs.
 */
function flowsOf(configs: Iterable<{ config: TenantConfig }>): MatrixFlow[] {
  const ports = new Set<string>();
  const seen = new Set<object>();
  const add = (protocol: Protocol, ranges: readonly { from: number }[]) => {
    for (const range of ranges) {
      if (protocol === "tcp" || protocol === "udp") ports.add(`${protocol}/${range.from}`);
      else if (protocol === "any") {
        ports.add(`tcp/${range.from}`);
        ports.add(`udp/${range.from}`);
      }
    }
  };
  for (const { config } of configs) {
    for (const network of config.networks) {
      if (seen.has(network)) continue;
      seen.add(network);
      for (const entry of network.acl) add(entry.protocol, entry.ports);
    }
    for (const group of config.securityGroups) {
      if (seen.has(group)) continue;
      seen.add(group);
      for (const entry of group.rules) add(entry.protocol, entry.ports);
    }
    for (const firewall of config.firewalls) {
      if (seen.has(firewall)) continue;
      seen.add(firewall);
      for (const entry of firewall.rules) add(entry.protocol, entry.ports);
    }
  }
  const flows: MatrixFlow[] = [{ protocol: "icmp" }];
  const sorted = [...ports]
    .map((text) => {
      const [protocol, port] = text.split("/");
      return {
        protocol: protocol === "udp" ? ("udp" as const) : ("tcp" as const),
        port: Number(port),
      };
    })
    .sort((a, b) =>
      a.protocol === b.protocol ? a.port - b.port : a.protocol < b.protocol ? -1 : 1,
    );
  flows.push(...sorted);
  return flows;
}

/**
 * Per-flow precomputation for one matrix: each security-group direction of an interface becomes
 * one interval set per flow (the union of the remotes of its rules that match the flow's
 * protocol and port: "some rule matches" is membership in the union), and each policy list one
 * list per flow of the entries whose protocol and port match.
 */
export class FlowTables {
  private readonly groupSets = new Map<string, (IntervalSet | null)[]>();
  private readonly aclLists = new Map<AclMatcher[], AclMatcher[][]>();

  constructor(private readonly flows: readonly MatrixFlow[]) {}

  /** Per flow: the addresses the interface's groups admit in a direction; null = unfiltered. */
  groups(
    view: NodeView,
    iface: LocalInterface,
    direction: "ingress" | "egress",
  ): (IntervalSet | null)[] {
    const key = `${view.node.node}\u0000${iface.portId}\u0000${direction}`;
    const known = this.groupSets.get(key);
    if (known !== undefined) return known;
    const sets = this.flows.map((flow): IntervalSet | null => {
      if (iface.securityGroups.length === 0) return null;
      const parts: IntervalSet[] = [];
      for (const name of iface.securityGroups) {
        const group: CompiledGroup | undefined = view.groups.get(name);
        for (const rule of group?.[direction] ?? []) {
          if (ruleMatchesFlow(rule, flow.protocol, flow.port)) parts.push(rule.remotes);
        }
      }
      return unionOf(parts);
    });
    this.groupSets.set(key, sets);
    return sets;
  }

  /** Per flow: nothing admitted (an interface whose node has no config). */
  unknown(): (IntervalSet | null)[] {
    return this.flows.map(() => []);
  }

  acl(matchers: AclMatcher[]): AclMatcher[][] {
    const known = this.aclLists.get(matchers);
    if (known !== undefined) return known;
    const lists = this.flows.map((flow) =>
      matchers.filter((matcher) => ruleMatchesFlow(matcher, flow.protocol, flow.port)),
    );
    this.aclLists.set(matchers, lists);
    return lists;
  }
}

/** First entry of a prefiltered (protocol and port already match) list matching the addresses. */
function firstByAddress(
  matchers: readonly AclMatcher[],
  source: number,
  destination: number,
): AclMatcher | undefined {
  for (const matcher of matchers) if (addressesMatch(matcher, source, destination)) return matcher;
  return undefined;
}

/** The pair-invariant part of a workload-to-workload flow, looked up once per pair. */
export interface PairPath {
  egress: (IntervalSet | null)[];
  ingress: (IntervalSet | null)[];
  source: number;
  destination: number;
  /** Undefined on one network. */
  policy?: {
    view: NodeView;
    from: AclMatcher[][] | undefined;
    to: AclMatcher[][] | undefined;
    route: InterNetworkRoute | undefined;
  };
}

/**
 * The same decision as `trace` (FlowWalk) for a flow between two workload interfaces, without
 * hops or reasons: the all-pairs matrix runs it millions of times. A test holds the two equal.
 */
export function pairVerdict(
  path: PairPath,
  k: number,
  protocol: Protocol,
  port: number | undefined,
): boolean {
  const egress = path.egress[k];
  if (egress !== null && (egress === undefined || !setContains(egress, path.destination)))
    return false;
  const policy = path.policy;
  if (policy !== undefined) {
    const { route } = policy;
    const routerAllows = route?.noMatch === "allow" && route.viaRouter !== undefined;
    const fromList = policy.from?.[k];
    if (fromList === undefined) return false;
    const first = firstByAddress(fromList, path.source, path.destination);
    if (first === undefined ? !routerAllows : first.action === "deny") return false;
    const toList = policy.to?.[k];
    if (toList === undefined) return false;
    const second = firstByAddress(toList, path.source, path.destination);
    if (second === undefined ? !routerAllows : second.action === "deny") return false;
    if (route === undefined) return false;
    if ((first?.services.length ?? 0) + (second?.services.length ?? 0) > 0) {
      const services = [...(first?.services ?? []), ...(second?.services ?? [])];
      for (const service of services) {
        const firewall = policy.view.firewalls.get(service);
        if (firewall === undefined) continue;
        const match = firstMatch(
          firewallMatchers(firewall),
          path.source,
          path.destination,
          protocol,
          port,
        );
        if (match === undefined || match.action === "deny") return false;
      }
    }
  }
  const ingress = path.ingress[k];
  return ingress === null || (ingress !== undefined && setContains(ingress, path.source));
}

/** One interface as an end of matrix flows: its node view and per-flow group sets. */
export interface Side {
  ref: IfaceRef;
  view: NodeView | undefined;
  network: number;
  egress: (IntervalSet | null)[];
  ingress: (IntervalSet | null)[];
}

/** Looks up, once per interface and once per (node, network pair), what pairs share. */
export class PathFinder {
  private readonly sides = new Map<IfaceRef, Side>();
  private readonly networkIds = new Map<string, number>();
  private readonly policies = new Map<NodeView, Map<number, NonNullable<PairPath["policy"]>>>();

  constructor(
    private readonly index: TenantIndex,
    private readonly tables: FlowTables,
  ) {}

  side(ref: IfaceRef): Side {
    let side = this.sides.get(ref);
    if (side === undefined) {
      const view = nodeView(this.index, ref.node);
      let network = this.networkIds.get(ref.iface.network);
      if (network === undefined) {
        network = this.networkIds.size;
        this.networkIds.set(ref.iface.network, network);
      }
      const unknown = this.tables.unknown();
      side = {
        ref,
        view,
        network,
        egress: view === undefined ? unknown : this.tables.groups(view, ref.iface, "egress"),
        ingress: view === undefined ? unknown : this.tables.groups(view, ref.iface, "ingress"),
      };
      this.sides.set(ref, side);
    }
    return side;
  }

  path(source: Side, destination: Side): PairPath | undefined {
    const view = source.view;
    if (view === undefined || destination.view === undefined) return undefined;
    const address = destination.ref.address;
    const local = destination.ref.node === source.ref.node && view.localByIp.has(address);
    if (!local && view.remoteByIp.get(address)?.node !== destination.ref.node) return undefined;
    const path: PairPath = {
      egress: source.egress,
      ingress: destination.ingress,
      source: source.ref.address,
      destination: address,
    };
    if (source.network !== destination.network) {
      let byPair = this.policies.get(view);
      if (byPair === undefined) {
        byPair = new Map();
        this.policies.set(view, byPair);
      }
      const key = source.network * 65536 + destination.network;
      let policy = byPair.get(key);
      if (policy === undefined) {
        const from = source.ref.iface.network;
        const to = destination.ref.iface.network;
        const fromNet = view.nets.get(from);
        const toNet = view.nets.get(to);
        policy = {
          view,
          from: fromNet && this.tables.acl(aclMatchers(fromNet)),
          to: toNet && this.tables.acl(aclMatchers(toNet)),
          route: view.routes.get(`${from}\u0000${to}`),
        };
        byPair.set(key, policy);
      }
      path.policy = policy;
    }
    return path;
  }
}

/** The reachability matrix of a tenant's workloads, computed on the compiled configs. */
export function allPairs(compiled: CompiledFabric, tenant: string): ReachabilityMatrix {
  const index = tenantIndex(compiled, tenant);
  if (index === undefined) return { tenant, workloads: [], flows: [], allowed: new Uint8Array(0) };
  const workloads = [...index.byWorkload.keys()].sort();
  const flows = flowsOf(index.configs.values());
  const ends: Extract<FlowEnd, { kind: "workload" }>[] = workloads.map((name) => ({
    kind: "workload",
    name,
    ifaces: index.byWorkload.get(name) ?? ([] as IfaceRef[]),
  }));
  const count = workloads.length;
  const flowCount = flows.length;
  const allowed = new Uint8Array(count * count * flowCount);
  const protocols = flows.map((flow) => flow.protocol);
  const ports = flows.map((flow) => flow.port);
  const tables = new FlowTables(flows);
  const finder = new PathFinder(index, tables);
  for (let i = 0; i < count; i++) {
    const from = ends[i];
    if (from === undefined) continue;
    for (let j = 0; j < count; j++) {
      const to = ends[j];
      if (i === j || to === undefined) continue;
      let sourceRef = from.ifaces[0];
      let destinationRef = to.ifaces[0];
      if (from.ifaces.length > 1 || to.ifaces.length > 1) {
        const [source, destination] = pickInterfaces(from, to);
        if (source.kind !== "iface" || destination.kind !== "iface") continue;
        sourceRef = source.ref;
        destinationRef = destination.ref;
      }
      if (sourceRef === undefined || destinationRef === undefined) continue;
      const path = finder.path(finder.side(sourceRef), finder.side(destinationRef));
      if (path === undefined) continue;
      const base = (i * count + j) * flowCount;
      for (let k = 0; k < flowCount; k++) {
        if (pairVerdict(path, k, protocols[k] ?? "icmp", ports[k])) allowed[base + k] = 1;
      }
    }
  }
  return { tenant, workloads, flows, allowed };
}
