import { assertNever, type Problem, type SecurityGroup, type Service } from "@netloom/model";
import type { LoadBalancerConfig, SecurityGroupEntry, TenantInput } from "../config";
import { portRanges } from "../ipv4";
import { interfaceFacing } from "./interfaces";
import { flowEntry, resolveEndpoint } from "./networks";
import {
  ANY,
  type BalancerPiece,
  type FirewallPiece,
  type GroupPiece,
  type Hasher,
  type IfaceInfo,
  indexOf,
  type NatPiece,
  type NetInfo,
  type Ordered,
  type TenantDerived,
} from "./pieces";
import { sameJson } from "./reuse";
import type { ReadonlyIndex } from "./shardedMap";

/*
 * Stage 3: security groups (remotes resolved to CIDRs and member addresses) and the services:
 * firewalls, source NAT, load balancers, and the DNS services whose zones stage 5 fills.
 */

/** A group's or firewall's piece: the previous one when its resolved rules are equal. */
function namedRules<R>(
  hasher: Hasher,
  before: Ordered<{ name: string; rules: R[] }> | undefined,
  name: string,
  rules: R[],
  order: number,
): Ordered<{ name: string; rules: R[] }> {
  return before !== undefined && before.order === order && sameJson(before.value.rules, rules)
    ? before
    : { ...hasher.hashed({ name, rules }), order };
}

/** The security groups, each rule's remote resolved (a group remote to its members' /32s). */
export function deriveGroups(
  groupsIn: readonly SecurityGroup[],
  subnetsOf: ReadonlyMap<string, string[]>,
  groupMembers: ReadonlyIndex<string[]>,
  prior: TenantDerived | undefined,
  hasher: Hasher,
): Map<string, GroupPiece> {
  const groupNames = new Set<string>(groupsIn.map((group) => group.name));
  const resolveRemote = (remote: string | undefined): string[] => {
    if (remote === undefined) return [ANY];
    if (!subnetsOf.has(remote) && groupNames.has(remote)) return groupMembers.get(remote) ?? [];
    return resolveEndpoint(subnetsOf, remote);
  };
  const groups = new Map<string, GroupPiece>();
  const sameNames = prior !== undefined && sameGroupNames(prior.groupInput, groupsIn);
  groupsIn.forEach((group, order) => {
    const before = prior?.groups.get(group.name);
    if (
      sameNames &&
      before !== undefined &&
      before.order === order &&
      sameJson(prior.groupInput[order], group) &&
      group.rules.every((rule) => sameRemoteInputs(rule.remote, subnetsOf, groupMembers, prior))
    ) {
      groups.set(group.name, before);
      return;
    }
    const rules = group.rules.map(
      (rule, ruleIndex): SecurityGroupEntry => ({
        ruleId: `sg:${group.name}/${ruleIndex}`,
        direction: rule.direction,
        protocol: rule.protocol ?? "any",
        remotes: resolveRemote(rule.remote),
        ports: portRanges(rule.ports),
      }),
    );
    groups.set(group.name, namedRules(hasher, before, group.name, rules, order));
  });
  return groups;
}

/** The same group names at the same places: what a remote's resolution may depend on. */
function sameGroupNames(
  before: readonly SecurityGroup[],
  after: readonly SecurityGroup[],
): boolean {
  if (before.length !== after.length) return false;
  for (let i = 0; i < before.length; i++) if (before[i]?.name !== after[i]?.name) return false;
  return true;
}

/**
 * Whether a rule's remote resolves from the same lists as last time: a network's subnets and a
 * group's members, by identity (a CIDR, `any` or no remote depends on nothing).
 */
function sameRemoteInputs(
  remote: string | undefined,
  subnetsOf: ReadonlyMap<string, string[]>,
  groupMembers: ReadonlyIndex<string[]>,
  prior: TenantDerived,
): boolean {
  if (remote === undefined) return true;
  return (
    prior.subnetsOf.get(remote) === subnetsOf.get(remote) &&
    prior.groupMembers.get(remote) === groupMembers.get(remote)
  );
}

export interface ServiceStage {
  firewalls: Map<string, FirewallPiece>;
  nats: NatPiece[];
  loadBalancers: BalancerPiece[];
  /** DNS services in file order: their zones are stage 5's (they need the routes). */
  dnsServices: { name: string; domain: string; networks: string[] }[];
}

/** What the services derive from. */
export interface ServiceInputs {
  input: TenantInput;
  subnetsOf: ReadonlyMap<string, string[]>;
  nets: ReadonlyMap<string, NetInfo>;
  ifacesByWorkload: ReadonlyIndex<IfaceInfo[]>;
  prior: TenantDerived | undefined;
  hasher: Hasher;
  problems: Problem[];
}

export function deriveServices(services: readonly Service[], from: ServiceInputs): ServiceStage {
  const stage: ServiceStage = {
    firewalls: new Map(),
    nats: [],
    loadBalancers: [],
    dnsServices: [],
  };
  services.forEach((service, order) => {
    switch (service.type) {
      case "firewall": {
        const rules = service.rules.map((rule, ruleIndex) =>
          flowEntry(from.subnetsOf, `firewall:${service.name}/${ruleIndex}`, rule),
        );
        const before = from.prior?.firewalls.get(service.name);
        stage.firewalls.set(
          service.name,
          namedRules(from.hasher, before, service.name, rules, order),
        );
        break;
      }
      case "nat":
        stage.nats.push(natPiece(service, order, from));
        break;
      case "load-balancer":
        stage.loadBalancers.push(balancerPiece(service, from));
        break;
      case "dns":
        stage.dnsServices.push({
          name: service.name,
          domain: service.domain,
          networks: service.networks,
        });
        break;
      default:
        assertNever(service, "service");
    }
  });
  return stage;
}

function natPiece(
  service: Extract<Service, { type: "nat" }>,
  order: number,
  from: ServiceInputs,
): NatPiece {
  const outsideIp = from.input.natAddresses[service.name];
  if (outsideIp === undefined) {
    from.problems.push({
      path: `services[${order}]`,
      message: `no outside address allocated for ${service.name}`,
    });
  }
  return {
    ...from.hasher.hashed({
      ruleId: `nat:${service.name}`,
      insideNetworks: service.inside,
      insideCidrs: service.inside.flatMap((network) => from.subnetsOf.get(network) ?? []),
      outsideNetwork: service.outside,
      outsideIp: outsideIp ?? "",
    }),
    inside: service.inside.map((network) => indexOf(from.nets, network)),
    outside: indexOf(from.nets, service.outside),
  };
}

function balancerPiece(
  service: Extract<Service, { type: "load-balancer" }>,
  from: ServiceInputs,
): BalancerPiece {
  const members: LoadBalancerConfig["members"] = [];
  for (const member of service.members) {
    const iface = interfaceFacing(from.ifacesByWorkload, member, service.network);
    if (iface !== undefined) {
      members.push({
        workload: member,
        ip: iface.local.value.ip,
        port: service.memberPort,
        node: iface.node,
      });
    }
  }
  return {
    ...from.hasher.hashed({
      ruleId: `lb:${service.name}`,
      network: service.network,
      vip: service.vip,
      protocol: service.protocol,
      port: service.port,
      members,
    }),
    network: indexOf(from.nets, service.network),
  };
}
