import type { Protocol, Verdict } from "@netloom/model";
import type {
  FirewallEntry,
  NetworkInstance,
  PolicyAclEntry,
  PortRange,
  SecurityGroupEntry,
} from "./config";
import { type IntervalSet, intervalSetOf, setContains } from "./ipv4";

/*
 * Compiled config entries with CIDR lists turned into interval sets, cached per config object
 * (configs are immutable and shared between nodes, so each is compiled once).
 */

export interface Matcher {
  ruleId: string;
  protocol: Protocol;
  sources: IntervalSet;
  destinations: IntervalSet;
  ports: PortRange[];
}

export interface AclMatcher extends Matcher {
  action: Verdict;
  bidirectional: boolean;
  services: string[];
}

export interface FirewallMatcher extends Matcher {
  action: Verdict;
}

export interface GroupMatcher {
  ruleId: string;
  protocol: Protocol;
  remotes: IntervalSet;
  ports: PortRange[];
}

export interface CompiledGroup {
  name: string;
  ingress: GroupMatcher[];
  egress: GroupMatcher[];
}

/** Rule protocol `any` matches icmp, tcp and udp; a flow of protocol `any` only rules of `any`. */
export function protocolMatches(rule: Protocol, flow: Protocol): boolean {
  return rule === "any" || rule === flow;
}

/** Ports only constrain tcp and udp; a tcp/udp flow without a port matches portless rules only. */
export function portMatches(
  ports: readonly PortRange[],
  flow: Protocol,
  port: number | undefined,
): boolean {
  if (ports.length === 0 || (flow !== "tcp" && flow !== "udp")) return true;
  if (port === undefined) return false;
  for (const range of ports) if (port >= range.from && port <= range.to) return true;
  return false;
}

/** Whether a rule's protocol and ports admit the flow's (addresses aside). */
export function ruleMatchesFlow(
  rule: { protocol: Protocol; ports: readonly PortRange[] },
  protocol: Protocol,
  port: number | undefined,
): boolean {
  return protocolMatches(rule.protocol, protocol) && portMatches(rule.ports, protocol, port);
}

const aclCache = new WeakMap<NetworkInstance, AclMatcher[]>();
const entryCache = new WeakMap<PolicyAclEntry, AclMatcher>();

export function aclMatchers(network: NetworkInstance): AclMatcher[] {
  let matchers = aclCache.get(network);
  if (matchers === undefined) {
    matchers = network.acl.map((entry) => {
      let matcher = entryCache.get(entry);
      if (matcher === undefined) {
        matcher = {
          ruleId: entry.ruleId,
          protocol: entry.protocol,
          sources: intervalSetOf(entry.sources),
          destinations: intervalSetOf(entry.destinations),
          ports: entry.ports,
          action: entry.action,
          bidirectional: entry.bidirectional,
          services: entry.services,
        };
        entryCache.set(entry, matcher);
      }
      return matcher;
    });
    aclCache.set(network, matchers);
  }
  return matchers;
}

/** Whether the entry's addresses match the flow's (with `<>` also the swapped flow). */
export function addressesMatch(
  matcher: Matcher & { bidirectional?: boolean },
  source: number,
  destination: number,
): boolean {
  if (setContains(matcher.sources, source) && setContains(matcher.destinations, destination)) {
    return true;
  }
  return (
    matcher.bidirectional === true &&
    setContains(matcher.sources, destination) &&
    setContains(matcher.destinations, source)
  );
}

/**
 * First entry of an ordered list matching the flow: a policy list (with `<>` also the swapped
 * flow) or a firewall's rules (one-way).
 */
export function firstMatch<M extends Matcher & { bidirectional?: boolean }>(
  matchers: readonly M[],
  source: number,
  destination: number,
  protocol: Protocol,
  port: number | undefined,
): M | undefined {
  for (const matcher of matchers) {
    if (ruleMatchesFlow(matcher, protocol, port) && addressesMatch(matcher, source, destination)) {
      return matcher;
    }
  }
  return undefined;
}

const firewallCache = new WeakMap<{ rules: FirewallEntry[] }, FirewallMatcher[]>();

export function firewallMatchers(firewall: { rules: FirewallEntry[] }): FirewallMatcher[] {
  let matchers = firewallCache.get(firewall);
  if (matchers === undefined) {
    // One literal per kind (no spread): every matcher of a kind shares one shape.
    matchers = firewall.rules.map((entry) => ({
      ruleId: entry.ruleId,
      protocol: entry.protocol,
      sources: intervalSetOf(entry.sources),
      destinations: intervalSetOf(entry.destinations),
      ports: entry.ports,
      action: entry.action,
    }));
    firewallCache.set(firewall, matchers);
  }
  return matchers;
}

const groupCache = new WeakMap<{ rules: SecurityGroupEntry[] }, CompiledGroup>();

export function groupMatchers(group: { name: string; rules: SecurityGroupEntry[] }): CompiledGroup {
  let compiled = groupCache.get(group);
  if (compiled === undefined) {
    compiled = { name: group.name, ingress: [], egress: [] };
    for (const entry of group.rules) {
      compiled[entry.direction].push({
        ruleId: entry.ruleId,
        protocol: entry.protocol,
        remotes: intervalSetOf(entry.remotes),
        ports: entry.ports,
      });
    }
    groupCache.set(group, compiled);
  }
  return compiled;
}

export function firstGroupMatch(
  matchers: readonly GroupMatcher[],
  remote: number,
  protocol: Protocol,
  port: number | undefined,
): GroupMatcher | undefined {
  for (const matcher of matchers) {
    if (ruleMatchesFlow(matcher, protocol, port) && setContains(matcher.remotes, remote)) {
      return matcher;
    }
  }
  return undefined;
}
