import type {
  FlowMatch,
  PortRange,
  RuleId,
  SecurityGroupEntry,
  TenantConfig,
} from "@netloom/compiler";
import { assertNever, type Protocol } from "@netloom/model";
import { mergedElements } from "./address-sets";
import { counterName, NFT_TABLE, portDevice, vxlanDevice } from "./names";

/**
 * The nftables ruleset of one tenant namespace. Decisions are made by jumping through verdict
 * maps into per-network and per-port chains; addresses are matched through named interval sets,
 * so the rule count grows with the intent's rules, never with CIDR pairs. A chain that decides
 * "allow" sets meta mark 1 and returns; its caller drops when the mark is not set.
 */
export interface TenantRuleset {
  /**
   * `table inet netloom { ... }` and `table arp netloom { ... }` with every object, ready to
   * follow a flush of both.
   */
  definition: string;
  chains: Map<string, number>;
  sets: Set<string>;
  maps: Set<string>;
  /** Counter object name to rule id. */
  counters: Map<string, RuleId>;
}

const ALLOWED = "meta mark set 1 return";

/**
 * The packet mark while a flow runs through two networks' policy lists: bit 0 "allowed by this
 * list", bit 1 "the router already counted", bits 8 and up the tag of the rule that allowed it.
 */
const MARK_ALLOWED = 0x1;
const MARK_ROUTER = 0x2;
const MARK_TAG_UNIT = 0x100;
const MARK_TAGS = 0xffffff00;

/** Rule ids in more than one network's list (a policy attached to both ends). */
function rulesInSeveralLists(tenant: TenantConfig): Set<RuleId> {
  const seen = new Set<RuleId>();
  const shared = new Set<RuleId>();
  for (const network of tenant.networks) {
    for (const ruleId of new Set(network.acl.map((entry) => entry.ruleId))) {
      if (seen.has(ruleId)) shared.add(ruleId);
      seen.add(ruleId);
    }
  }
  return shared;
}

/** The rule id port security's drops count under (trace names the same). */
export const ANTI_SPOOFING_RULE: RuleId = "implicit:anti-spoofing";

class Builder {
  readonly chains = new Map<string, string[]>();
  readonly baseChains = new Map<string, string>();
  readonly sets = new Map<string, string[]>();
  readonly namedSets = new Map<string, { type: string; elements: string[] }>();
  readonly maps = new Map<string, { type: string; flags: string; elements: string[] }>();
  readonly counters = new Map<string, RuleId>();

  chain(name: string, header?: string): string[] {
    let rules = this.chains.get(name);
    if (!rules) {
      rules = [];
      this.chains.set(name, rules);
      if (header) this.baseChains.set(name, header);
    }
    return rules;
  }

  counter(ruleId: RuleId): string {
    const name = counterName(ruleId);
    this.counters.set(name, ruleId);
    return `counter name ${name}`;
  }

  /** A named interval set of the CIDRs; undefined when the set would match everything. */
  addressSet(name: string, cidrs: readonly string[]): string | undefined {
    const elements = mergedElements(cidrs);
    if (elements.length === 1 && elements[0] === "0.0.0.0/0") return undefined;
    this.sets.set(name, elements);
    return `@${name}`;
  }
}

const quote = (text: string) => `"${text.replace(/["\\]/g, "")}"`;

/**
 * Where a rule reads the destination. Policies, firewalls and egress groups judge the flow as
 * the source sent it (`ct original`: a load balancer's VIP and port, before its DNAT); ingress
 * groups judge the packet as it arrives (the member's address and port).
 */
type View = "original" | "packet";
const destinationAddress = (view: View) =>
  view === "original" ? "ct original ip daddr" : "ip daddr";
const destinationPort = (view: View) =>
  view === "original" ? "ct original proto-dst" : "th dport";

function protocolMatch(protocol: Protocol, ports: readonly PortRange[], view: View): string {
  const portList = ports.map((range) =>
    range.from === range.to ? `${range.from}` : `${range.from}-${range.to}`,
  );
  switch (protocol) {
    case "any":
      return "";
    case "icmp":
      return "meta l4proto icmp";
    case "tcp":
    case "udp":
      return portList.length === 0
        ? `meta l4proto ${protocol}`
        : `meta l4proto ${protocol} ${destinationPort(view)} { ${portList.join(", ")} }`;
    default:
      return assertNever(protocol, "protocol");
  }
}

/** The match of a flow rule, or undefined when an empty address list makes it match nothing. */
function flowMatches(builder: Builder, name: string, match: FlowMatch, swapped: boolean) {
  if (match.sources.length === 0 || match.destinations.length === 0) return undefined;
  const sources = builder.addressSet(`${name}_s`, match.sources);
  const destinations = builder.addressSet(`${name}_d`, match.destinations);
  const [from, to] = swapped ? [destinations, sources] : [sources, destinations];
  return [
    from ? `ip saddr ${from}` : "",
    to ? `${destinationAddress("original")} ${to}` : "",
    protocolMatch(match.protocol, match.ports, "original"),
  ]
    .filter((part) => part !== "")
    .join(" ");
}

function securityGroupRule(builder: Builder, name: string, rule: SecurityGroupEntry) {
  if (rule.remotes.length === 0) return undefined;
  const remotes = builder.addressSet(name, rule.remotes);
  const view: View = rule.direction === "ingress" ? "packet" : "original";
  const field = rule.direction === "ingress" ? "ip saddr" : destinationAddress(view);
  return [remotes ? `${field} ${remotes}` : "", protocolMatch(rule.protocol, rule.ports, view)]
    .filter((part) => part !== "")
    .join(" ");
}

/**
 * Renders the whole ruleset of one tenant on one node. `learnedVnis`: the L3 VNIs of external
 * networks with learned EVPN routes here (issue 14); what is routed out of their VXLAN devices is
 * outside, so a port without a floating IP or NAT on the network may not send there at all.
 */
export function renderTenantRuleset(
  tenant: TenantConfig,
  learnedVnis: ReadonlySet<number> = new Set(),
): TenantRuleset {
  const b = new Builder();
  const networkIndex = new Map(tenant.networks.map((network, index) => [network.name, index]));
  const firewallIndex = new Map(tenant.firewalls.map((firewall, index) => [firewall.name, index]));
  const groupIndex = new Map(tenant.securityGroups.map((group, index) => [group.name, index]));

  // Port security (spec 1.2, rule 0): before conntrack and every other rule, a packet from a
  // workload's port must carry that port's MAC and one of its addresses.
  const guard = b.chain("guard", "type filter hook prerouting priority raw; policy accept;");
  const guardPorts: string[] = [];
  const antiSpoofing = b.counter(ANTI_SPOOFING_RULE);
  tenant.localInterfaces.forEach((port, k) => {
    const chain = `sp_${k}`;
    b.chain(chain).push(
      `ether saddr != ${port.mac.toLowerCase()} ${antiSpoofing} drop`,
      `meta nfproto ipv4 ip saddr != { ${portSources(port).join(", ")} } ${antiSpoofing} drop`,
    );
    guardPorts.push(`${quote(portDevice(port.portId))} : jump ${chain}`);
  });
  b.maps.set("guard_ports", { type: "ifname : verdict", flags: "", elements: guardPorts });
  guard.push("iifname vmap @guard_ports");

  const forward = b.chain("forward", "type filter hook forward priority filter; policy accept;");
  forward.push("ct state established,related accept", "ct state invalid drop");

  // Firewall services: ordered rules, no match is deny (spec 2 rule 5).
  tenant.firewalls.forEach((firewall, f) => {
    const rules = b.chain(`f_${f}`);
    firewall.rules.forEach((rule, r) => {
      const match = flowMatches(b, `f${f}_${r}`, rule, false);
      if (match === undefined) return;
      const verdict = rule.action === "allow" ? "return" : "drop";
      rules.push(`${match} ${b.counter(rule.ruleId)} ${verdict}`.trim());
    });
    rules.push("drop");
  });

  // Each network's ordered policy list (spec 2 rule 2): allow marks, deny drops. A flow between
  // two networks runs through both ends' lists, and a policy attached to both sits in both: the
  // rule that allowed it in the first list leaves its tag in the mark, so the same rule deciding
  // again in the second list neither counts again nor runs its services again (issue 8 §6).
  const shared = rulesInSeveralLists(tenant);
  const tags = new Map<RuleId, number>();
  const tagOf = (ruleId: RuleId) => {
    let tag = tags.get(ruleId);
    if (tag === undefined) {
      tag = (tags.size + 1) * MARK_TAG_UNIT;
      tags.set(ruleId, tag);
    }
    return tag;
  };
  tenant.networks.forEach((network, n) => {
    const rules = b.chain(`a_${n}`);
    network.acl.forEach((entry, e) => {
      const name = `a${n}_${e}`;
      const allowedBy = `meta mark set ${tagOf(entry.ruleId) + MARK_ALLOWED} return`;
      let verdict: string;
      if (entry.action === "deny") verdict = "drop";
      else if (entry.services.length === 0) verdict = allowedBy;
      else {
        const chain = b.chain(`s_${n}_${e}`);
        for (const service of entry.services) {
          const f = firewallIndex.get(service);
          if (f !== undefined) chain.push(`jump f_${f}`);
        }
        chain.push(`meta mark set ${tagOf(entry.ruleId) + MARK_ALLOWED}`);
        verdict = `goto s_${n}_${e}`;
      }
      const directions = entry.bidirectional ? [false, true] : [false];
      for (const swapped of directions) {
        const match = flowMatches(b, name, entry, swapped);
        if (match === undefined) continue;
        if (entry.action === "allow" && shared.has(entry.ruleId)) {
          rules.push(`${match} meta mark & ${MARK_TAGS} == ${tagOf(entry.ruleId)} ${allowedBy}`);
        }
        rules.push(`${match} ${b.counter(entry.ruleId)} ${verdict}`.trim());
      }
    });
  });

  // Network pairs: both ends' lists must allow; a router turns "no match" into allow (and counts
  // once for the flow, even when it decides for both ends).
  const pairChain = (x: number, y: number) => {
    const name = `p_${x}_${y}`;
    if (b.chains.has(name)) return name;
    const rules = b.chain(name);
    const [nx, ny] = [tenant.networks[x], tenant.networks[y]];
    if (!nx || !ny) return name;
    const route = tenant.routes.find(
      (candidate) =>
        (candidate.from === nx.name && candidate.to === ny.name) ||
        (candidate.from === ny.name && candidate.to === nx.name),
    );
    for (const end of [nx, ny]) {
      const index = end === nx ? x : y;
      // The second end keeps the first's tag and router bit; only "allowed" starts again.
      rules.push(
        end === nx ? "meta mark set 0" : `meta mark set meta mark & ${~MARK_ALLOWED >>> 0}`,
        `jump a_${index}`,
      );
      if (route?.noMatch === "allow") {
        if (route.viaRouter) {
          rules.push(
            `meta mark & ${MARK_ALLOWED | MARK_ROUTER} == 0 ${b.counter(route.viaRouter)} ` +
              `meta mark set meta mark | ${MARK_ROUTER}`,
          );
        }
      } else {
        rules.push(
          `meta mark & ${MARK_ALLOWED} == 0 ${b.counter(`implicit:no-match:${end.name}`)} drop`,
        );
      }
    }
    return name;
  };

  const destinationMap = (x: number) => {
    const name = `dst_${x}`;
    if (b.maps.has(name)) return name;
    const elements: string[] = [];
    tenant.networks.forEach((other, y) => {
      if (y === x || other.external) return;
      const cidrs = other.subnets.map((subnet) => subnet.cidr);
      for (const element of mergedElements(cidrs)) {
        elements.push(`${element} : jump ${pairChain(x, y)}`);
      }
    });
    b.maps.set(name, { type: "ipv4_addr : verdict", flags: "interval", elements });
    return name;
  };

  // Security groups: any rule of any group of the port lets the flow through (spec 2 rule 4).
  const groupChain = (group: string, direction: "ingress" | "egress") => {
    const g = groupIndex.get(group);
    if (g === undefined) return undefined;
    const name = `g_${g}_${direction === "ingress" ? "i" : "e"}`;
    if (b.chains.has(name)) return name;
    const rules = b.chain(name);
    const entries = tenant.securityGroups[g]?.rules ?? [];
    entries.forEach((rule, r) => {
      if (rule.direction !== direction) return;
      const match = securityGroupRule(b, `g${g}_${r}`, rule);
      if (match === undefined) return;
      rules.push(`${match} ${b.counter(rule.ruleId)} ${ALLOWED}`.trim());
    });
    return name;
  };
  const groupGate = (groups: readonly string[], direction: "ingress" | "egress") => {
    const jumps = groups
      .map((group) => groupChain(group, direction))
      .filter((name) => name !== undefined)
      .map((name) => `jump ${name}`);
    const first = groups[0] ?? "";
    return [
      "meta mark set 0",
      ...jumps,
      `meta mark != 1 ${b.counter(`implicit:sg-default:${first}`)} drop`,
    ];
  };

  // Outside (spec 2 rule 6): a workload reaches an external network's addresses only through
  // its floating IP or a NAT service of its network; no policy applies on the way out.
  const externals = tenant.networks.flatMap((network, e) =>
    network.external ? [{ network, e }] : [],
  );
  for (const { network, e } of externals) {
    b.addressSet(
      `ext_${e}`,
      network.subnets.map((subnet) => subnet.cidr),
    );
  }
  const translated = (port: (typeof tenant.localInterfaces)[number], external: string) =>
    tenant.floatingIps.some(
      (fip) => fip.portId === port.portId && fip.externalNetwork === external,
    ) ||
    tenant.sourceNats.some(
      (nat) => nat.outsideNetwork === external && nat.insideNetworks.includes(port.network),
    );

  const outPorts: string[] = [];
  const inPorts: string[] = [];
  const portNames: string[] = [];
  tenant.localInterfaces.forEach((port, k) => {
    const device = quote(portDevice(port.portId));
    portNames.push(device);
    const x = networkIndex.get(port.network);
    const out = b.chain(`o_${k}`);
    if (port.securityGroups.length > 0) {
      out.push(...groupGate(port.securityGroups, "egress"));
      b.chain(`i_${k}`).push(...groupGate(port.securityGroups, "ingress"));
      inPorts.push(`${device} : jump i_${k}`);
    }
    for (const { network } of externals) {
      if (network.name === port.network || !learnedVnis.has(network.vni)) continue;
      if (translated(port, network.name)) continue;
      out.push(
        `oifname ${quote(vxlanDevice(network.vni))} ${b.counter(`implicit:no-match:${network.name}`)} drop`,
      );
    }
    for (const { network, e } of externals) {
      if (network.name === port.network || !b.sets.has(`ext_${e}`)) continue;
      out.push(
        translated(port, network.name)
          ? `ct original ip daddr @ext_${e} return`
          : `ct original ip daddr @ext_${e} ${b.counter(`implicit:no-match:${network.name}`)} drop`,
      );
    }
    if (x !== undefined && !tenant.networks[x]?.external) {
      out.push(`ct original ip daddr vmap @${destinationMap(x)}`);
    }
    outPorts.push(`${device} : jump o_${k}`);
  });
  b.maps.set("out_ports", { type: "ifname : verdict", flags: "", elements: outPorts });
  b.maps.set("in_ports", { type: "ifname : verdict", flags: "", elements: inPorts });
  b.namedSets.set("ports", { type: "ifname", elements: portNames });
  forward.push(
    "iifname vmap @out_ports",
    "oifname vmap @in_ports",
    // Nothing transits between overlays: a packet for an address nobody here holds dies here.
    "iifname != @ports oifname != @ports drop",
  );

  // The tenant namespace itself answers only DNS at the gateways of a DNS service's networks
  // (and a VIP only through its DNAT): a workload cannot ping or probe its gateway.
  const input = b.chain("input", "type filter hook input priority filter; policy accept;");
  input.push("ct state established,related accept");
  for (const zone of tenant.dnsZones) {
    const gateways = tenant.networks
      .filter((network) => zone.networks.includes(network.name))
      .flatMap((network) => network.subnets.map((subnet) => `${subnet.gateway}/32`));
    if (gateways.length === 0) continue;
    const set = b.addressSet(`dns_${zone.ruleId.replace(/[^a-z0-9]/gi, "_")}`, gateways);
    input.push(`iifname @ports ip daddr ${set} udp dport 53 ${b.counter(zone.ruleId)} accept`);
  }
  input.push("iifname @ports drop");

  // Load balancers: DNAT the VIP to the members in turn (spec 2 rule 7).
  const prerouting = b.chain("pre", "type nat hook prerouting priority dstnat; policy accept;");
  const postrouting = b.chain("post", "type nat hook postrouting priority srcnat; policy accept;");
  const externalDevice = (name: string) => {
    const network = tenant.networks.find((candidate) => candidate.name === name);
    return network ? quote(vxlanDevice(network.vni)) : undefined;
  };
  // Floating IPs: inbound only from the external network (a workload's flow to a floating IP
  // goes out through its own translation and comes back in, as the trace says).
  for (const fip of tenant.floatingIps) {
    const device = externalDevice(fip.externalNetwork);
    if (!device || !tenant.localInterfaces.some((port) => port.portId === fip.portId)) continue;
    prerouting.push(
      `iifname ${device} ip daddr ${fip.floatingIp} ${b.counter(fip.ruleId)} dnat ip to ${fip.fixedIp}`,
    );
    postrouting.push(
      `oifname ${device} ip saddr ${fip.fixedIp} ${b.counter(fip.ruleId)} snat ip to ${fip.floatingIp}`,
    );
  }
  tenant.sourceNats.forEach((nat, i) => {
    const device = externalDevice(nat.outsideNetwork);
    if (!device || nat.insideCidrs.length === 0) return;
    const inside = b.addressSet(`nat_${i}`, nat.insideCidrs);
    const match = inside ? `ip saddr ${inside} ` : "";
    postrouting.push(
      `oifname ${device} ${match}${b.counter(nat.ruleId)} snat ip to ${nat.outsideIp}`,
    );
  });
  for (const lb of tenant.loadBalancers) {
    if (lb.members.length === 0) continue;
    const members = lb.members.map((member, i) => `${i} : ${member.ip} . ${member.port}`);
    prerouting.push(
      `ip daddr ${lb.vip} ${lb.protocol} dport ${lb.port} ${b.counter(lb.ruleId)} ` +
        `dnat ip to numgen inc mod ${lb.members.length} map { ${members.join(", ")} }`,
    );
  }

  const lines: string[] = [`table inet ${NFT_TABLE} {`];
  for (const [name, ruleId] of b.counters) {
    lines.push(`  counter ${name} {`, `    comment ${quote(ruleId)}`, "  }");
  }
  for (const [name, elements] of b.sets) {
    const body = elements.length > 0 ? ` elements = { ${elements.join(", ")} }` : "";
    lines.push(`  set ${name} {`, `    type ipv4_addr; flags interval;${body}`, "  }");
  }
  for (const [name, set] of b.namedSets) {
    const body = set.elements.length > 0 ? ` elements = { ${set.elements.join(", ")} }` : "";
    lines.push(`  set ${name} {`, `    type ${set.type};${body}`, "  }");
  }
  for (const [name, map] of b.maps) {
    const flags = map.flags ? ` flags ${map.flags};` : "";
    const body = map.elements.length > 0 ? ` elements = { ${map.elements.join(", ")} }` : "";
    lines.push(`  map ${name} {`, `    type ${map.type};${flags}${body}`, "  }");
  }
  // Chains are declared before any rule so jumps may point forward.
  for (const name of b.chains.keys()) {
    const header = b.baseChains.get(name);
    lines.push(`  chain ${name} {`, ...(header ? [`    ${header}`] : []), "  }");
  }
  for (const [name, rules] of b.chains) {
    if (rules.length === 0) continue;
    lines.push(`  chain ${name} {`, ...rules.map((rule) => `    ${rule}`), "  }");
  }
  lines.push("}", ...arpGuard(tenant));

  return {
    definition: `${lines.join("\n")}\n`,
    chains: new Map([...b.chains].map(([name, rules]) => [name, rules.length])),
    sets: new Set([...b.sets.keys(), ...b.namedSets.keys()]),
    maps: new Set(b.maps.keys()),
    counters: new Map(b.counters),
  };
}

/** The addresses a port may send from: its own and its allowed ones, as disjoint elements. */
function portSources(port: TenantConfig["localInterfaces"][number]): string[] {
  return mergedElements([`${port.ip}/32`, ...port.allowedAddresses]);
}

/**
 * ARP of port security: a workload's ARP must name its own MAC and one of its addresses as the
 * sender, so it can neither poison the tenant namespace's neighbours nor answer for another's
 * address. ARP is rare: one pair of rules per port is cheap, and the table has no sets, so
 * flushing it replaces it whole.
 */
function arpGuard(tenant: TenantConfig): string[] {
  const counter = counterName(ANTI_SPOOFING_RULE);
  const rules = tenant.localInterfaces.flatMap((port) => {
    const device = quote(portDevice(port.portId));
    const mac = port.mac.toLowerCase();
    return [
      `iifname ${device} ether saddr != ${mac} counter name ${counter} drop`,
      `iifname ${device} arp saddr ether != ${mac} counter name ${counter} drop`,
      `iifname ${device} arp saddr ip != { ${portSources(port).join(", ")} } counter name ${counter} drop`,
    ];
  });
  return [
    `table arp ${NFT_TABLE} {`,
    `  counter ${counter} {`,
    `    comment ${quote(ANTI_SPOOFING_RULE)}`,
    "  }",
    "  chain guard {",
    "    type filter hook input priority filter; policy accept;",
    ...rules.map((rule) => `    ${rule}`),
    "  }",
    "}",
  ];
}

/** What a namespace's table holds, as the driver last wrote it or as `nft -j` reports it. */
export interface TableObjects {
  chains: Map<string, number>;
  sets: Set<string>;
  maps: Set<string>;
  counters: Set<string>;
}

/**
 * One atomic transaction replacing the table's content: rules and set elements of the old
 * ruleset go and the new ones come in the same commit, so no packet ever sees an empty table;
 * counter objects that stay keep their counts.
 */
export function replaceTableScript(previous: TableObjects | undefined, next: TenantRuleset) {
  const lines = [
    `add table inet ${NFT_TABLE}`,
    `flush table inet ${NFT_TABLE}`,
    `add table arp ${NFT_TABLE}`,
    `flush table arp ${NFT_TABLE}`,
  ];
  if (previous) {
    for (const set of previous.sets) lines.push(`flush set inet ${NFT_TABLE} ${set}`);
    for (const map of previous.maps) lines.push(`flush map inet ${NFT_TABLE} ${map}`);
    for (const chain of previous.chains.keys()) {
      if (!next.chains.has(chain)) lines.push(`delete chain inet ${NFT_TABLE} ${chain}`);
    }
    for (const set of previous.sets) {
      if (!next.sets.has(set)) lines.push(`delete set inet ${NFT_TABLE} ${set}`);
    }
    for (const map of previous.maps) {
      if (!next.maps.has(map)) lines.push(`delete map inet ${NFT_TABLE} ${map}`);
    }
    for (const counter of previous.counters) {
      if (!next.counters.has(counter)) lines.push(`delete counter inet ${NFT_TABLE} ${counter}`);
    }
  }
  return `${lines.join("\n")}\n${next.definition}`;
}

interface NftJsonEntry {
  chain?: { name: string };
  rule?: { chain: string };
  set?: { name: string; type: string | string[]; map?: unknown };
  map?: { name: string };
  counter?: { name: string; packets?: number; comment?: string };
}

/** Parses `nft -j list table` into the objects it holds. */
export function parseTableObjects(json: string): TableObjects {
  const parsed = JSON.parse(json) as { nftables?: NftJsonEntry[] };
  const objects: TableObjects = {
    chains: new Map(),
    sets: new Set(),
    maps: new Set(),
    counters: new Set(),
  };
  for (const entry of parsed.nftables ?? []) {
    if (entry.chain)
      objects.chains.set(entry.chain.name, objects.chains.get(entry.chain.name) ?? 0);
    if (entry.rule) {
      objects.chains.set(entry.rule.chain, (objects.chains.get(entry.rule.chain) ?? 0) + 1);
    }
    if (entry.set) objects.sets.add(entry.set.name);
    if (entry.map) objects.maps.add(entry.map.name);
    if (entry.counter) objects.counters.add(entry.counter.name);
  }
  return objects;
}

/** Counter values by rule id from `nft -j list counters`. */
export function parseCounters(json: string): Record<RuleId, number> {
  const parsed = JSON.parse(json) as { nftables?: NftJsonEntry[] };
  const counts: Record<RuleId, number> = {};
  for (const entry of parsed.nftables ?? []) {
    const counter = entry.counter;
    if (!counter?.comment) continue;
    counts[counter.comment] = (counts[counter.comment] ?? 0) + (counter.packets ?? 0);
  }
  return counts;
}
