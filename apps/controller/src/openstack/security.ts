import {
  formatCidr,
  type Name,
  parseCidr,
  parseIpv4,
  parsePorts,
  type SecurityGroup,
  type SecurityGroupRule,
} from "@netloom/model";
import { NeutronFault } from "./errors";
import { netloomNameFor } from "./ids";
import type { Json, Workspace } from "./workspace";

export const DEFAULT_GROUP = "default";

/** One Neutron rule: a netloom rule, or one element of a netloom rule with a port list or a network remote. */
export interface RuleRef {
  id: string;
  key: string;
  group: SecurityGroup;
  /** Index of the netloom rule in its group. */
  index: number;
  direction: "ingress" | "egress";
  protocol: string | null;
  portMin: number | null;
  portMax: number | null;
  remoteIpPrefix: string | null;
  remoteGroup: string | null;
  /** The number of Neutron rules the netloom rule shows as. */
  expansions: number;
}

export function groupId(ws: Workspace, name: string): string {
  return ws.id("security_group", name);
}

export function findGroup(ws: Workspace, id: unknown, field = "security_group_id"): SecurityGroup {
  if (typeof id !== "string") throw NeutronFault.badRequest(`${field} is required`);
  const group = ws.peek("securityGroups").find((candidate) => groupId(ws, candidate.name) === id);
  if (!group) throw NeutronFault.notFound("security_group", id);
  return group;
}

function ruleContent(rule: SecurityGroupRule): string {
  return JSON.stringify([
    rule.direction,
    rule.protocol ?? null,
    rule.ports ?? null,
    rule.remote ?? null,
  ]);
}

/** The Neutron rules of a group, in netloom rule order. */
export function ruleRefs(ws: Workspace, group: SecurityGroup): RuleRef[] {
  const refs: RuleRef[] = [];
  const groups = new Set<string>(ws.peek("securityGroups").map((candidate) => candidate.name));
  group.rules.forEach((rule, index) => {
    const parsed = rule.ports === undefined ? undefined : parsePorts(rule.ports);
    const ranges: ({ from: number; to: number } | null)[] =
      parsed === undefined ? [null] : parsed.ok ? parsed.value : [null];
    let remotes: { prefix: string | null; group: string | null }[];
    const remote = rule.remote;
    if (remote === undefined) remotes = [{ prefix: null, group: null }];
    else if (remote === "any") remotes = [{ prefix: "0.0.0.0/0", group: null }];
    else if (remote.includes("/")) remotes = [{ prefix: remote, group: null }];
    else if (groups.has(remote)) remotes = [{ prefix: null, group: groupId(ws, remote) }];
    else {
      const network = ws.network(remote);
      remotes = (network?.subnets ?? []).map((subnet) => ({ prefix: subnet.cidr, group: null }));
    }
    const base = `${group.name}/${ruleContent(rule)}`;
    const expansions = ranges.length * remotes.length;
    ranges.forEach((range, r) => {
      remotes.forEach((remoteRef, m) => {
        const key = expansions === 1 ? base : `${base}#${r}.${m}`;
        refs.push({
          id: ws.id("security_group_rule", key),
          key,
          group,
          index,
          direction: rule.direction,
          protocol: rule.protocol === undefined || rule.protocol === "any" ? null : rule.protocol,
          portMin: range?.from ?? null,
          portMax: range?.to ?? null,
          remoteIpPrefix: remoteRef.prefix,
          remoteGroup: remoteRef.group,
          expansions,
        });
      });
    });
  });
  return refs;
}

export function allRuleRefs(ws: Workspace): RuleRef[] {
  return ws.peek("securityGroups").flatMap((group) => ruleRefs(ws, group));
}

export function ruleView(ws: Workspace, ref: RuleRef): Json {
  const standard = ws.standard(
    "security_group_rule",
    ref.key,
    "",
    ws.revisionOf("securityGroups", ref.group.name),
  );
  const { name: _name, ...rest } = standard;
  return {
    ...rest,
    security_group_id: groupId(ws, ref.group.name),
    direction: ref.direction,
    ethertype: "IPv4",
    protocol: ref.protocol,
    port_range_min: ref.portMin,
    port_range_max: ref.portMax,
    remote_ip_prefix: ref.remoteIpPrefix,
    remote_group_id: ref.remoteGroup,
    remote_address_group_id: null,
    normalized_cidr: ref.remoteIpPrefix,
    belongs_to_default_sg: ref.group.name === DEFAULT_GROUP,
  };
}

export function groupView(ws: Workspace, group: SecurityGroup): Json {
  return {
    ...ws.standard(
      "security_group",
      group.name,
      group.name,
      ws.revisionOf("securityGroups", group.name),
    ),
    stateful: true,
    shared: false,
    security_group_rules: ruleRefs(ws, group).map((ref) => ruleView(ws, ref)),
  };
}

// ------------------------------------------------------------------ changes

/** Neutron's default group: egress anywhere, ingress from members of the group. */
export function ensureDefaultGroup(ws: Workspace): void {
  if (ws.peek("securityGroups").some((group) => group.name === DEFAULT_GROUP)) return;
  ws.list("securityGroups").push({
    name: DEFAULT_GROUP as Name,
    rules: [{ direction: "egress" }, { direction: "ingress", remote: DEFAULT_GROUP }],
  });
  ws.create(
    "security_group",
    DEFAULT_GROUP,
    { name: "default", description: "Default security group" },
    "default",
  );
}

export function createGroup(ws: Workspace, body: Json): string {
  if (body.stateful === false)
    throw NeutronFault.badRequest("stateless security groups are not supported");
  const groups = new Set(ws.peek("securityGroups").map((group) => group.name));
  const name = netloomNameFor(String(body.name ?? ""), "group", (candidate) =>
    groups.has(candidate as Name),
  );
  // Neutron gives every new group two egress rules (IPv4 and IPv6); netloom is IPv4 only.
  ws.list("securityGroups").push({ name: name as Name, rules: [{ direction: "egress" }] });
  ws.create("security_group", name, body, typeof body.name === "string" ? body.name : "");
  return groupId(ws, name);
}

export function updateGroup(ws: Workspace, group: SecurityGroup, body: Json): void {
  if (body.stateful === false)
    throw NeutronFault.badRequest("stateless security groups are not supported");
  ws.touch("security_group", group.name, body, group.name);
}

export function deleteGroup(ws: Workspace, group: SecurityGroup): void {
  const id = groupId(ws, group.name);
  if (group.name === DEFAULT_GROUP && ws.principal.globalRole !== "cloud_admin") {
    throw NeutronFault.conflict(
      "SecurityGroupCannotRemoveDefault",
      "Insufficient rights for removing default security group.",
    );
  }
  const usedByPort = ws
    .peek("workloads")
    .some((workload) =>
      workload.interfaces.some((iface) => iface.securityGroups?.includes(group.name)),
    );
  const usedAsRemote = ws
    .peek("securityGroups")
    .some(
      (other) =>
        other.name !== group.name && other.rules.some((rule) => rule.remote === group.name),
    );
  if (usedByPort || usedAsRemote) {
    throw NeutronFault.conflict("SecurityGroupInUse", `Security Group ${id} in use.`);
  }
  // Deleting a group deletes its rules, as in Neutron.
  for (const ref of ruleRefs(ws, group)) ws.remove("security_group_rule", ref.key);
  const groups = ws.list("securityGroups");
  groups.splice(groups.indexOf(group), 1);
  ws.remove("security_group", group.name);
}

const PROTOCOLS: Record<string, "tcp" | "udp" | "icmp"> = {
  tcp: "tcp",
  "6": "tcp",
  udp: "udp",
  "17": "udp",
  icmp: "icmp",
  "1": "icmp",
};

function portNumber(value: unknown, field: string): number | null {
  if (value === undefined || value === null) return null;
  const number = typeof value === "string" ? Number(value) : value;
  if (typeof number !== "number" || !Number.isInteger(number) || number < 0 || number > 65535) {
    throw NeutronFault.badRequest(`Invalid value for ${field}: ${String(value)}`);
  }
  return number;
}

/** A Neutron rule as a netloom rule; refuses what netloom cannot enforce instead of widening it. */
export function netloomRule(ws: Workspace, body: Json): SecurityGroupRule {
  const direction = body.direction;
  if (direction !== "ingress" && direction !== "egress") {
    throw NeutronFault.badRequest(
      `Invalid input for direction. Reason: ${String(direction)} is not in [ingress, egress].`,
    );
  }
  if (body.ethertype !== undefined && body.ethertype !== "IPv4") {
    throw NeutronFault.badRequest("netloom supports IPv4 rules only (ethertype IPv4)");
  }
  const rule: SecurityGroupRule = { direction };
  const rawProtocol = body.protocol;
  let protocol: "tcp" | "udp" | "icmp" | undefined;
  if (rawProtocol !== undefined && rawProtocol !== null && rawProtocol !== "any") {
    protocol = PROTOCOLS[String(rawProtocol).toLowerCase()];
    if (!protocol) {
      throw new NeutronFault(
        400,
        "SecurityGroupRuleInvalidProtocol",
        `Security group rule protocol ${String(rawProtocol)} not supported. Only protocol values [None, tcp, udp, icmp] and integer representations [6, 17, 1] are supported.`,
      );
    }
    rule.protocol = protocol;
  }
  const min = portNumber(body.port_range_min, "port_range_min");
  const max = portNumber(body.port_range_max, "port_range_max");
  if (min !== null || max !== null) {
    if (!protocol) {
      throw new NeutronFault(
        400,
        "SecurityGroupProtocolRequiredWithPorts",
        "Must also specify protocol if port range is given.",
      );
    }
    if (protocol === "icmp") {
      throw NeutronFault.badRequest(
        "ICMP type and code filters are not supported by netloom; leave the port range empty",
      );
    }
    const from = min ?? max ?? 0;
    const to = max ?? min ?? 0;
    if (from < 1 || to < from) {
      throw new NeutronFault(
        400,
        "SecurityGroupInvalidPortRange",
        "For TCP/UDP protocols, port_range_min must be <= port_range_max",
      );
    }
    rule.ports = from === to ? from : `${from}-${to}`;
  }
  const prefix = body.remote_ip_prefix;
  const remoteGroup = body.remote_group_id;
  if (
    prefix !== undefined &&
    prefix !== null &&
    remoteGroup !== undefined &&
    remoteGroup !== null
  ) {
    throw new NeutronFault(
      400,
      "SecurityGroupRemoteGroupAndRemoteIpPrefix",
      "Only remote_ip_prefix or remote_group_id may be provided.",
    );
  }
  if (typeof prefix === "string") {
    const text = prefix.includes("/") ? prefix : `${prefix}/32`;
    const parsed = parseCidr(text);
    if (!parsed.ok) {
      // Neutron accepts host bits and normalises; so do we, keeping the prefix exact.
      const slash = text.indexOf("/");
      const address = parseIpv4(text.slice(0, slash));
      const length = Number(text.slice(slash + 1));
      if (address === undefined || !Number.isInteger(length) || length < 0 || length > 32) {
        throw NeutronFault.badRequest(`Invalid input for remote_ip_prefix: ${prefix}`);
      }
      const mask = length === 0 ? 0 : (~0 << (32 - length)) >>> 0;
      rule.remote = formatCidr({ network: (address & mask) >>> 0, length });
    } else {
      rule.remote = text;
    }
  }
  if (remoteGroup !== undefined && remoteGroup !== null) {
    rule.remote = findGroup(ws, remoteGroup, "remote_group_id").name;
  }
  if (body.remote_address_group_id !== undefined && body.remote_address_group_id !== null) {
    throw NeutronFault.badRequest("address groups are not supported");
  }
  return rule;
}

export function createRule(ws: Workspace, body: Json): string {
  const group = findGroup(ws, body.security_group_id);
  const rule = netloomRule(ws, body);
  const candidate = { ...group, rules: [rule] };
  const [wanted] = ruleRefs(ws, candidate);
  if (!wanted) throw NeutronFault.badRequest("the rule matches nothing");
  const existing = ruleRefs(ws, group).find(
    (ref) =>
      ref.direction === wanted.direction &&
      ref.protocol === wanted.protocol &&
      ref.portMin === wanted.portMin &&
      ref.portMax === wanted.portMax &&
      ref.remoteIpPrefix === wanted.remoteIpPrefix &&
      ref.remoteGroup === wanted.remoteGroup,
  );
  if (existing) {
    throw NeutronFault.conflict(
      "SecurityGroupRuleExists",
      `Security group rule already exists. Rule id is ${existing.id}.`,
    );
  }
  const spec = ws
    .list("securityGroups")
    .find((candidateGroup) => candidateGroup.name === group.name);
  if (!spec) throw NeutronFault.notFound("security_group", groupId(ws, group.name));
  spec.rules.push(rule);
  const key = `${group.name}/${ruleContent(rule)}`;
  ws.create("security_group_rule", key, body, "");
  ws.touch("security_group", group.name, {}, group.name);
  return ws.id("security_group_rule", key);
}

export function findRule(ws: Workspace, id: string): RuleRef {
  const ref = allRuleRefs(ws).find((candidate) => candidate.id === id);
  if (!ref) throw NeutronFault.notFound("security_group_rule", id);
  return ref;
}

/** Removes one Neutron rule; the other elements of an expanded netloom rule stay as rules of their own. */
export function deleteRule(ws: Workspace, ref: RuleRef): void {
  const spec = ws.list("securityGroups").find((group) => group.name === ref.group.name);
  if (!spec) throw NeutronFault.notFound("security_group_rule", ref.id);
  const siblings = ruleRefs(ws, spec).filter(
    (other) => other.index === ref.index && other.key !== ref.key,
  );
  const replacement: SecurityGroupRule[] = siblings.map((other) => {
    const rule: SecurityGroupRule = { direction: other.direction };
    if (other.protocol !== null) rule.protocol = other.protocol as "tcp" | "udp" | "icmp";
    if (other.portMin !== null && other.portMax !== null) {
      rule.ports =
        other.portMin === other.portMax ? other.portMin : `${other.portMin}-${other.portMax}`;
    }
    if (other.remoteIpPrefix !== null) rule.remote = other.remoteIpPrefix;
    if (other.remoteGroup !== null) {
      const remote = ws
        .peek("securityGroups")
        .find((group) => groupId(ws, group.name) === other.remoteGroup);
      if (remote) rule.remote = remote.name;
    }
    return rule;
  });
  spec.rules.splice(ref.index, 1, ...replacement);
  ws.remove("security_group_rule", ref.key);
  ws.touch("security_group", spec.name, {}, spec.name);
}
