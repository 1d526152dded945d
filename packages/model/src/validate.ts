import { assertNever, type Problem } from "./errors";
import type {
  Assertion,
  FirewallRule,
  IntentFile,
  Network,
  PolicyRule,
  Ports,
  Protocol,
  Subnet,
} from "./intent";
import { NAME_PATTERN } from "./intent";
import {
  broadcastAddress,
  defaultGateway,
  firstHost,
  formatCidr,
  hasNetworkAndBroadcast,
  hostCount,
  type Ipv4Prefix,
  lastHost,
  parseCidr,
  parseIpv4,
  parsePorts,
  prefixContains,
  prefixMask,
  showValue,
} from "./ipv4";
import { capProblems, parseDocument, parseIntentFile, type Result, unwrapResult } from "./parse";
import { formatPath, type LocatedProblem, type Path, sortProblems } from "./path";

/** What the whole-tenant checks may know beyond the file. */
export interface ValidationContext {
  /** Names of the fabric's forwarding nodes; when given, `workloads[].node` must be one. */
  nodes?: ReadonlySet<string>;
  /**
   * Spec section 1.1: the fabric's external networks this tenant may use by name (as a
   * floating IP pool's `network` or a nat service's `outside`) without declaring them.
   */
  fabricExternalNetworks?: readonly { name: string; subnets: readonly Subnet[] }[];
  /**
   * Subnets (CIDRs) of every external network declared outside this tenant file: the fabric's
   * and other tenants'. The tenant's own `external: true` networks may not overlap them; whose
   * they are is deliberately not given.
   */
  foreignExternalSubnets?: readonly string[];
}

/** What a rule's source, destination or remote stands for, by its form. */
export type Endpoint =
  | { kind: "any" }
  | { kind: "cidr"; prefix: Ipv4Prefix }
  | { kind: "name"; name: string }
  | { kind: "invalid"; message: string };

/** `any`, a CIDR, or a name (of a network, or for `remote` of a security group). */
export function parseEndpoint(text: string): Endpoint {
  if (text === "any") return { kind: "any" };
  if (text.includes("/")) {
    const parsed = parseCidr(text);
    return parsed.ok
      ? { kind: "cidr", prefix: parsed.value }
      : { kind: "invalid", message: parsed.message };
  }
  if (NAME_PATTERN.test(text)) return { kind: "name", name: text };
  return { kind: "invalid", message: `${showValue(text)} is not a name, a CIDR or "any"` };
}

/** The subnet's gateway address: the one written, else the default (first host). */
export function subnetGateway(subnet: Subnet): number | undefined {
  if (subnet.gateway !== undefined) return parseIpv4(subnet.gateway);
  const prefix = parseCidr(subnet.cidr);
  return prefix.ok ? defaultGateway(prefix.value) : undefined;
}

/**
 * Parses and checks a whole tenant file (spec section 3, all that needs no database): the zod
 * form first, then `validateIntent`.
 */
export function checkIntent(input: unknown, context: ValidationContext = {}): Result<IntentFile> {
  const parsed = parseIntentFile(input);
  if (!parsed.ok) return parsed;
  const problems = validateIntent(parsed.value, context);
  return problems.length === 0 ? parsed : { ok: false, problems };
}

/**
 * Text of a topology file → checked intent. Throws NetloomError TOO_LARGE or INVALID (every
 * problem, by path): what `netloom apply -f` and the controller's apply both need.
 */
export function intentFromText(
  text: string | Uint8Array,
  options: ValidationContext & { maxBytes?: number } = {},
): IntentFile {
  const document = parseDocument(
    text,
    options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes },
  );
  return unwrapResult(checkIntent(document, options));
}

/** Whether a flow end (trace, check, assertion) is a workload name or an IPv4 address. */
export function checkFlowEnd(value: string, workloads: ReadonlySet<string>): string | undefined {
  if (parseIpv4(value) !== undefined) return undefined;
  if (NAME_PATTERN.test(value)) {
    return workloads.has(value) ? undefined : `workload "${value}" does not exist`;
  }
  return `${showValue(value)} is neither a workload name nor an IPv4 address`;
}

interface SubnetInfo {
  prefix: Ipv4Prefix;
  gateway: number | undefined;
  path: Path;
  networkName: string;
  /** Addresses fixed in the file inside this subnet (interfaces, floating IPs, VIPs). */
  fixed: number;
}

interface NetworkInfo {
  index: number;
  /** A fabric external network (spec 1.1), not declared in this file. */
  fabric?: boolean;
  network: Network;
  subnets: SubnetInfo[];
  /** Paths of what needs an address allocated on this network. */
  allocations: Path[];
}

const CHAIN_TYPES = new Set(["firewall", "load-balancer", "nat"]);

/**
 * Every rule of spec section 3 that does not need the database, each problem located by path
 * and sorted in document order. Pure: same file, same problems.
 */
export function validateIntent(file: IntentFile, context: ValidationContext = {}): Problem[] {
  const problems: LocatedProblem[] = [];
  const report = (path: Path, message: string) => problems.push({ path, message });

  const networks = indexNames(file, "networks", "network", report);
  const workloads = indexNames(file, "workloads", "workload", report);
  const groups = indexNames(file, "securityGroups", "security group", report);
  indexNames(file, "policies", "policy", report);
  const services = indexNames(file, "services", "service", report);
  indexNames(file, "routers", "router", report);
  const pools = indexNames(file, "floatingIpPools", "floating IP pool", report);
  indexNames(file, "assertions", "assertion", report);

  for (const kind of ["networks", "securityGroups"] as const) {
    (file[kind] ?? []).forEach((item, index) => {
      if (item.name === "any") {
        report([kind, index, "name"], `"any" is reserved: rules use it for every address`);
      }
    });
  }

  // Subnets: form, gateway, overlaps.
  const networkInfo = new Map<string, NetworkInfo>();
  const allSubnets: SubnetInfo[] = [];
  (file.networks ?? []).forEach((network, networkIndex) => {
    const info: NetworkInfo = { index: networkIndex, network, subnets: [], allocations: [] };
    if (!networkInfo.has(network.name)) networkInfo.set(network.name, info);
    network.subnets.forEach((subnet, subnetIndex) => {
      const path: Path = ["networks", networkIndex, "subnets", subnetIndex];
      const parsed = parseCidr(subnet.cidr);
      if (!parsed.ok) {
        report([...path, "cidr"], parsed.message);
        return;
      }
      const prefix = parsed.value;
      let gateway = defaultGateway(prefix);
      if (subnet.gateway !== undefined) {
        gateway = parseIpv4(subnet.gateway);
        const gatewayPath = [...path, "gateway"];
        const cidr = formatCidr(prefix);
        if (gateway === undefined) {
          report(gatewayPath, `${showValue(subnet.gateway)} is not an IPv4 address`);
        } else if (!prefixContains(prefix, gateway)) {
          report(gatewayPath, `${subnet.gateway} is outside ${cidr}`);
        } else {
          const reserved = reservedRole(prefix, gateway);
          if (reserved) report(gatewayPath, `${subnet.gateway} is the ${reserved} of ${cidr}`);
        }
      }
      const subnetInfo: SubnetInfo = { prefix, gateway, path, networkName: network.name, fixed: 0 };
      info.subnets.push(subnetInfo);
      allSubnets.push(subnetInfo);
    });
  });
  for (const [subnet, earlier] of findOverlaps(allSubnets)) {
    report(
      [...subnet.path, "cidr"],
      `${formatCidr(subnet.prefix)} overlaps ${formatCidr(earlier.prefix)} of network ${earlier.networkName} (${formatPath(earlier.path)})`,
    );
  }
  checkExternalSpace(file, networkInfo, context, report);

  // Fixed addresses: inside their network's subnets, not reserved, not taken twice.
  const taken = new Map<number, string>();
  const placeAddress = (path: Path, text: string, networkName: string, owner: string) => {
    const address = parseIpv4(text);
    if (address === undefined) {
      report(path, `${showValue(text)} is not an IPv4 address`);
      return;
    }
    const info = networkInfo.get(networkName);
    if (!info) return; // the missing network is reported where it is named
    const subnet = info.subnets.find((candidate) => prefixContains(candidate.prefix, address));
    if (!subnet) {
      const cidrs = info.subnets.map((candidate) => formatCidr(candidate.prefix)).join(", ");
      report(path, `${text} is outside the subnets of network ${networkName} (${cidrs})`);
      return;
    }
    const cidr = formatCidr(subnet.prefix);
    const reserved = reservedRole(subnet.prefix, address);
    if (reserved) {
      report(path, `${text} is the ${reserved} of ${cidr}`);
      return;
    }
    if (address === subnet.gateway) {
      report(path, `${text} is the gateway of ${cidr}`);
      return;
    }
    const holder = taken.get(address);
    if (holder !== undefined) {
      report(path, `${text} is already taken by ${holder}`);
      return;
    }
    taken.set(address, `${owner} (${formatPath(path)})`);
    subnet.fixed++;
  };

  // Workloads and their interfaces.
  (file.workloads ?? []).forEach((workload, workloadIndex) => {
    const base: Path = ["workloads", workloadIndex];
    if (workload.node !== undefined && context.nodes && !context.nodes.has(workload.node)) {
      report([...base, "node"], `node "${workload.node}" does not exist`);
    }
    const seenNetworks = new Map<string, number>();
    workload.interfaces.forEach((iface, interfaceIndex) => {
      const path: Path = [...base, "interfaces", interfaceIndex];
      const info = networkInfo.get(iface.network);
      if (!networks.has(iface.network)) {
        report([...path, "network"], `network "${iface.network}" does not exist`);
      } else {
        const first = seenNetworks.get(iface.network);
        if (first !== undefined) {
          report(
            [...path, "network"],
            `${workload.name} already has an interface on network ${iface.network} (interfaces[${first}])`,
          );
        } else {
          seenNetworks.set(iface.network, interfaceIndex);
        }
      }
      if (iface.ip !== undefined) {
        placeAddress([...path, "ip"], iface.ip, iface.network, workload.name);
      } else {
        info?.allocations.push(path);
      }
      (iface.securityGroups ?? []).forEach((group, groupIndex) => {
        if (!groups.has(group)) {
          report(
            [...path, "securityGroups", groupIndex],
            `security group "${group}" does not exist`,
          );
        }
      });
      if (iface.floatingIp) {
        const fipPath: Path = [...path, "floatingIp"];
        const poolIndex = pools.get(iface.floatingIp.pool);
        const pool = poolIndex === undefined ? undefined : file.floatingIpPools?.[poolIndex];
        if (!pool) {
          report(
            [...fipPath, "pool"],
            `floating IP pool "${iface.floatingIp.pool}" does not exist`,
          );
        } else if (iface.floatingIp.ip !== undefined) {
          const owner = `the floating IP of ${workload.name}`;
          placeAddress([...fipPath, "ip"], iface.floatingIp.ip, pool.network, owner);
        } else {
          networkInfo.get(pool.network)?.allocations.push(fipPath);
        }
      }
    });
  });

  // Security groups.
  (file.securityGroups ?? []).forEach((group, groupIndex) => {
    group.rules.forEach((rule, ruleIndex) => {
      const path: Path = ["securityGroups", groupIndex, "rules", ruleIndex];
      checkPorts(path, rule, report);
      if (rule.remote !== undefined) {
        checkEndpoint([...path, "remote"], rule.remote, networks, groups, true, report);
      }
    });
  });

  // Policies.
  (file.policies ?? []).forEach((policy, policyIndex) => {
    const base: Path = ["policies", policyIndex];
    policy.attach.forEach((name, attachIndex) => {
      if (!networks.has(name))
        report([...base, "attach", attachIndex], `network "${name}" does not exist`);
    });
    policy.rules.forEach((rule, ruleIndex) => {
      const path: Path = [...base, "rules", ruleIndex];
      checkRule(path, rule, networks, groups, report);
      const chain = rule.services ?? [];
      if (chain.length > 0 && rule.action === "deny") {
        report(
          [...path, "services"],
          "a deny rule takes no services: only allowed flows go through a service chain",
        );
      }
      chain.forEach((name, chainIndex) => {
        const servicePath = [...path, "services", chainIndex];
        const serviceIndex = services.get(name);
        const service = serviceIndex === undefined ? undefined : file.services?.[serviceIndex];
        if (!service) {
          report(servicePath, `service "${name}" does not exist`);
        } else if (!CHAIN_TYPES.has(service.type)) {
          report(
            servicePath,
            `${name} is a ${service.type} service; a chain takes firewall, load-balancer or nat services`,
          );
        }
      });
    });
  });

  // Services.
  (file.services ?? []).forEach((service, serviceIndex) => {
    const base: Path = ["services", serviceIndex];
    const requireNetwork = (path: Path, name: string) => {
      if (!networks.has(name) && !networkInfo.get(name)?.fabric) {
        report(path, `network "${name}" does not exist`);
        return undefined;
      }
      return networkInfo.get(name)?.network;
    };
    switch (service.type) {
      case "firewall":
        service.rules.forEach((rule, ruleIndex) => {
          checkRule([...base, "rules", ruleIndex], rule, networks, groups, report);
        });
        break;
      case "load-balancer":
        if (requireNetwork([...base, "network"], service.network)) {
          placeAddress(
            [...base, "vip"],
            service.vip,
            service.network,
            `the VIP of ${service.name}`,
          );
        }
        service.members.forEach((member, memberIndex) => {
          if (!workloads.has(member)) {
            report([...base, "members", memberIndex], `workload "${member}" does not exist`);
          }
        });
        break;
      case "nat": {
        service.inside.forEach((name, insideIndex) => {
          const network = requireNetwork([...base, "inside", insideIndex], name);
          if (network?.external) {
            report(
              [...base, "inside", insideIndex],
              `network ${name} is external: inside takes tenant networks`,
            );
          }
        });
        const outside = requireNetwork([...base, "outside"], service.outside);
        if (outside && !outside.external) {
          report([...base, "outside"], `network ${service.outside} is not external`);
        }
        if (outside) networkInfo.get(outside.name)?.allocations.push([...base, "outside"]);
        break;
      }
      case "dns":
        service.networks.forEach((name, networkIndex) => {
          requireNetwork([...base, "networks", networkIndex], name);
        });
        break;
      default:
        assertNever(service, "service");
    }
  });

  // Routers and floating IP pools.
  (file.routers ?? []).forEach((router, routerIndex) => {
    router.networks.forEach((name, networkIndex) => {
      if (!networks.has(name)) {
        report(
          ["routers", routerIndex, "networks", networkIndex],
          `network "${name}" does not exist`,
        );
      }
    });
  });
  (file.floatingIpPools ?? []).forEach((pool, poolIndex) => {
    const path: Path = ["floatingIpPools", poolIndex, "network"];
    const network = networkInfo.get(pool.network)?.network;
    if (!network) {
      report(
        path,
        `network "${pool.network}" does not exist (nor is it a fabric external network)`,
      );
    } else if (!network.external) {
      report(path, `network ${pool.network} is not external: a floating IP pool needs one`);
    }
  });

  // Assertions.
  const workloadNames = new Set(workloads.keys());
  (file.assertions ?? []).forEach((assertion, assertionIndex) => {
    checkAssertion(["assertions", assertionIndex], assertion, workloadNames, report);
  });

  // Addresses left to allocate, per network (after every fixed address is placed).
  // A fabric network's free addresses depend on other tenants: the allocator reports those.
  for (const info of networkInfo.values()) if (!info.fabric) checkExhaustion(info, report);

  return capProblems(sortProblems(problems, file));
}

/**
 * The checks of one assertion (or EXPECT line): ends are workloads of the tenant or IPv4
 * addresses, and a port only goes with tcp or udp.
 */
export function validateAssertion(
  assertion: Pick<Assertion, "from" | "to" | "protocol" | "port">,
  workloads: ReadonlySet<string>,
  path: Path = [],
): Problem[] {
  const problems: LocatedProblem[] = [];
  checkAssertion(path, assertion, workloads, (at, message) => problems.push({ path: at, message }));
  return sortProblems(problems, assertion);
}

type Report = (path: Path, message: string) => void;

function checkAssertion(
  path: Path,
  assertion: Pick<Assertion, "from" | "to" | "protocol" | "port">,
  workloads: ReadonlySet<string>,
  report: Report,
): void {
  for (const end of ["from", "to"] as const) {
    const problem = checkFlowEnd(assertion[end], workloads);
    if (problem) report([...path, end], problem);
  }
  if (assertion.port !== undefined && !portsAllowed(assertion.protocol)) {
    report([...path, "port"], `a port needs protocol tcp or udp, not ${assertion.protocol}`);
  }
}

function portsAllowed(protocol: Protocol): boolean {
  return protocol === "tcp" || protocol === "udp";
}

function checkPorts(
  path: Path,
  rule: { protocol?: Protocol | undefined; ports?: Ports | undefined },
  report: Report,
): void {
  if (rule.ports === undefined) return;
  const parsed = parsePorts(rule.ports);
  if (!parsed.ok) {
    report([...path, "ports"], parsed.message);
    return;
  }
  if (!portsAllowed(rule.protocol ?? "any")) {
    const protocol =
      rule.protocol === undefined ? "no protocol (any)" : `protocol ${rule.protocol}`;
    report([...path, "ports"], `ports need protocol tcp or udp; the rule has ${protocol}`);
  }
}

function checkRule(
  path: Path,
  rule: PolicyRule | FirewallRule,
  networks: ReadonlyMap<string, number>,
  groups: ReadonlyMap<string, number>,
  report: Report,
): void {
  checkPorts(path, rule, report);
  checkEndpoint([...path, "source"], rule.source, networks, groups, false, report);
  checkEndpoint([...path, "destination"], rule.destination, networks, groups, false, report);
}

function checkEndpoint(
  path: Path,
  text: string,
  networks: ReadonlyMap<string, number>,
  groups: ReadonlyMap<string, number>,
  groupsAllowed: boolean,
  report: Report,
): void {
  const endpoint = parseEndpoint(text);
  const field = path[path.length - 1];
  switch (endpoint.kind) {
    case "any":
    case "cidr":
      return;
    case "invalid":
      report(path, endpoint.message);
      return;
    case "name": {
      const isNetwork = networks.has(endpoint.name);
      const isGroup = groups.has(endpoint.name);
      if (groupsAllowed) {
        if (isNetwork && isGroup) {
          report(path, `"${endpoint.name}" names both a network and a security group`);
        } else if (!isNetwork && !isGroup) {
          report(path, `no network or security group is named "${endpoint.name}"`);
        }
      } else if (!isNetwork) {
        report(
          path,
          isGroup
            ? `"${endpoint.name}" is a security group; ${String(field)} takes a network, a CIDR or "any"`
            : `network "${endpoint.name}" does not exist`,
        );
      }
      return;
    }
    default:
      assertNever(endpoint, "endpoint");
  }
}

function checkExhaustion(info: NetworkInfo, report: Report): void {
  const needed = info.allocations.length;
  if (needed === 0 || info.subnets.length === 0) return;
  let free = 0;
  for (const subnet of info.subnets) {
    const gatewayInside =
      subnet.gateway !== undefined &&
      subnet.gateway >= firstHost(subnet.prefix) &&
      subnet.gateway <= lastHost(subnet.prefix);
    free += Math.max(0, hostCount(subnet.prefix) - (gatewayInside ? 1 : 0) - subnet.fixed);
  }
  if (needed <= free) return;
  const shown = info.allocations.slice(0, 3).map(formatPath).join(", ");
  const more = needed > 3 ? ` and ${needed - 3} more` : "";
  const cidrs = info.subnets.map((subnet) => formatCidr(subnet.prefix)).join(", ");
  const single = info.subnets.length === 1;
  const path: Path = single
    ? ["networks", info.index, "subnets", 0, "cidr"]
    : ["networks", info.index, "subnets"];
  report(
    path,
    `no address left to allocate: ${needed} needed (${shown}${more}), ${free} free in ${cidrs}`,
  );
}

/**
 * Spec section 1.1, outside addresses are one space: the fabric's external networks this tenant
 * may use join `networkInfo` (a tenant network of the same name would shadow one, so that is
 * refused), and the tenant's own external networks may not overlap any external network
 * declared elsewhere (reported without saying whose).
 */
function checkExternalSpace(
  file: IntentFile,
  networkInfo: Map<string, NetworkInfo>,
  context: ValidationContext,
  report: Report,
): void {
  for (const fabric of context.fabricExternalNetworks ?? []) {
    const index = (file.networks ?? []).findIndex((network) => network.name === fabric.name);
    if (index >= 0) {
      report(
        ["networks", index, "name"],
        `${fabric.name} is a fabric external network: use it by name without declaring it`,
      );
      continue;
    }
    const subnets: SubnetInfo[] = [];
    for (const subnet of fabric.subnets) {
      const prefix = parseCidr(subnet.cidr);
      if (!prefix.ok) continue; // the fabric file was checked when it was applied
      const gateway =
        subnet.gateway === undefined ? defaultGateway(prefix.value) : parseIpv4(subnet.gateway);
      subnets.push({ prefix: prefix.value, gateway, path: [], networkName: fabric.name, fixed: 0 });
    }
    networkInfo.set(fabric.name, {
      index: -1,
      fabric: true,
      network: { name: fabric.name, external: true, subnets: [...fabric.subnets] } as Network,
      subnets,
      allocations: [],
    });
  }
  const foreign: Ipv4Prefix[] = [];
  for (const cidr of context.foreignExternalSubnets ?? []) {
    const prefix = parseCidr(cidr);
    if (prefix.ok) foreign.push(prefix.value);
  }
  if (foreign.length === 0) return;
  for (const info of networkInfo.values()) {
    if (info.fabric || !info.network.external) continue;
    for (const subnet of info.subnets) {
      const clash = foreign.find((other) => prefixesOverlap(other, subnet.prefix));
      if (clash) {
        report(
          [...subnet.path, "cidr"],
          `${formatCidr(subnet.prefix)} overlaps ${formatCidr(clash)}, an external network declared outside this tenant: outside addresses are one space for the whole fabric`,
        );
      }
    }
  }
}

function prefixesOverlap(a: Ipv4Prefix, b: Ipv4Prefix): boolean {
  return prefixContains(a, b.network) || prefixContains(b, a.network);
}

/** "network address" or "broadcast address" when the address is one of them, else undefined. */
function reservedRole(prefix: Ipv4Prefix, address: number): string | undefined {
  if (!hasNetworkAndBroadcast(prefix)) return undefined;
  if (address === prefix.network) return "network address";
  if (address === broadcastAddress(prefix)) return "broadcast address";
  return undefined;
}

type NamedKind =
  | "networks"
  | "workloads"
  | "securityGroups"
  | "policies"
  | "services"
  | "routers"
  | "floatingIpPools"
  | "assertions";

/** name → index of its first object; reports every later object with the same name. */
function indexNames(
  file: IntentFile,
  kind: NamedKind,
  label: string,
  report: Report,
): Map<string, number> {
  const names = new Map<string, number>();
  const items: readonly { name: string }[] = file[kind] ?? [];
  items.forEach((item, index) => {
    const first = names.get(item.name);
    if (first === undefined) names.set(item.name, index);
    else
      report([kind, index, "name"], `duplicate ${label} name "${item.name}" (${kind}[${first}])`);
  });
  return names;
}

/**
 * Each subnet that overlaps one listed before it, with the earliest such one. Prefixes either
 * nest or are disjoint, so the earlier overlapping ones are its ancestors (found by exact
 * lookup per prefix length) or its descendants (a range of the subnets sorted by address).
 * Linear-ish: at most 33 lookups each, and each subnet is scanned by at most 33 ancestors.
 */
function findOverlaps(subnets: readonly SubnetInfo[]): [SubnetInfo, SubnetInfo][] {
  const key = (network: number, length: number) => network * 64 + length;
  const firstIndex = new Map<number, number>();
  subnets.forEach((subnet, index) => {
    const k = key(subnet.prefix.network, subnet.prefix.length);
    if (!firstIndex.has(k)) firstIndex.set(k, index);
  });
  const sorted = subnets
    .map((subnet, index) => ({ subnet, index }))
    .sort(
      (a, b) =>
        a.subnet.prefix.network - b.subnet.prefix.network ||
        a.subnet.prefix.length - b.subnet.prefix.length ||
        a.index - b.index,
    );
  const overlaps: [SubnetInfo, SubnetInfo][] = [];
  subnets.forEach((subnet, index) => {
    const { network, length } = subnet.prefix;
    let earliest = Number.POSITIVE_INFINITY;
    for (let ancestorLength = 0; ancestorLength <= length; ancestorLength++) {
      const ancestor = firstIndex.get(
        key((network & prefixMask(ancestorLength)) >>> 0, ancestorLength),
      );
      if (ancestor !== undefined && ancestor < index) earliest = Math.min(earliest, ancestor);
    }
    // Descendants: only the first subnet of each prefix scans; later copies overlap it anyway.
    if (firstIndex.get(key(network, length)) === index) {
      const end = broadcastAddress(subnet.prefix);
      let low = 0;
      let high = sorted.length;
      while (low < high) {
        const middle = (low + high) >> 1;
        const entry = sorted[middle];
        if (entry && entry.subnet.prefix.network < network) low = middle + 1;
        else high = middle;
      }
      for (let i = low; i < sorted.length; i++) {
        const entry = sorted[i];
        if (!entry || entry.subnet.prefix.network > end) break;
        if (entry.subnet.prefix.length > length && entry.index < index) {
          earliest = Math.min(earliest, entry.index);
        }
      }
    }
    const earlier = subnets[earliest];
    if (earlier) overlaps.push([subnet, earlier]);
  });
  return overlaps;
}
