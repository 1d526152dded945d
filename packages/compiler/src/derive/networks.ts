import {
  assertNever,
  type FabricExternalNetworkSpec,
  type IntentFile,
  type Network as NetworkSpec,
  type Policy,
  type Ports,
  type Problem,
  type Protocol,
  parseEndpoint,
  type Verdict,
} from "@netloom/model";
import type { FirewallEntry, NetworkInstance, PolicyAclEntry, TenantInput } from "../config";
import { defaultGatewayOf, intervalSetOf, portRanges } from "../ipv4";
import { ANY, type Hasher, type NetInfo, type PolicyEntries, type TenantDerived } from "./pieces";
import { sameCidrs, sameInstance, sameItems, sameJson, sameStrings } from "./reuse";

/*
 * Stage 1 of a tenant's derivation: what each network name stands for (its subnets), each
 * policy's compiled entries, and each network's forwarding instance with its ordered policy list.
 */

/**
 * The tenant's networks plus each fabric external network (spec section 1.1) it uses by name
 * (a floating IP pool's `network`, a nat service's `outside`) without declaring it and may use
 * (the network lists no `tenants`, or this tenant): as external networks, after its own.
 */
export function networksWithFabricExternals(
  intent: IntentFile,
  externals: readonly FabricExternalNetworkSpec[],
): NetworkSpec[] {
  const own = intent.networks ?? [];
  if (externals.length === 0) return own;
  const declared = new Set(own.map((network) => network.name));
  const named = new Set<string>();
  for (const pool of intent.floatingIpPools ?? []) named.add(pool.network);
  for (const service of intent.services ?? [])
    if (service.type === "nat") named.add(service.outside);
  const added = externals.filter(
    (external) =>
      named.has(external.name) &&
      !declared.has(external.name) &&
      (external.tenants === undefined || external.tenants.includes(intent.tenant)),
  );
  if (added.length === 0) return own;
  return [
    ...own,
    ...added.map((external) => ({
      name: external.name,
      external: true,
      subnets: external.subnets,
    })),
  ];
}

/** Each network's subnet CIDRs by name; a network naming the same CIDRs keeps its list. */
export function deriveSubnets(
  networks: readonly NetworkSpec[],
  prior: TenantDerived | undefined,
): Map<string, string[]> {
  const subnetsOf = new Map<string, string[]>();
  for (let i = 0; i < networks.length; i++) {
    const network = networks[i];
    if (network === undefined) continue;
    const before = prior?.subnetsOf.get(network.name);
    subnetsOf.set(
      network.name,
      before !== undefined && sameCidrs(before, network.subnets)
        ? before
        : network.subnets.map((subnet) => subnet.cidr),
    );
  }
  return subnetsOf;
}

/** A rule endpoint (network name, CIDR, `any`) as CIDRs; unknown names match nothing. */
export function resolveEndpoint(
  subnetsOf: ReadonlyMap<string, string[]>,
  endpoint: string,
): string[] {
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
}

/** A policy or firewall rule's entry (a policy entry adds direction and services). */
export function flowEntry(
  subnetsOf: ReadonlyMap<string, string[]>,
  ruleId: string,
  rule: {
    action: Verdict;
    protocol?: Protocol;
    source: string;
    destination: string;
    ports?: Ports;
  },
): FirewallEntry {
  return {
    ruleId,
    action: rule.action,
    protocol: rule.protocol ?? "any",
    sources: resolveEndpoint(subnetsOf, rule.source),
    destinations: resolveEndpoint(subnetsOf, rule.destination),
    ports: portRanges(rule.ports),
  };
}

/** Every policy compiled, and per network the compiled policies attached to it, in order. */
export interface PolicyStage {
  policyCache: Map<string, { input: Policy; compiled: PolicyEntries }>;
  /** Per network, its policies' compiled versions in file order. */
  aclParts: Map<string, PolicyEntries[]>;
  /** The same as serials: a network instance's cache key. */
  aclSerials: Map<string, number[]>;
  nextSerial: number;
}

/** Whether every name the policy's rules use stands for the same subnets as last time. */
function sameSubnetsNamed(
  policy: Policy,
  subnetsOf: ReadonlyMap<string, string[]>,
  prior: TenantDerived | undefined,
): boolean {
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
}

function compilePolicy(
  policy: Policy,
  subnetsOf: ReadonlyMap<string, string[]>,
  serial: number,
): PolicyEntries {
  const entries = policy.rules.map(
    (rule, ruleIndex): PolicyAclEntry => ({
      ...flowEntry(subnetsOf, `policy:${policy.name}/${ruleIndex}`, rule),
      bidirectional: (rule.direction ?? "<>") === "<>",
      services: rule.services ?? [],
    }),
  );
  return {
    serial,
    entries,
    sets: entries.map((entry) => ({
      sources: intervalSetOf(entry.sources),
      destinations: intervalSetOf(entry.destinations),
    })),
  };
}

/**
 * Compiles the policies; a policy whose input and named subnets are unchanged keeps its compiled
 * entries (and record) from the previous derivation.
 */
export function derivePolicies(
  policies: readonly Policy[],
  networks: readonly NetworkSpec[],
  subnetsOf: ReadonlyMap<string, string[]>,
  prior: TenantDerived | undefined,
): PolicyStage {
  let nextSerial = prior?.nextSerial ?? 0;
  const policyCache = new Map<string, { input: Policy; compiled: PolicyEntries }>();
  const aclParts = new Map<string, PolicyEntries[]>();
  const aclSerials = new Map<string, number[]>();
  for (let i = 0; i < networks.length; i++) {
    const name = networks[i]?.name ?? "";
    aclParts.set(name, NO_PARTS);
    aclSerials.set(name, NO_SERIALS);
  }
  for (let policyIndex = 0; policyIndex < policies.length; policyIndex++) {
    const policy = policies[policyIndex];
    if (policy === undefined) continue;
    const known = policyCache.get(policy.name) ?? prior?.policyCache.get(policy.name);
    let compiled =
      known !== undefined &&
      sameJson(known.input, policy) &&
      sameSubnetsNamed(policy, subnetsOf, prior)
        ? known.compiled
        : undefined;
    compiled ??= compilePolicy(policy, subnetsOf, nextSerial++);
    // An equal input (sameJson) keeps the previous record, so the cache map can stay shared.
    policyCache.set(
      policy.name,
      known !== undefined && known.compiled === compiled ? known : { input: policy, compiled },
    );
    for (let i = 0; i < policy.attach.length; i++) {
      const attached = policy.attach[i] ?? "";
      const parts = aclParts.get(attached);
      const serials = aclSerials.get(attached);
      if (parts === undefined || serials === undefined) continue;
      // The first policy of a network replaces the shared empty lists with lists of one.
      if (parts === NO_PARTS) aclParts.set(attached, [compiled]);
      else parts.push(compiled);
      if (serials === NO_SERIALS) aclSerials.set(attached, [compiled.serial]);
      else serials.push(compiled.serial);
    }
  }
  return { policyCache, aclParts, aclSerials, nextSerial };
}

/*
 * A network without policies shares these (never written: the first policy attached replaces
 * them). An empty list per network, grown by its first push to room for 17, was ~4 KB of every
 * update that recompiled the policy stage.
 */
const NO_PARTS = Object.freeze([]) as unknown as PolicyEntries[];
const NO_SERIALS = Object.freeze([]) as unknown as number[];

/** A network's ordered policy list: its policies' entries, concatenated. */
export function aclOfNetwork(stage: PolicyStage, name: string): PolicyAclEntry[] {
  const acl: PolicyAclEntry[] = [];
  const parts = stage.aclParts.get(name) ?? NO_PARTS;
  for (let i = 0; i < parts.length; i++) {
    const entries = parts[i]?.entries ?? [];
    for (let k = 0; k < entries.length; k++) {
      const entry = entries[k];
      if (entry !== undefined) acl.push(entry);
    }
  }
  return acl;
}

export interface NetworkStage {
  nets: Map<string, NetInfo>;
  netList: NetInfo[];
  /** By each network's cache key (place, name, VNI, subnets, policy versions). */
  netCache: Map<string, NetInfo>;
}

/** The network instances; one whose cache key is unchanged is the previous object. */
export function deriveNetworks(
  input: TenantInput,
  networks: readonly NetworkSpec[],
  policies: PolicyStage,
  prior: TenantDerived | undefined,
  hasher: Hasher,
  problems: Problem[],
): NetworkStage {
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
    const kept = keptAtPlace(network, order, vni, policies, prior);
    if (kept !== undefined) {
      netCache.set(kept.key, kept);
      nets.set(network.name, kept);
      netList.push(kept);
      return;
    }
    const netKey = `${order}\u0001${network.name}\u0001${vni}\u0001${network.external === true}\u0001${JSON.stringify(network.subnets)}\u0001${(policies.aclSerials.get(network.name) ?? []).join(",")}`;
    const info =
      prior?.netCache.get(netKey) ??
      networkInfo(network, order, vni, netKey, policies, prior, hasher);
    netCache.set(netKey, info);
    nets.set(network.name, info);
    netList.push(info);
  });
  return { nets, netList, netCache };
}

/**
 * The previous network at the same place when everything its cache key is made of is equal
 * (input, VNI, policy versions): its key is the same text, so it is not built again (the keys
 * of a tenant's networks were ~5 KB per update that recompiled a policy or edited a network).
 */
function keptAtPlace(
  network: NetworkSpec,
  order: number,
  vni: number | undefined,
  policies: PolicyStage,
  prior: TenantDerived | undefined,
): NetInfo | undefined {
  const before = prior?.netList[order];
  if (
    prior === undefined ||
    before === undefined ||
    before.name !== network.name ||
    prior.vniInput[network.name] !== vni ||
    !sameJson(prior.networkInput[order], network)
  ) {
    return undefined;
  }
  const serials = policies.aclSerials.get(network.name);
  const priorSerials = prior.aclSerials.get(network.name);
  if (serials === undefined || priorSerials === undefined || !sameItems(serials, priorSerials)) {
    return undefined;
  }
  return before;
}

function networkInfo(
  network: NetworkSpec,
  order: number,
  vni: number | undefined,
  netKey: string,
  policies: PolicyStage,
  prior: TenantDerived | undefined,
  hasher: Hasher,
): NetInfo {
  const acl = aclOfNetwork(policies, network.name);
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
  if (before !== undefined && old !== undefined && sameInstance(old, instance)) {
    return { ...before, key: netKey, order };
  }
  return {
    name: network.name,
    key: netKey,
    subnetsKey: JSON.stringify(instance.subnets),
    order,
    external: instance.external,
    set: intervalSetOf(instance.subnets.map((subnet) => subnet.cidr)),
    instance: hasher.hashed(instance),
    services: new Set(acl.flatMap((entry) => entry.services)),
  };
}

/** Stage 1's results: subnets by name, compiled policies, network instances. */
export interface NetworkStages {
  subnetsOf: Map<string, string[]>;
  policies: PolicyStage;
  nets: NetworkStage;
}

/**
 * Stage 1 of the previous derivation when its networks, policies and VNIs are equal to these
 * (an edit of workloads, groups or services): nothing of it is rebuilt or compared piece by piece.
 */
export function keptNetworkStages(
  networks: readonly NetworkSpec[],
  policies: readonly Policy[],
  vnis: Readonly<Record<string, number>>,
  prior: TenantDerived | undefined,
): NetworkStages | undefined {
  if (
    prior === undefined ||
    !sameJson(prior.networkInput, networks) ||
    !sameJson(prior.policyInput, policies) ||
    !sameJson(prior.vniInput, vnis)
  ) {
    return undefined;
  }
  return {
    subnetsOf: prior.subnetsOf,
    policies: {
      policyCache: prior.policyCache,
      aclParts: prior.aclParts,
      aclSerials: prior.aclSerials,
      nextSerial: prior.nextSerial,
    },
    nets: { nets: prior.nets, netList: prior.netList, netCache: prior.netCache },
  };
}
