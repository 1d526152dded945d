import {
  assertNever,
  type IntentFile,
  NetloomError,
  type Policy,
  type Ports,
  type Problem,
  type Protocol,
  parseEndpoint,
  parseIpv4,
  type Verdict,
} from "@netloom/model";
import type {
  DnsZone,
  FirewallEntry,
  FloatingIpTranslation,
  InterNetworkRoute,
  LoadBalancerConfig,
  LocalInterface,
  NetworkInstance,
  PolicyAclEntry,
  RemoteEndpoint,
  SecurityGroupEntry,
  SourceNatTranslation,
  TenantConfig,
  TenantInput,
} from "./config";
import { fnv1a64Pair, HashFold, macFrom, shortId, withJsonHash } from "./hash";
import {
  cidrInterval,
  defaultGatewayOf,
  type IntervalSet,
  intervalSetOf,
  portRanges,
  prefixLength,
  setsOverlap,
} from "./ipv4";

/*
 * Per-tenant derived data: everything about one tenant that does not depend on which node looks
 * at it, built once per tenant (and cached by the incremental compiler), then cut into one
 * TenantConfig per node that hosts the tenant. Shared pieces (network instances, remote
 * endpoints, groups, ...) are the same objects in every node's config and carry their content
 * hash, so a node's hash combines hashes instead of re-serializing.
 */

interface Hashed<T> {
  value: T;
  /** Content hash (FNV-1a 64 of the JSON) as two 32-bit halves. */
  high: number;
  low: number;
}

interface NetInfo {
  name: string;
  /** Everything the network's instance derives from (cache key). */
  key: string;
  /** JSON of the subnets (with gateways): part of each interface's cache key. */
  subnetsKey: string;
  order: number;
  external: boolean;
  set: IntervalSet;
  instance: Hashed<NetworkInstance>;
  /** Services named by this network's policy list. */
  services: Set<string>;
}

interface IfaceInfo {
  workload: string;
  index: number;
  network: string;
  netIndex: number;
  node: string;
  /** JSON of the network's subnets when the pieces were made (they derive from it). */
  subnetsKey: string;
  /** `<ip>/32`: the interface as a member of its groups. */
  member: string;
  /** The floating address and its external network ("" when none). */
  floatingIp: string;
  externalNetwork: string;
  local: Hashed<LocalInterface>;
  remote: Hashed<RemoteEndpoint>;
  floating?: Hashed<FloatingIpTranslation>;
}

interface Ordered<T> extends Hashed<T> {
  order: number;
}

/** A leaked route with its target's network index. */
interface RouteInfo {
  hashed: Hashed<InterNetworkRoute>;
  toIndex: number;
}

/** A piece with its content hash, outside the memo (its caller keeps its identity). */
function hashOnly<T>(value: T): Hashed<T> {
  return withJsonHash(value);
}

/** The values of a map of ordered pieces, in their order. */
function byOrder<T extends { order: number }>(map: ReadonlyMap<string, T>): T[] {
  return [...map.values()].sort((a, b) => a.order - b.order);
}

interface MemoEntry {
  hashed: Hashed<unknown>;
  /** The last compile that used it. */
  generation: number;
}

/** A policy's compiled entries; `serial` names this compiled version in cache keys. */
interface PolicyEntries {
  serial: number;
  entries: PolicyAclEntry[];
  sets: { sources: IntervalSet; destinations: IntervalSet }[];
}

/** Numbers compiled policy versions for cache keys only; never reaches the output. */
let nextSerial = 0;

/** One tenant's node-independent compile result. */
export interface TenantDerived {
  id: string;
  name: string;
  key: string;
  nets: Map<string, NetInfo>;
  netList: NetInfo[];
  ifacesByNet: Map<string, IfaceInfo[]>;
  ifacesByNode: Map<string, IfaceInfo[]>;
  /** Routes by source and target network name, for reuse by the next derivation. */
  routeCache: Map<string, Map<string, RouteInfo>>;
  routesFrom: Map<string, RouteInfo[]>;
  /** Routes by source network index. */
  routesByIndex: RouteInfo[][];
  /** Interfaces by network index. */
  ifacesByIndex: IfaceInfo[][];
  groups: Map<string, Ordered<{ name: string; rules: SecurityGroupEntry[] }>>;
  firewalls: Map<string, Ordered<{ name: string; rules: FirewallEntry[] }>>;
  /** The groups and firewalls in file order. */
  groupList: Ordered<{ name: string; rules: SecurityGroupEntry[] }>[];
  firewallList: Ordered<{ name: string; rules: FirewallEntry[] }>[];
  nats: (Hashed<SourceNatTranslation> & { inside: number[]; outside: number })[];
  loadBalancers: (Hashed<LoadBalancerConfig> & { network: number })[];
  dnsZones: (Hashed<DnsZone> & { networks: number[] })[];
  /** Nodes hosting an interface of the tenant, sorted: the tenant's node slots. */
  nodes: string[];
  /** Node slot of each interface of ifacesByIndex. */
  slotsByIndex: Int32Array[];
  /** Peer entry and its hash of each node slot. */
  peerList: Hashed<{ node: string; underlay: string }>[];
  /** The fabric the peer entries were made for. */
  underlays: ReadonlyMap<string, string>;
  /** Hashed pieces by 53 bits of their content hash: a recompile reuses equal pieces. */
  memo: Map<number, MemoEntry>;
  memoGeneration: number;
  /** The intent's workloads and pools the interfaces were derived from (compared, never changed). */
  workloadInput: readonly unknown[];
  poolInput: readonly unknown[];
  /** The intent's routers the routes were derived from. */
  routerInput: readonly unknown[];
  /** Each group's member addresses (`<ip>/32`), in interface order. */
  groupMembers: Map<string, string[]>;
  /** The workloads' names in file order. */
  workloadNames: string[];
  /** Interfaces by workload (those with an address), in interface order. */
  ifacesByWorkload: Map<string, IfaceInfo[]>;
  /** Each network's subnet CIDRs, by name (what a name in a rule stands for). */
  subnetsOf: Map<string, string[]>;
  /** Each policy's input and compiled entries, by name. */
  policyCache: Map<string, { input: Policy; compiled: PolicyEntries }>;
  netCache: Map<string, NetInfo>;
  /** Networks each network's list may allow traffic with, by the networks' keys. */
  mayAllowKey: string;
  mayAllow: Map<string, Set<string>>;
}

/**
 * Hashes pieces by their JSON, reusing the previous compile's object for equal content so that
 * unchanged pieces keep their identity (the incremental compiler compares by identity).
 */
class Hasher {
  readonly memo: Map<number, MemoEntry>;
  readonly generation: number;
  private used = 0;

  /** Continues the previous compile's memo (shared: the previous derivation is superseded). */
  constructor(
    previous: { memo: Map<number, MemoEntry>; generation: number } | undefined,
    private readonly remember: boolean,
  ) {
    this.memo = previous?.memo ?? new Map();
    this.generation = (previous?.generation ?? 0) + 1;
  }

  hashed<T>(value: T): Hashed<T> {
    const fresh = withJsonHash(value);
    if (!this.remember) return fresh;
    // Keyed by 53 bits of the hash; a hit counts only when the content is equal too.
    const key = fresh.high * 2097152 + (fresh.low & 0x1fffff);
    const known = this.memo.get(key);
    if (known !== undefined && sameJson(known.hashed.value, value)) {
      if (known.generation !== this.generation) {
        known.generation = this.generation;
        this.used++;
      }
      return known.hashed as Hashed<T>;
    }
    this.memo.set(key, { hashed: fresh, generation: this.generation });
    this.used++;
    return fresh;
  }

  /** Drops pieces no longer used once they outnumber the used ones. */
  prune(): void {
    if (this.memo.size <= 2 * this.used + 256) return;
    const generation = this.generation;
    const memo = this.memo;
    memo.forEach((entry, key) => {
      if (entry.generation !== generation) memo.delete(key);
    });
  }
}

/** Index of a network in the tenant's list, -1 when unknown. */
function indexOf(nets: ReadonlyMap<string, NetInfo>, name: string): number {
  return nets.get(name)?.order ?? -1;
}

/** Port id of an interface: from the tenant id (never a name alone), workload and index. */
export function portIdOf(tenantId: string, workload: string, index: number): string {
  return shortId(`port:${tenantId}/${workload}/${index}`, 11);
}

/** Short tenant key for device names. */
export function tenantKeyOf(tenantId: string): string {
  return shortId(`tenant:${tenantId}`, 6);
}

const ANY = "0.0.0.0/0";

/** Builds a tenant's node-independent data; throws INVALID when an allocation is missing. */
export function deriveTenant(
  input: TenantInput,
  underlays: ReadonlyMap<string, string>,
  previous?: TenantDerived,
  /** Keep the memo for a later incremental derivation (a one-shot compile does not). */
  remember = true,
): TenantDerived {
  const prior = previous?.id === input.id ? previous : undefined;
  const hasher = new Hasher(
    prior === undefined ? undefined : { memo: prior.memo, generation: prior.memoGeneration },
    remember,
  );
  const hashed = <T>(value: T): Hashed<T> => hasher.hashed(value);
  const intent: IntentFile = input.intent;
  const problems: Problem[] = [];
  const networks = intent.networks ?? [];
  const workloads = intent.workloads ?? [];
  const groupsIn = intent.securityGroups ?? [];
  const policies = intent.policies ?? [];
  const services = intent.services ?? [];
  const routers = intent.routers ?? [];
  const pools = new Map<string, string>(
    (intent.floatingIpPools ?? []).map((pool) => [pool.name, pool.network]),
  );

  const subnetsOf = new Map<string, string[]>();
  for (let i = 0; i < networks.length; i++) {
    const network = networks[i];
    if (network === undefined) continue;
    // The previous list when it names the same CIDRs (kept, not rebuilt).
    const before = prior?.subnetsOf.get(network.name);
    subnetsOf.set(
      network.name,
      before !== undefined && sameCidrs(before, network.subnets)
        ? before
        : network.subnets.map((subnet) => subnet.cidr),
    );
  }
  const groupNames = new Set<string>(groupsIn.map((group) => group.name));

  /** A rule endpoint (network name, CIDR, `any`) as CIDRs; unknown names match nothing. */
  const resolveEndpoint = (endpoint: string): string[] => {
    const parsed = parseEndpoint(endpoint);
    switch (parsed.kind) {
      case "any":
        return [ANY];
      case "cidr":
        return [endpoint];
      case "name":
        return subnetsOf.get(endpoint) ?? [];
      case "invalid":
        return [];
      default:
        return assertNever(parsed, "endpoint");
    }
  };

  /** A policy or firewall rule's entry (a policy entry adds direction and services). */
  const flowEntry = (
    ruleId: string,
    rule: {
      action: Verdict;
      protocol?: Protocol;
      source: string;
      destination: string;
      ports?: Ports;
    },
  ): FirewallEntry => ({
    ruleId,
    action: rule.action,
    protocol: rule.protocol ?? "any",
    sources: resolveEndpoint(rule.source),
    destinations: resolveEndpoint(rule.destination),
    ports: portRanges(rule.ports),
  });

  // Networks and their ordered policy lists. A policy's entries depend on its own JSON and on
  // the tenant's subnets; unchanged ones are reused from the previous compile.
  /** Whether every name the policy's rules use stands for the same subnets as last time. */
  const sameSubnetsNamed = (policy: Policy): boolean => {
    if (prior === undefined) return false;
    const named = (endpoint: string): boolean => {
      const before = prior.subnetsOf.get(endpoint);
      const now = subnetsOf.get(endpoint);
      return (
        before === now || (before !== undefined && now !== undefined && sameStrings(before, now))
      );
    };
    for (let i = 0; i < policy.rules.length; i++) {
      const rule = policy.rules[i];
      if (rule !== undefined && !(named(rule.source) && named(rule.destination))) return false;
    }
    return true;
  };
  const policyCache = new Map<string, { input: Policy; compiled: PolicyEntries }>();
  // Per network, the compiled policies attached to it, in order; its entry list is built only
  // when its instance is (a cache hit needs the serials alone).
  const aclParts = new Map<string, PolicyEntries[]>();
  const aclSerials = new Map<string, number[]>();
  for (let i = 0; i < networks.length; i++) {
    const name = networks[i]?.name ?? "";
    aclParts.set(name, []);
    aclSerials.set(name, []);
  }
  const aclOfNetwork = (name: string): PolicyAclEntry[] => {
    const acl: PolicyAclEntry[] = [];
    for (const part of aclParts.get(name) ?? []) acl.push(...part.entries);
    return acl;
  };
  for (let policyIndex = 0; policyIndex < policies.length; policyIndex++) {
    const policy = policies[policyIndex];
    if (policy === undefined) continue;
    const known = policyCache.get(policy.name) ?? prior?.policyCache.get(policy.name);
    let compiled =
      known !== undefined && sameJson(known.input, policy) && sameSubnetsNamed(policy)
        ? known.compiled
        : undefined;
    if (compiled === undefined) {
      const entries = policy.rules.map(
        (rule, ruleIndex): PolicyAclEntry => ({
          ...flowEntry(`policy:${policy.name}/${ruleIndex}`, rule),
          bidirectional: (rule.direction ?? "<>") === "<>",
          services: rule.services ?? [],
        }),
      );
      compiled = {
        serial: nextSerial++,
        entries,
        sets: entries.map((entry) => ({
          sources: intervalSetOf(entry.sources),
          destinations: intervalSetOf(entry.destinations),
        })),
      };
    }
    // An equal input (sameJson) keeps the previous record, so the cache map can stay shared.
    policyCache.set(
      policy.name,
      known !== undefined && known.compiled === compiled ? known : { input: policy, compiled },
    );
    for (let i = 0; i < policy.attach.length; i++) {
      const attached = policy.attach[i] ?? "";
      aclParts.get(attached)?.push(compiled);
      aclSerials.get(attached)?.push(compiled.serial);
    }
  }

  const nets = new Map<string, NetInfo>();
  const netList: NetInfo[] = [];
  const netCache = new Map<string, NetInfo>();
  networks.forEach((network, order) => {
    const vni = input.vnis[network.name];
    if (vni === undefined) {
      problems.push({
        path: `networks[${order}]`,
        message: `no VNI allocated for ${network.name}`,
      });
    }
    const netKey = `${order}\u0001${network.name}\u0001${vni}\u0001${network.external === true}\u0001${JSON.stringify(network.subnets)}\u0001${(aclSerials.get(network.name) ?? []).join(",")}`;
    const cached = prior?.netCache.get(netKey);
    if (cached !== undefined) {
      netCache.set(netKey, cached);
      nets.set(network.name, cached);
      netList.push(cached);
      return;
    }
    const acl = aclOfNetwork(network.name);
    const instance: NetworkInstance = {
      name: network.name,
      vni: vni ?? 0,
      external: network.external === true,
      subnets: network.subnets.map((subnet) => ({
        cidr: subnet.cidr,
        gateway: subnet.gateway ?? defaultGatewayOf(subnet.cidr),
      })),
      acl,
    };
    // Only its place in the list moved (or an unrelated input changed): keep its instance
    // without serializing it again.
    const before = prior?.nets.get(network.name);
    const old = before?.instance.value;
    const info: NetInfo =
      before !== undefined && old !== undefined && sameInstance(old, instance)
        ? { ...before, key: netKey, order }
        : {
            name: network.name,
            key: netKey,
            subnetsKey: JSON.stringify(instance.subnets),
            order,
            external: instance.external,
            set: intervalSetOf(instance.subnets.map((subnet) => subnet.cidr)),
            instance: hashed(instance),
            services: new Set(acl.flatMap((entry) => entry.services)),
          };
    netCache.set(netKey, info);
    nets.set(network.name, info);
    netList.push(info);
  });

  // Interfaces.
  // Workloads, pools, fabric and every network's place and subnets as last time: every
  // interface would be reused as it is, so the previous indexes are kept without a walk.
  const floatingIpPools = intent.floatingIpPools ?? [];
  const sameInterfaces =
    prior !== undefined &&
    prior.underlays === underlays &&
    sameNetSlots(prior.netList, netList) &&
    sameJson(prior.poolInput, floatingIpPools) &&
    sameJson(prior.workloadInput, workloads);
  let ifacesByNet = new Map<string, IfaceInfo[]>();
  let ifacesByNode = new Map<string, IfaceInfo[]>();
  let ifacesByWorkload = new Map<string, IfaceInfo[]>();
  let groupMembers = new Map<string, string[]>();
  if (sameInterfaces) {
    ifacesByNet = prior.ifacesByNet;
    ifacesByNode = prior.ifacesByNode;
    ifacesByWorkload = prior.ifacesByWorkload;
    groupMembers = prior.groupMembers;
  }
  /** A new interface's pieces; port id and MAC come from its previous version when it had one. */
  const makeIface = (
    workloadName: string,
    index: number,
    networkName: string,
    ip: string,
    securityGroups: string[],
    allowedAddresses: string[],
    node: string,
    underlay: string,
    floatingIp: string,
    externalNetwork: string,
    before: IfaceInfo | undefined,
  ): IfaceInfo => {
    const network = nets.get(networkName);
    const address = parseIpv4(ip) ?? -1;
    const subnet =
      network?.instance.value.subnets.find((candidate) => {
        const range = cidrInterval(candidate.cidr);
        return range !== undefined && address >= range[0] && address <= range[1];
      }) ?? network?.instance.value.subnets[0];
    const portId = before?.local.value.portId ?? portIdOf(input.id, workloadName, index);
    const mac = before?.local.value.mac ?? macFrom(`${input.id}/${workloadName}/${index}`);
    const info: IfaceInfo = {
      workload: workloadName,
      index,
      network: networkName,
      netIndex: network?.order ?? -1,
      node,
      subnetsKey: network?.subnetsKey ?? "",
      member: before?.local.value.ip === ip ? before.member : `${ip}/32`,
      floatingIp,
      externalNetwork,
      local: hashed({
        portId,
        workload: workloadName,
        interfaceIndex: index,
        network: networkName,
        ip,
        prefixLength: subnet === undefined ? 32 : prefixLength(subnet.cidr),
        gateway: subnet?.gateway ?? "",
        mac,
        securityGroups,
        allowedAddresses,
      }),
      remote: hashed({
        portId,
        workload: workloadName,
        network: networkName,
        ip,
        mac,
        node,
        underlay,
        securityGroups,
      }),
    };
    if (floatingIp !== "") {
      info.floating = hashed({
        ruleId: `fip:${workloadName}/${index}`,
        workload: workloadName,
        portId,
        fixedIp: ip,
        floatingIp,
        externalNetwork,
        node,
      });
    }
    return info;
  };
  // Indexed loops, not forEach or for-of: this function runs too rarely to be optimized, and
  // unoptimized iteration allocates a closure context or iterator results per step.
  for (
    let workloadIndex = 0;
    !sameInterfaces && workloadIndex < workloads.length;
    workloadIndex++
  ) {
    const workload = workloads[workloadIndex];
    if (workload === undefined) continue;
    const node = workload.node;
    const underlay = node === undefined ? undefined : underlays.get(node);
    if (node === undefined) {
      problems.push({ path: `workloads[${workloadIndex}].node`, message: "no node assigned" });
    } else if (underlay === undefined) {
      problems.push({
        path: `workloads[${workloadIndex}].node`,
        message: `node ${node} is not in the fabric`,
      });
    }
    const list: IfaceInfo[] = [];
    const priorList = prior?.ifacesByWorkload.get(workload.name);
    for (let index = 0; index < workload.interfaces.length; index++) {
      const iface = workload.interfaces[index];
      if (iface === undefined) continue;
      if (iface.ip === undefined) {
        problems.push({
          path: `workloads[${workloadIndex}].interfaces[${index}].ip`,
          message: "no address allocated",
        });
        continue;
      }
      const ip = iface.ip;
      const network = nets.get(iface.network);
      const securityGroups = iface.securityGroups ?? NO_GROUPS;
      const allowedAddresses = iface.allowedAddresses ?? NO_GROUPS;
      const nodeName = node ?? "";
      const externalNetwork =
        iface.floatingIp === undefined ? "" : (pools.get(iface.floatingIp.pool) ?? "");
      const floatingIp = iface.floatingIp?.ip ?? "";
      if (iface.floatingIp !== undefined && iface.floatingIp.ip === undefined) {
        problems.push({
          path: `workloads[${workloadIndex}].interfaces[${index}].floatingIp.ip`,
          message: "no floating address allocated",
        });
      }
      // The same workload's interface of the last compile: when everything its pieces derive
      // from is equal, its pieces are reused as they are.
      const before = priorList === undefined ? undefined : ifaceAt(priorList, index);
      let info: IfaceInfo;
      if (
        before !== undefined &&
        before.node === nodeName &&
        before.remote.value.underlay === (underlay ?? "") &&
        before.network === iface.network &&
        before.subnetsKey === (network?.subnetsKey ?? "") &&
        before.local.value.ip === ip &&
        sameStrings(before.local.value.securityGroups, securityGroups) &&
        sameStrings(before.local.value.allowedAddresses, allowedAddresses) &&
        before.floatingIp === floatingIp &&
        before.externalNetwork === externalNetwork
      ) {
        // Only its network's place in the list may have moved: no piece depends on it.
        const netIndex = network?.order ?? -1;
        info = before.netIndex === netIndex ? before : { ...before, netIndex };
      } else {
        info = makeIface(
          workload.name,
          index,
          iface.network,
          ip,
          securityGroups,
          allowedAddresses,
          nodeName,
          underlay ?? "",
          floatingIp,
          externalNetwork,
          before,
        );
      }
      for (let k = 0; k < securityGroups.length; k++) {
        const group = securityGroups[k] ?? "";
        const members = groupMembers.get(group);
        if (members === undefined) groupMembers.set(group, [info.member]);
        else members.push(info.member);
      }
      list.push(info);
      push(ifacesByNet, iface.network, info);
      push(ifacesByNode, nodeName, info);
    }
    ifacesByWorkload.set(workload.name, list);
  }

  /** A group's or firewall's piece: the previous one when its resolved rules are equal. */
  const namedRules = <R>(
    before: Ordered<{ name: string; rules: R[] }> | undefined,
    name: string,
    rules: R[],
    order: number,
  ): Ordered<{ name: string; rules: R[] }> =>
    before !== undefined && before.order === order && sameJson(before.value.rules, rules)
      ? before
      : { ...hashed({ name, rules }), order };

  // Security groups, remotes resolved.
  const groups = new Map<string, Ordered<{ name: string; rules: SecurityGroupEntry[] }>>();
  groupsIn.forEach((group, order) => {
    const rules = group.rules.map(
      (rule, ruleIndex): SecurityGroupEntry => ({
        ruleId: `sg:${group.name}/${ruleIndex}`,
        direction: rule.direction,
        protocol: rule.protocol ?? "any",
        remotes: resolveRemote(rule.remote),
        ports: portRanges(rule.ports),
      }),
    );
    groups.set(group.name, namedRules(prior?.groups.get(group.name), group.name, rules, order));
  });
  function resolveRemote(remote: string | undefined): string[] {
    if (remote === undefined) return [ANY];
    if (!subnetsOf.has(remote) && groupNames.has(remote)) return groupMembers.get(remote) ?? [];
    return resolveEndpoint(remote);
  }

  // Firewalls, NAT, load balancers, DNS.
  const firewalls = new Map<string, Ordered<{ name: string; rules: FirewallEntry[] }>>();
  const nats: TenantDerived["nats"] = [];
  const loadBalancers: TenantDerived["loadBalancers"] = [];
  const dnsServices: { name: string; domain: string; networks: string[] }[] = [];
  const interfaceFacing = (workload: string, network: string): IfaceInfo | undefined => {
    const list = ifacesByWorkload.get(workload) ?? [];
    return list.find((iface) => iface.network === network) ?? list[0];
  };
  services.forEach((service, order) => {
    switch (service.type) {
      case "firewall": {
        const rules = service.rules.map((rule, ruleIndex) =>
          flowEntry(`firewall:${service.name}/${ruleIndex}`, rule),
        );
        firewalls.set(
          service.name,
          namedRules(prior?.firewalls.get(service.name), service.name, rules, order),
        );
        break;
      }
      case "nat": {
        const outsideIp = input.natAddresses[service.name];
        if (outsideIp === undefined) {
          problems.push({
            path: `services[${order}]`,
            message: `no outside address allocated for ${service.name}`,
          });
        }
        nats.push({
          ...hashed({
            ruleId: `nat:${service.name}`,
            insideNetworks: service.inside,
            insideCidrs: service.inside.flatMap((network) => subnetsOf.get(network) ?? []),
            outsideNetwork: service.outside,
            outsideIp: outsideIp ?? "",
          }),
          inside: service.inside.map((network) => indexOf(nets, network)),
          outside: indexOf(nets, service.outside),
        });
        break;
      }
      case "load-balancer": {
        const members: LoadBalancerConfig["members"] = [];
        for (const member of service.members) {
          const iface = interfaceFacing(member, service.network);
          if (iface !== undefined) {
            members.push({
              workload: member,
              ip: iface.local.value.ip,
              port: service.memberPort,
              node: iface.node,
            });
          }
        }
        loadBalancers.push({
          ...hashed({
            ruleId: `lb:${service.name}`,
            network: service.network,
            vip: service.vip,
            protocol: service.protocol,
            port: service.port,
            members,
          }),
          network: indexOf(nets, service.network),
        });
        break;
      }
      case "dns":
        dnsServices.push({
          name: service.name,
          domain: service.domain,
          networks: service.networks,
        });
        break;
      default:
        assertNever(service, "service");
    }
  });

  // Leaked routes: a router joins its networks; otherwise both lists need an allow rule that
  // can match some flow between the two networks.
  const mayAllowKey = netList.map((info) => info.key).join("\n");
  let mayAllow =
    prior?.mayAllowKey === mayAllowKey
      ? prior.mayAllow
      : computeMayAllow(
          netList,
          new Map(netList.map((info) => [info.name, aclOfNetwork(info.name)])),
          policyCache,
        );
  // The same reach from other inputs (a gateway, a rule that adds no pair): the previous map,
  // so that the routes need no rebuild.
  if (prior !== undefined && prior.mayAllow !== mayAllow && sameReach(prior.mayAllow, mayAllow)) {
    mayAllow = prior.mayAllow;
  }
  // Same policy reach, routers and network places as last time: the same routes.
  const sameRoutes =
    prior !== undefined &&
    prior.mayAllow === mayAllow &&
    sameNetSlots(prior.netList, netList) &&
    sameJson(prior.routerInput, routers);
  let routeCache = new Map<string, Map<string, RouteInfo>>();
  let routesFrom = new Map<string, RouteInfo[]>();
  let routesByIndex: RouteInfo[][] = [];
  if (sameRoutes) {
    routeCache = prior.routeCache;
    routesFrom = prior.routesFrom;
    routesByIndex = prior.routesByIndex;
  } else {
    const routerOf = new Map<string, Map<string, string>>();
    for (const router of routers) {
      for (const a of router.networks) {
        let joined = routerOf.get(a);
        if (joined === undefined) {
          joined = new Map();
          routerOf.set(a, joined);
        }
        for (const b of router.networks) {
          if (a !== b && !joined.has(b)) joined.set(b, router.name);
        }
      }
    }
    // Routes keep their objects while from, to, router and the target's index stay the same.
    for (let fromIndex = 0; fromIndex < netList.length; fromIndex++) {
      const from = netList[fromIndex];
      if (from === undefined) continue;
      const priorRoutes = prior?.routeCache.get(from.name);
      const cache = new Map<string, RouteInfo>();
      const joined = routerOf.get(from.name);
      const mayFrom = mayAllow.get(from.name);
      const list: RouteInfo[] = [];
      for (let toIndex = 0; toIndex < netList.length; toIndex++) {
        const to = netList[toIndex];
        if (to === undefined || from === to) continue;
        const router = joined?.get(to.name);
        const viaRouter = router === undefined ? undefined : `router:${router}`;
        if (
          viaRouter === undefined &&
          !(mayFrom?.has(to.name) && mayAllow.get(to.name)?.has(from.name))
        ) {
          continue;
        }
        let route = priorRoutes?.get(to.name);
        if (
          route === undefined ||
          route.toIndex !== to.order ||
          route.hashed.value.viaRouter !== viaRouter
        ) {
          const value: InterNetworkRoute =
            viaRouter === undefined
              ? { from: from.name, to: to.name, noMatch: "deny" }
              : { from: from.name, to: to.name, noMatch: "allow", viaRouter };
          route = { hashed: hashOnly(value), toIndex: to.order };
        }
        cache.set(to.name, route);
        list.push(route);
      }
      if (cache.size > 0) routeCache.set(from.name, cache);
      if (list.length > 0) routesFrom.set(from.name, list);
      routesByIndex.push(list);
    }
  }

  // DNS records: each asker network sees each workload at its address on that network, else at
  // its first address on a network the asker's network has a route to.
  const sharedByWorkload = reuseMapOfLists(prior?.ifacesByWorkload, ifacesByWorkload);
  const sharedRoutesFrom = reuseMapOfLists(prior?.routesFrom, routesFrom);
  let workloadNames: string[] = [];
  for (let i = 0; i < workloads.length; i++) workloadNames.push(workloads[i]?.name ?? "");
  if (prior !== undefined && sameStrings(prior.workloadNames, workloadNames)) {
    workloadNames = prior.workloadNames;
  }
  // A zone's records derive from the workloads' order, their interfaces and the askers' routes:
  // when all of those are the previous objects, so is the zone.
  const sameRecordInputs =
    prior !== undefined &&
    prior.workloadNames === workloadNames &&
    (prior.ifacesByWorkload === sharedByWorkload ||
      sameAddresses(prior.ifacesByWorkload, sharedByWorkload, workloadNames));
  const dnsZones: TenantDerived["dnsZones"] = [];
  for (let zoneIndex = 0; zoneIndex < dnsServices.length; zoneIndex++) {
    const dns = dnsServices[zoneIndex];
    if (dns === undefined) continue;
    const askers = dns.networks.map((network) => indexOf(nets, network));
    const before = prior?.dnsZones[zoneIndex];
    if (
      sameRecordInputs &&
      before !== undefined &&
      before.value.ruleId === `dns:${dns.name}` &&
      before.value.domain === dns.domain &&
      sameStrings(before.value.networks, dns.networks) &&
      sameItems(before.networks, askers) &&
      dns.networks.every((asker) => prior.routesFrom.get(asker) === sharedRoutesFrom.get(asker))
    ) {
      dnsZones.push(before);
      continue;
    }
    const records: DnsZone["records"] = [];
    for (const asker of dns.networks) {
      const routed = new Set((routesFrom.get(asker) ?? []).map((route) => route.hashed.value.to));
      for (const workload of workloads) {
        const list = ifacesByWorkload.get(workload.name) ?? [];
        const iface =
          list.find((candidate) => candidate.network === asker) ??
          list.find((candidate) => routed.has(candidate.network));
        if (iface !== undefined) {
          records.push({
            name: `${workload.name}.${dns.domain}`,
            network: asker,
            ip: iface.local.value.ip,
          });
        }
      }
    }
    dnsZones.push({
      ...hashed({ ruleId: `dns:${dns.name}`, domain: dns.domain, networks: dns.networks, records }),
      networks: askers,
    });
  }

  if (problems.length > 0) throw NetloomError.invalid(problems);
  hasher.prune();

  ifacesByNode.delete("");
  // Everything equal to the previous derivation is replaced by the previous object, so that an
  // update keeps alive only what its edit changed: what survives a young-generation collection
  // is what makes that collection slow.
  const sharedNets = reuseMap(prior?.nets, nets);
  const sharedNetList = reuseList(prior?.netList, netList);
  const sharedByNet = reuseMapOfLists(prior?.ifacesByNet, ifacesByNet);
  const sharedByNode = reuseMapOfLists(prior?.ifacesByNode, ifacesByNode);
  const ifacesByIndex =
    prior !== undefined &&
    prior.ifacesByNet === sharedByNet &&
    sameNetNames(prior.netList, sharedNetList)
      ? prior.ifacesByIndex
      : reuseList(
          prior?.ifacesByIndex,
          sharedNetList.map((info) => sharedByNet.get(info.name) ?? NO_IFACES),
        );
  let nodes: string[];
  if (prior !== undefined && prior.ifacesByNode === sharedByNode) {
    nodes = prior.nodes;
  } else {
    const sortedNodes = [...sharedByNode.keys()].sort();
    nodes =
      prior !== undefined && sameStrings(prior.nodes, sortedNodes) ? prior.nodes : sortedNodes;
  }
  let slotsByIndex: Int32Array[];
  if (prior !== undefined && prior.nodes === nodes && prior.ifacesByIndex === ifacesByIndex) {
    slotsByIndex = prior.slotsByIndex;
  } else {
    // Peers by the tenant's node slots: a node config marks slots, no set and no sort.
    const nodeSlot = new Map<string, number>();
    for (let slot = 0; slot < nodes.length; slot++) nodeSlot.set(nodes[slot] ?? "", slot);
    slotsByIndex = [];
    for (let index = 0; index < ifacesByIndex.length; index++) {
      const list = ifacesByIndex[index] ?? NO_IFACES;
      const slots = new Int32Array(list.length);
      for (let k = 0; k < list.length; k++) slots[k] = nodeSlot.get(list[k]?.node ?? "") ?? -1;
      const before = prior?.slotsByIndex[index];
      slotsByIndex.push(before !== undefined && sameSlots(before, slots) ? before : slots);
    }
    slotsByIndex = reuseList(prior?.slotsByIndex, slotsByIndex);
  }
  const peerList =
    prior !== undefined && prior.underlays === underlays && prior.nodes === nodes
      ? prior.peerList
      : peersOf(nodes, underlays);
  const sharedGroups = reuseMap(prior?.groups, groups);
  const sharedFirewalls = reuseMap(prior?.firewalls, firewalls);
  let sharedRouteCache = routeCache;
  let sharedRoutesByIndex = routesByIndex;
  if (!sameRoutes) {
    sharedRouteCache = new Map();
    routeCache.forEach((cache, from) => {
      sharedRouteCache.set(from, reuseMap(prior?.routeCache.get(from), cache));
    });
    sharedRouteCache = reuseMap(prior?.routeCache, sharedRouteCache);
    sharedRoutesByIndex = reuseList(
      prior?.routesByIndex,
      routesByIndex.map((list, index) => reuseList(prior?.routesByIndex[index], list)),
    );
  }
  return {
    id: input.id,
    name: intent.tenant,
    key: tenantKeyOf(input.id),
    nets: sharedNets,
    netList: sharedNetList,
    ifacesByNet: sharedByNet,
    ifacesByNode: sharedByNode,
    memo: hasher.memo,
    memoGeneration: hasher.generation,
    ifacesByWorkload: sharedByWorkload,
    workloadNames,
    routerInput: sameRoutes ? prior.routerInput : routers,
    workloadInput: sameInterfaces ? prior.workloadInput : workloads,
    poolInput: sameInterfaces ? prior.poolInput : floatingIpPools,
    groupMembers,
    subnetsOf: reuseMapOfLists(prior?.subnetsOf, subnetsOf),
    policyCache: reuseMap(prior?.policyCache, policyCache),
    netCache: reuseMap(prior?.netCache, netCache),
    mayAllowKey: prior?.mayAllowKey === mayAllowKey ? prior.mayAllowKey : mayAllowKey,
    mayAllow,
    routeCache: sharedRouteCache,
    routesFrom: sharedRoutesFrom,
    routesByIndex: sharedRoutesByIndex,
    groupList:
      prior !== undefined && prior.groups === sharedGroups
        ? prior.groupList
        : reuseList(prior?.groupList, byOrder(sharedGroups)),
    firewallList:
      prior !== undefined && prior.firewalls === sharedFirewalls
        ? prior.firewallList
        : reuseList(prior?.firewallList, byOrder(sharedFirewalls)),
    ifacesByIndex,
    groups: sharedGroups,
    firewalls: sharedFirewalls,
    nats: reuseList(prior?.nats, reuseEach(prior?.nats, nats, sameNat)),
    loadBalancers: reuseList(
      prior?.loadBalancers,
      reuseEach(prior?.loadBalancers, loadBalancers, sameBalancer),
    ),
    dnsZones: reuseList(prior?.dnsZones, reuseEach(prior?.dnsZones, dnsZones, sameZone)),
    nodes,
    slotsByIndex,
    peerList,
    underlays,
  };
}

const NO_IFACES: IfaceInfo[] = [];
const NO_ROUTES: RouteInfo[] = [];
/** An interface without groups (shared and frozen: pieces only read their groups). */
const NO_GROUPS = Object.freeze([]) as unknown as string[];

function sameCidrs(cidrs: readonly string[], subnets: readonly { cidr: string }[]): boolean {
  if (cidrs.length !== subnets.length) return false;
  for (let i = 0; i < cidrs.length; i++) if (cidrs[i] !== subnets[i]?.cidr) return false;
  return true;
}

/** Whether each workload has the same interfaces' networks and addresses in both maps. */
function sameAddresses(
  before: ReadonlyMap<string, IfaceInfo[]>,
  after: ReadonlyMap<string, IfaceInfo[]>,
  workloads: readonly string[],
): boolean {
  for (let w = 0; w < workloads.length; w++) {
    const name = workloads[w] ?? "";
    const x = before.get(name);
    const y = after.get(name);
    if (x === y) continue;
    if (x === undefined || y === undefined || x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) {
      const a = x[i];
      const b = y[i];
      if (a === undefined || b === undefined) return false;
      if (a.network !== b.network || a.local.value.ip !== b.local.value.ip) return false;
    }
  }
  return true;
}

/** Equal reach maps: the same networks, each with the same set. */
function sameReach(
  a: ReadonlyMap<string, Set<string>>,
  b: ReadonlyMap<string, Set<string>>,
): boolean {
  if (a.size !== b.size) return false;
  let same = true;
  b.forEach((reach, name) => {
    if (!same) return;
    const other = a.get(name);
    if (other === undefined || other.size !== reach.size) {
      same = false;
      return;
    }
    reach.forEach((target) => {
      if (!other.has(target)) same = false;
    });
  });
  return same;
}

/** The same network names in the same order. */
function sameNetNames(before: readonly NetInfo[], after: readonly NetInfo[]): boolean {
  if (before.length !== after.length) return false;
  for (let i = 0; i < before.length; i++) if (before[i]?.name !== after[i]?.name) return false;
  return true;
}

/** The same networks at the same places with the same subnets (what interfaces derive from). */
function sameNetSlots(before: readonly NetInfo[], after: readonly NetInfo[]): boolean {
  if (before.length !== after.length) return false;
  for (let i = 0; i < before.length; i++) {
    const x = before[i];
    const y = after[i];
    if (x === undefined || y === undefined) return false;
    if (x.name !== y.name || x.subnetsKey !== y.subnetsKey || x.order !== y.order) return false;
  }
  return true;
}

/** The same elements (by identity) in the same order. */
function sameItems<T>(a: readonly T[], b: readonly T[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** `previous` when it holds the same elements as `list`, else `list`. */
function reuseList<T>(previous: T[] | undefined, list: T[]): T[] {
  return previous !== undefined && previous !== list && sameItems(previous, list) ? previous : list;
}

/**
 * `previous` when it maps the same keys to the same values as `map` (insertion order may
 * differ: every map kept here is read by key, or its values are sorted or order-carrying).
 */
function reuseMap<K, V>(previous: Map<K, V> | undefined, map: Map<K, V>): Map<K, V> {
  if (previous === undefined || previous === map || previous.size !== map.size) return map;
  let same = true;
  map.forEach((value, key) => {
    if (same && previous.get(key) !== value) same = false;
  });
  return same ? previous : map;
}

/** Like reuseMap, each list first replaced by the previous one when its elements are the same. */
function reuseMapOfLists<K, V>(previous: Map<K, V[]> | undefined, map: Map<K, V[]>): Map<K, V[]> {
  if (previous === undefined) return map;
  map.forEach((list, key) => {
    const before = previous.get(key);
    if (before !== undefined && before !== list && sameItems(before, list)) map.set(key, before);
  });
  return reuseMap(previous, map);
}

/** Each element replaced by the previous list's element at its index when `same` says equal. */
function reuseEach<T>(
  previous: readonly T[] | undefined,
  list: T[],
  same: (a: T, b: T) => boolean,
): T[] {
  if (previous === undefined) return list;
  for (let i = 0; i < list.length; i++) {
    const before = previous[i];
    const now = list[i];
    if (before !== undefined && now !== undefined && before !== now && same(before, now)) {
      list[i] = before;
    }
  }
  return list;
}

function sameNat(a: TenantDerived["nats"][number], b: TenantDerived["nats"][number]): boolean {
  return a.value === b.value && a.outside === b.outside && sameItems(a.inside, b.inside);
}

function sameBalancer(
  a: TenantDerived["loadBalancers"][number],
  b: TenantDerived["loadBalancers"][number],
): boolean {
  return a.value === b.value && a.network === b.network;
}

function sameZone(
  a: TenantDerived["dnsZones"][number],
  b: TenantDerived["dnsZones"][number],
): boolean {
  return a.value === b.value && sameItems(a.networks, b.networks);
}

function sameSlots(a: Int32Array, b: Int32Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** For each network: the networks its list has an allow rule for (in some orientation). */
function computeMayAllow(
  netList: readonly NetInfo[],
  aclOf: ReadonlyMap<string, PolicyAclEntry[]>,
  policies: ReadonlyMap<string, { compiled: PolicyEntries }>,
): Map<string, Set<string>> {
  const entrySets = new Map<PolicyAclEntry, { sources: IntervalSet; destinations: IntervalSet }>();
  for (const { compiled } of policies.values()) {
    compiled.entries.forEach((entry, index) => {
      const sets = compiled.sets[index];
      if (sets !== undefined) entrySets.set(entry, sets);
    });
  }
  const mayAllow = new Map<string, Set<string>>();
  for (const info of netList) {
    const reachable = new Set<string>();
    // The new entries: a memoized instance may hold equal entries of the previous compile.
    for (const entry of aclOf.get(info.name) ?? []) {
      if (entry.action !== "allow") continue;
      const sets = entrySets.get(entry);
      if (sets === undefined) continue;
      const fromHere = setsOverlap(sets.sources, info.set);
      const toHere = setsOverlap(sets.destinations, info.set);
      if (!fromHere && !toHere) continue;
      for (const other of netList) {
        if (other === info || reachable.has(other.name)) continue;
        if (
          (fromHere && setsOverlap(sets.destinations, other.set)) ||
          (toHere && setsOverlap(sets.sources, other.set))
        ) {
          reachable.add(other.name);
        }
      }
    }
    mayAllow.set(info.name, reachable);
  }
  return mayAllow;
}

/**
 * Whether two JSON-like values (plain objects, arrays, strings, numbers, booleans) are equal,
 * walking both without serializing them. Key order is ignored: nothing derived depends on it.
 */
export function sameJson(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  if (Array.isArray(a)) {
    if (!Array.isArray(b) || a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (!sameJson(a[i], b[i])) return false;
    return true;
  }
  if (Array.isArray(b)) return false;
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  let keys = 0;
  for (const key in x) {
    if (!Object.hasOwn(y, key) || !sameJson(x[key], y[key])) return false;
    keys++;
  }
  for (const key in y) if (Object.hasOwn(y, key)) keys--;
  return keys === 0;
}

/** Equal network instances, their policy entries compared by identity. */
function sameInstance(a: NetworkInstance, b: NetworkInstance): boolean {
  if (a.name !== b.name || a.vni !== b.vni || a.external !== b.external) return false;
  if (a.acl.length !== b.acl.length || !sameJson(a.subnets, b.subnets)) return false;
  for (let i = 0; i < a.acl.length; i++) if (a.acl[i] !== b.acl[i]) return false;
  return true;
}

/** The interface of the given index in a workload's list. */
function ifaceAt(list: readonly IfaceInfo[], index: number): IfaceInfo | undefined {
  for (const iface of list) if (iface.index === index) return iface;
  return undefined;
}

function sameStrings(a: readonly string[], b: readonly string[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function push<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key);
  if (list === undefined) map.set(key, [value]);
  else list.push(value);
}

/** The peer entry of each node, per fabric: one shared object per node. */
const peerEntryCache = new WeakMap<
  ReadonlyMap<string, string>,
  Map<string, { node: string; underlay: string }>
>();

function peerEntriesOf(
  underlays: ReadonlyMap<string, string>,
): Map<string, { node: string; underlay: string }> {
  let entries = peerEntryCache.get(underlays);
  if (entries === undefined) {
    entries = new Map();
    peerEntryCache.set(underlays, entries);
  }
  return entries;
}

/** Hash of each peer entry, per fabric (the underlay map is replaced when the fabric changes). */
const peerHashCache = new WeakMap<ReadonlyMap<string, string>, Map<string, [number, number]>>();

function peerHashesOf(underlays: ReadonlyMap<string, string>): Map<string, [number, number]> {
  let hashes = peerHashCache.get(underlays);
  if (hashes === undefined) {
    hashes = new Map();
    peerHashCache.set(underlays, hashes);
  }
  return hashes;
}

/**
 * Builds a list that equals the previous config's list when every element is the same object in
 * the same place (pieces are memoized, so unchanged means identical): then the previous array
 * itself is kept and nothing is allocated. A full compile (no previous list) just pushes.
 */
class ListReuse<T> {
  private built: T[] | undefined;
  private count = 0;
  private previous: readonly T[] | undefined;

  /** Starts a new list (one instance serves every list in turn: no allocation per list). */
  start(previous: readonly T[] | undefined): void {
    this.previous = previous;
    this.count = 0;
    this.built = previous === undefined ? [] : undefined;
  }

  add(value: T): void {
    if (this.built === undefined) {
      if (this.previous?.[this.count] === value) {
        this.count++;
        return;
      }
      this.built = this.previous?.slice(0, this.count) ?? [];
    }
    this.built.push(value);
    this.count++;
  }

  result(): T[] {
    const built = this.built;
    const previous = this.previous ?? [];
    this.built = undefined;
    this.previous = undefined;
    if (built !== undefined) return built;
    return previous.length === this.count ? (previous as T[]) : previous.slice(0, this.count);
  }
}

/** The one list builder of tenantConfigFor (never reentered: each list ends before the next). */
const lists = new ListReuse<unknown>();

/** `lists`, typed for one list's element type. */
function listOf<T>(previous: readonly T[] | undefined): ListReuse<T> {
  lists.start(previous);
  return lists as ListReuse<T>;
}

/** Scratch for tenantConfigFor: per network, 1 local, 2 reached, 0 neither (never escapes). */
let presence = new Uint8Array(64);

/**
 * The TenantConfig of one node (undefined when the tenant has nothing there); its hash is left
 * in `configHash`.
 * `previous` (the node's config of the tenant before an update) lends its lists where they come
 * out equal, so an update allocates only what changed on the node.
 */
export function tenantConfigFor(
  derived: TenantDerived,
  node: string,
  previous: TenantConfig | undefined,
): TenantConfig | undefined {
  const local = derived.ifacesByNode.get(node);
  if (local === undefined || local.length === 0) return undefined;
  const fold = configFold.reset();
  fold.text(derived.id);
  fold.text(derived.name);
  fold.text(derived.key);

  const netCount = derived.netList.length;
  if (presence.length < netCount) presence = new Uint8Array(netCount * 2);
  const present = presence;
  present.fill(0, 0, netCount);
  const localCount = local.length;
  for (let i = 0; i < localCount; i++) {
    const netIndex = local[i]?.netIndex ?? -1;
    if (netIndex >= 0) present[netIndex] = 1;
  }
  const routeList = listOf(previous?.routes);
  fold.word(1);
  for (let from = 0; from < netCount; from++) {
    if (present[from] !== 1) continue;
    const fromRoutes = derived.routesByIndex[from] ?? NO_ROUTES;
    for (let r = 0; r < fromRoutes.length; r++) {
      const route = fromRoutes[r];
      if (route === undefined) continue;
      if (route.toIndex >= 0 && present[route.toIndex] === 0) present[route.toIndex] = 2;
      routeList.add(route.hashed.value);
      fold.pair(route.hashed.high, route.hashed.low);
    }
  }
  const routes = routeList.result();
  const floatingIpList = listOf(previous?.floatingIps);
  fold.word(2);
  for (let i = 0; i < localCount; i++) {
    const iface = local[i];
    if (iface === undefined) continue;
    const floating = iface.floating;
    if (floating === undefined) continue;
    floatingIpList.add(floating.value);
    fold.pair(floating.high, floating.low);
    const external = derived.nets.get(floating.value.externalNetwork)?.order ?? -1;
    if (external >= 0 && present[external] === 0) present[external] = 2;
  }
  const floatingIps = floatingIpList.result();
  const sourceNatList = listOf(previous?.sourceNats);
  fold.word(3);
  for (let i = 0; i < derived.nats.length; i++) {
    const nat = derived.nats[i];
    if (nat === undefined) continue;
    if (!anyLocal(present, nat.inside)) continue;
    sourceNatList.add(nat.value);
    fold.pair(nat.high, nat.low);
    if (nat.outside >= 0 && present[nat.outside] === 0) present[nat.outside] = 2;
  }

  const sourceNats = sourceNatList.result();
  const networkList = listOf(previous?.networks);
  let chained = false;
  fold.word(4);
  for (let index = 0; index < netCount; index++) {
    if (present[index] === 0) continue;
    const info = derived.netList[index];
    if (info === undefined) continue;
    networkList.add(info.instance.value);
    fold.pair(info.instance.high, info.instance.low);
    if (info.services.size > 0) chained = true;
  }
  const networks = networkList.result();
  const localInterfaceList = listOf(previous?.localInterfaces);
  fold.word(5);
  for (let i = 0; i < localCount; i++) {
    const iface = local[i];
    if (iface === undefined) continue;
    localInterfaceList.add(iface.local.value);
    fold.pair(iface.local.high, iface.local.low);
  }
  const localInterfaces = localInterfaceList.result();
  const remoteEndpoints = listOf(previous?.remoteEndpoints);
  const slotCount = derived.nodes.length;
  if (peerSeen.length < slotCount) peerSeen = new Uint8Array(slotCount * 2);
  const seen = peerSeen;
  seen.fill(0, 0, slotCount);
  fold.word(6);
  for (let index = 0; index < netCount; index++) {
    if (present[index] === 0) continue;
    const ifaces = derived.ifacesByIndex[index] ?? [];
    const slots = derived.slotsByIndex[index];
    for (let k = 0; k < ifaces.length; k++) {
      const iface = ifaces[k];
      if (iface === undefined || iface.node === node) continue;
      remoteEndpoints.add(iface.remote.value);
      fold.pair(iface.remote.high, iface.remote.low);
      const slot = slots?.[k] ?? -1;
      if (slot >= 0) seen[slot] = 1;
    }
  }
  const remotes = remoteEndpoints.result();
  // The peers are the remote endpoints' nodes, in node order.
  let peers = previous?.peers;
  if (previous === undefined || remotes !== previous.remoteEndpoints) {
    const list = listOf(previous?.peers);
    for (let slot = 0; slot < slotCount; slot++) {
      const peer = derived.peerList[slot];
      if (seen[slot] === 1 && peer !== undefined) list.add(peer.value);
    }
    peers = list.result();
  }
  fold.word(7);
  for (let slot = 0; slot < slotCount; slot++) {
    const peer = derived.peerList[slot];
    if (seen[slot] === 1 && peer !== undefined) fold.pair(peer.high, peer.low);
  }

  const groupList = listOf(previous?.securityGroups);
  fold.word(8);
  for (let i = 0; i < derived.groupList.length; i++) {
    const group = derived.groupList[i];
    if (group === undefined) continue;
    if (!usesGroup(local, group.value.name)) continue;
    groupList.add(group.value);
    fold.pair(group.high, group.low);
  }
  const securityGroups = groupList.result();
  const firewallList = listOf(previous?.firewalls);
  fold.word(9);
  if (chained) {
    for (let i = 0; i < derived.firewallList.length; i++) {
      const firewall = derived.firewallList[i];
      if (firewall === undefined) continue;
      if (!chainedHere(derived, present, firewall.value.name)) continue;
      firewallList.add(firewall.value);
      fold.pair(firewall.high, firewall.low);
    }
  }

  const firewalls = firewallList.result();
  const balancerList = listOf(previous?.loadBalancers);
  fold.word(10);
  for (let i = 0; i < derived.loadBalancers.length; i++) {
    const balancer = derived.loadBalancers[i];
    if (balancer === undefined) continue;
    if (balancer.network < 0 || present[balancer.network] === 0) continue;
    balancerList.add(balancer.value);
    fold.pair(balancer.high, balancer.low);
  }
  const loadBalancers = balancerList.result();
  const zoneList = listOf(previous?.dnsZones);
  fold.word(11);
  for (let i = 0; i < derived.dnsZones.length; i++) {
    const zone = derived.dnsZones[i];
    if (zone === undefined) continue;
    if (!anyLocal(present, zone.networks)) continue;
    zoneList.add(zone.value);
    fold.pair(zone.high, zone.low);
  }

  const dnsZones = zoneList.result();
  configHash[0] = fold.high;
  configHash[1] = fold.low;
  // Nothing changed on this node: the previous config itself, nothing allocated.
  if (
    previous !== undefined &&
    previous.tenantId === derived.id &&
    previous.tenant === derived.name &&
    previous.tenantKey === derived.key &&
    previous.networks === networks &&
    previous.localInterfaces === localInterfaces &&
    previous.remoteEndpoints === remotes &&
    previous.peers === peers &&
    previous.routes === routes &&
    previous.securityGroups === securityGroups &&
    previous.firewalls === firewalls &&
    previous.floatingIps === floatingIps &&
    previous.sourceNats === sourceNats &&
    previous.loadBalancers === loadBalancers &&
    previous.dnsZones === dnsZones
  ) {
    return previous;
  }
  const config: TenantConfig = {
    tenantId: derived.id,
    tenant: derived.name,
    tenantKey: derived.key,
    networks,
    localInterfaces,
    remoteEndpoints: remotes,
    peers: peers ?? [],
    routes,
    securityGroups,
    firewalls,
    floatingIps,
    sourceNats,
    loadBalancers,
    dnsZones,
  };
  return config;
}

/** The fold of tenantConfigFor (one at a time: it never reenters). */
const configFold = new HashFold();

/**
 * The hash of the config tenantConfigFor returned last, as two 32-bit halves (read it before
 * the next call): the caller compares numbers and makes the hex text only for a changed config.
 */
export const configHash = new Uint32Array(2);

/** Whether one of the networks (by index) is local (marked 1 in `present`). */
function anyLocal(present: Uint8Array, networks: readonly number[]): boolean {
  for (let i = 0; i < networks.length; i++) if (present[networks[i] ?? -1] === 1) return true;
  return false;
}

/** Whether one of the interfaces is a member of the group. */
function usesGroup(ifaces: readonly IfaceInfo[], group: string): boolean {
  for (let i = 0; i < ifaces.length; i++) {
    if (ifaces[i]?.local.value.securityGroups.includes(group)) return true;
  }
  return false;
}

/** Whether a present network's policy list chains the service (marks in `present`). */
function chainedHere(derived: TenantDerived, present: Uint8Array, service: string): boolean {
  const count = derived.netList.length;
  for (let index = 0; index < count; index++) {
    if (present[index] === 0) continue;
    if (derived.netList[index]?.services.has(service)) return true;
  }
  return false;
}

/** Scratch for tenantConfigFor: which node slots hold a remote endpoint (never escapes). */
let peerSeen = new Uint8Array(64);

/** Each node's shared peer entry and its hash, for a fabric. */
function peersOf(
  nodes: readonly string[],
  underlays: ReadonlyMap<string, string>,
): Hashed<{ node: string; underlay: string }>[] {
  const peerEntries = peerEntriesOf(underlays);
  const peerHashes = peerHashesOf(underlays);
  return nodes.map((peer) => {
    let entry = peerEntries.get(peer);
    if (entry === undefined) {
      entry = { node: peer, underlay: underlays.get(peer) ?? "" };
      peerEntries.set(peer, entry);
    }
    let hash = peerHashes.get(peer);
    if (hash === undefined) {
      hash = fnv1a64Pair(`${peer}\u0000${entry.underlay}`);
      peerHashes.set(peer, hash);
    }
    return { value: entry, high: hash[0], low: hash[1] };
  });
}

/** What changed between two derivations of one tenant, for the incremental compiler. */
export interface ChangeScope {
  /** Something every node of the tenant sees changed (network list, services, names). */
  all: boolean;
  /** Networks whose instance, interfaces or routes changed. */
  networks: Set<string>;
  /** Security groups whose resolved rules changed. */
  groups: Set<string>;
  /** Nodes whose local interfaces (or their floating IPs) changed. */
  nodes: Set<string>;
  /** Firewalls (by name), load balancers and DNS zones (by rule id) whose content changed. */
  services: Set<string>;
}

/** Whether the networks both lists have appear in the same order in each. */
function sameRelativeOrder(before: readonly NetInfo[], after: readonly NetInfo[]): boolean {
  if (before === after) return true;
  const kept = new Set(after.map((info) => info.name));
  const common = before.filter((info) => kept.has(info.name)).map((info) => info.name);
  const present = new Set(common);
  const order = after.filter((info) => present.has(info.name)).map((info) => info.name);
  return common.every((name, index) => order[index] === name);
}

/** What decides which nodes hold a firewall, load balancer or zone, and in what order. */
function sameServiceShape(before: TenantDerived, after: TenantDerived): boolean {
  if (
    before.firewalls === after.firewalls &&
    before.loadBalancers === after.loadBalancers &&
    before.dnsZones === after.dnsZones
  ) {
    return true;
  }
  return serviceShape(before) === serviceShape(after);
}

function serviceShape(derived: TenantDerived): string {
  return JSON.stringify([
    [...derived.firewalls].map(([name, firewall]) => [name, firewall.order]),
    derived.loadBalancers.map((balancer) => [balancer.value.ruleId, balancer.value.network]),
    derived.dnsZones.map((zone) => [zone.value.ruleId, zone.value.networks]),
  ]);
}

function sameValues<T>(
  a: readonly Hashed<T>[] | undefined,
  b: readonly Hashed<T>[] | undefined,
): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]?.value !== b[i]?.value) return false;
  return true;
}

function sameRoutes(
  a: readonly RouteInfo[] | undefined,
  b: readonly RouteInfo[] | undefined,
): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i]?.hashed.value !== b[i]?.hashed.value) return false;
  return true;
}

function sameIfaces(
  a: readonly IfaceInfo[] | undefined,
  b: readonly IfaceInfo[] | undefined,
  pick: (iface: IfaceInfo) => unknown,
): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined || pick(x) !== pick(y)) return false;
    if (x.floating?.value !== y.floating?.value) return false;
  }
  return true;
}

function localOf(iface: IfaceInfo): LocalInterface {
  return iface.local.value;
}

function remoteOf(iface: IfaceInfo): RemoteEndpoint {
  return iface.remote.value;
}

/** Compares two derivations piece by piece (pieces are memoized, so equal means identical). */
export function changeScope(before: TenantDerived, after: TenantDerived): ChangeScope {
  const scope: ChangeScope = {
    all: false,
    networks: new Set(),
    groups: new Set(),
    nodes: new Set(),
    services: new Set(),
  };
  if (
    before.id !== after.id ||
    before.name !== after.name ||
    !sameRelativeOrder(before.netList, after.netList) ||
    !sameValues(before.nats, after.nats) ||
    !sameServiceShape(before, after)
  ) {
    scope.all = true;
    return scope;
  }
  if (after.firewalls !== before.firewalls) {
    after.firewalls.forEach((firewall, name) => {
      if (before.firewalls.get(name)?.value !== firewall.value) scope.services.add(name);
    });
  }
  after.loadBalancers.forEach((balancer, index) => {
    if (before.loadBalancers[index]?.value !== balancer.value)
      scope.services.add(balancer.value.ruleId);
  });
  after.dnsZones.forEach((zone, index) => {
    if (before.dnsZones[index]?.value !== zone.value) scope.services.add(zone.value.ruleId);
  });
  // Added and removed networks: nodes that held one (or now reach one) see the change.
  for (const info of before.netList) if (!after.nets.has(info.name)) scope.networks.add(info.name);
  for (const info of after.netList) {
    const old = before.nets.get(info.name);
    if (
      old === undefined ||
      old.instance.value !== info.instance.value ||
      !sameIfaces(before.ifacesByNet.get(info.name), after.ifacesByNet.get(info.name), remoteOf) ||
      !sameRoutes(before.routesFrom.get(info.name), after.routesFrom.get(info.name))
    ) {
      scope.networks.add(info.name);
    }
  }
  if (after.groups !== before.groups) {
    after.groups.forEach((group, name) => {
      const old = before.groups.get(name);
      if (old?.value !== group.value || old.order !== group.order) scope.groups.add(name);
    });
    before.groups.forEach((_group, name) => {
      if (!after.groups.has(name)) scope.groups.add(name);
    });
  }
  // Maps shared with the previous derivation hold the same lists: nothing to compare.
  if (after.ifacesByNode !== before.ifacesByNode) {
    after.ifacesByNode.forEach((ifaces, node) => {
      if (!sameIfaces(before.ifacesByNode.get(node), ifaces, localOf)) scope.nodes.add(node);
    });
    before.ifacesByNode.forEach((_ifaces, node) => {
      if (!after.ifacesByNode.has(node)) scope.nodes.add(node);
    });
  }
  return scope;
}

/** Whether a node's previous config of the tenant may change under `scope`. */
export function nodeAffected(
  scope: ChangeScope,
  node: string,
  previous: TenantConfig | undefined,
): boolean {
  if (scope.all || previous === undefined || scope.nodes.has(node)) return true;
  if (anyNamed(previous.networks, scope.networks)) return true;
  if (anyNamed(previous.securityGroups, scope.groups)) return true;
  if (scope.services.size === 0) return false;
  if (anyNamed(previous.firewalls, scope.services)) return true;
  if (anyRuleId(previous.loadBalancers, scope.services)) return true;
  if (anyRuleId(previous.dnsZones, scope.services)) return true;
  return false;
}

function anyNamed(list: readonly { name: string }[], names: ReadonlySet<string>): boolean {
  for (let i = 0; i < list.length; i++) if (names.has(list[i]?.name ?? "")) return true;
  return false;
}

function anyRuleId(list: readonly { ruleId: string }[], ids: ReadonlySet<string>): boolean {
  for (let i = 0; i < list.length; i++) if (ids.has(list[i]?.ruleId ?? "")) return true;
  return false;
}
