import type { FabricNodeSpec, IntentFile } from "@netloom/model";
import type { CompileInput, TenantInput } from "../src/config";

/*
 * Seeded, fully resolved fixtures for the benchmark and the property tests. Intents are built
 * as plain objects of the schema's shape (names are valid by construction) and cast once.
 */

/** mulberry32: a small seeded PRNG, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface Random {
  next(): number;
  int(limit: number): number;
  pick<T>(items: readonly T[]): T;
  chance(probability: number): boolean;
}

export function random(seed: number): Random {
  const next = seededRandom(seed);
  return {
    next,
    int: (limit) => Math.floor(next() * limit),
    pick: (items) => {
      const item = items[Math.floor(next() * items.length)];
      if (item === undefined) throw new Error("pick from an empty list");
      return item;
    },
    chance: (probability) => next() < probability,
  };
}

export interface FixtureSize {
  tenants: number;
  nodes: number;
  networksPerTenant: number;
  workloadsPerTenant: number;
  rulesPerTenant: number;
  groupsPerTenant: number;
  /** Rules per policy (default 5). */
  rulesPerPolicy?: number;
  /** Nodes a tenant's workloads spread over (random placement among them). */
  nodesPerTenant: number;
}

export const BENCH_SIZE: FixtureSize = {
  tenants: 100,
  nodes: 1000,
  networksPerTenant: 20,
  workloadsPerTenant: 100,
  rulesPerTenant: 50,
  groupsPerTenant: 10,
  nodesPerTenant: 1000,
};

export function fabricNodes(count: number): FabricNodeSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    name: `node-${i}`,
    underlay: `198.${18 + Math.floor(i / 65536)}.${Math.floor(i / 256) % 256}.${i % 256}`,
  })) as FabricNodeSpec[];
}

type Plain = Record<string, unknown>;

/** A network's CIDR in a tenant: 10.<i / 256>.<i % 256>.0/24 (tenants reuse ranges). */
function cidrOf(index: number): string {
  return `10.${Math.floor(index / 256)}.${index % 256}.0/24`;
}

/** One resolved tenant: every workload placed, every address given, every VNI allocated. */
export function makeTenant(
  rng: Random,
  tenantIndex: number,
  size: FixtureSize,
  nodes: readonly FabricNodeSpec[],
): TenantInput {
  const name = `tenant-${tenantIndex}`;
  const networks: Plain[] = [];
  const networkCount = size.networksPerTenant;
  for (let i = 0; i < networkCount; i++) {
    networks.push({ name: `net-${i}`, subnets: [{ cidr: cidrOf(i) }] });
  }
  networks.push({ name: "public", external: true, subnets: [{ cidr: "203.0.113.0/24" }] });
  const nextHost = new Array<number>(networkCount).fill(10);
  let nextPublic = 10;
  const firstNode = (tenantIndex * 37) % nodes.length;
  const groups: Plain[] = [];
  for (let g = 0; g < size.groupsPerTenant; g++) {
    const rules: Plain[] = [
      { direction: "egress", protocol: "any" },
      {
        direction: "ingress",
        protocol: rng.pick(["tcp", "udp"]),
        ports: rng.pick([22, 80, 443, 5432, 8080, "8000-8100"]),
        remote: rng.chance(0.5)
          ? `sg-${rng.int(size.groupsPerTenant)}`
          : `net-${rng.int(networkCount)}`,
      },
      { direction: "ingress", protocol: "icmp", remote: "10.0.0.0/8" },
    ];
    groups.push({ name: `sg-${g}`, rules });
  }
  const workloads: Plain[] = [];
  for (let w = 0; w < size.workloadsPerTenant; w++) {
    const interfaceCount = rng.chance(0.2) ? 2 : 1;
    const interfaces: Plain[] = [];
    const used = new Set<number>();
    for (let k = 0; k < interfaceCount; k++) {
      let network = rng.int(networkCount);
      while (used.has(network)) network = (network + 1) % networkCount;
      used.add(network);
      const host = nextHost[network] ?? 10;
      nextHost[network] = host + 1;
      const base = cidrOf(network).split(".");
      const iface: Plain = {
        network: `net-${network}`,
        ip: `${base[0]}.${base[1]}.${base[2]}.${host}`,
      };
      if (rng.chance(0.6)) iface.securityGroups = [`sg-${rng.int(size.groupsPerTenant)}`];
      if (k === 0 && rng.chance(0.05))
        iface.floatingIp = { pool: "fip", ip: `203.0.113.${nextPublic++}` };
      interfaces.push(iface);
    }
    const node = nodes[(firstNode + rng.int(size.nodesPerTenant)) % nodes.length];
    workloads.push({ name: `wl-${w}`, node: node?.name, interfaces });
  }
  const policies: Plain[] = [];
  const perPolicy = size.rulesPerPolicy ?? 5;
  const policyCount = Math.max(1, Math.round(size.rulesPerTenant / perPolicy));
  let rulesLeft = size.rulesPerTenant;
  for (let p = 0; p < policyCount; p++) {
    const a = rng.int(networkCount);
    const b = (a + 1 + rng.int(networkCount - 1)) % networkCount;
    const rules: Plain[] = [];
    const count = p === policyCount - 1 ? rulesLeft : Math.min(rulesLeft, perPolicy);
    rulesLeft -= count;
    for (let r = 0; r < count; r++) {
      const protocol = rng.pick(["tcp", "udp", "icmp", "any"] as const);
      const rule: Plain = {
        action: rng.chance(0.8) ? "allow" : "deny",
        protocol,
        source: rng.chance(0.1) ? "any" : `net-${rng.chance(0.5) ? a : b}`,
        destination: rng.chance(0.1) ? cidrOf(b) : `net-${rng.chance(0.5) ? b : a}`,
        direction: rng.chance(0.7) ? "<>" : ">",
      };
      if (protocol === "tcp" || protocol === "udp")
        rule.ports = rng.pick([22, 80, 443, 5432, "8000-8100", "53,853"]);
      if (rule.action === "allow" && rng.chance(0.05)) rule.services = ["fw"];
      rules.push(rule);
    }
    policies.push({ name: `pol-${p}`, attach: [`net-${a}`, `net-${b}`], rules });
  }
  const members = [`wl-0`, `wl-1`];
  const services: Plain[] = [
    {
      name: "fw",
      type: "firewall",
      rules: [
        { action: "deny", protocol: "tcp", source: "any", destination: "any", ports: 22 },
        { action: "allow", protocol: "any", source: "any", destination: "any" },
      ],
    },
    { name: "nat", type: "nat", inside: ["net-0", "net-1"], outside: "public" },
    {
      name: "lb",
      type: "load-balancer",
      network: "net-0",
      vip: "10.0.0.250",
      protocol: "tcp",
      port: 80,
      members,
      memberPort: 8080,
    },
    { name: "dns", type: "dns", domain: `${name}.internal`, networks: ["net-0", "net-2"] },
  ];
  const intent = {
    apiVersion: "netloom/v1",
    tenant: name,
    networks,
    workloads,
    securityGroups: groups,
    policies,
    services,
    routers: [{ name: "r1", networks: ["net-3", "net-4", "net-5"] }],
    floatingIpPools: [{ name: "fip", network: "public" }],
  } as unknown as IntentFile;
  const vnis: Record<string, number> = {};
  networks.forEach((network, i) => {
    vnis[String(network.name)] = 10_000 + tenantIndex * 100 + i;
  });
  return { id: `tid-${tenantIndex}`, intent, vnis, natAddresses: { nat: "203.0.113.2" } };
}

export function makeFixture(seed: number, size: FixtureSize): CompileInput {
  const rng = random(seed);
  const nodes = fabricNodes(size.nodes);
  const tenants: TenantInput[] = [];
  for (let t = 0; t < size.tenants; t++) tenants.push(makeTenant(rng, t, size, nodes));
  return { fabric: { nodes }, tenants };
}

/**
 * One random object-level edit of a tenant's intent (returns a new intent, the old one is left
 * alone): add/remove/modify networks, workloads, policies, rules, groups, or move a workload.
 */
export function editTenant(
  rng: Random,
  input: TenantInput,
  nodes: readonly FabricNodeSpec[],
): {
  tenant: TenantInput;
  what: string;
} {
  const intent = structuredClone(input.intent) as unknown as {
    networks: Plain[];
    workloads: Plain[];
    securityGroups: Plain[];
    policies: Plain[];
  };
  intent.networks ??= [];
  intent.workloads ??= [];
  intent.securityGroups ??= [];
  intent.policies ??= [];
  const vnis = { ...input.vnis };
  const internal = intent.networks.filter((network) => network.external !== true);
  const netNames = internal.map((network) => String(network.name));
  const kind = rng.int(11);
  let what = "";
  const freshHost = (network: string): string | undefined => {
    const net = intent.networks.find((candidate) => candidate.name === network);
    const cidr = String((net?.subnets as { cidr: string }[] | undefined)?.[0]?.cidr ?? "");
    const base = cidr.split(".");
    const taken = new Set<string>();
    for (const workload of intent.workloads) {
      for (const iface of workload.interfaces as Plain[]) taken.add(String(iface.ip));
    }
    for (let host = 10; host < 250; host++) {
      const ip = `${base[0]}.${base[1]}.${base[2]}.${host}`;
      if (!taken.has(ip)) return ip;
    }
    return undefined;
  };
  switch (kind) {
    case 0: {
      // add a network
      let index = 0;
      while (netNames.includes(`net-${index}`)) index++;
      intent.networks.push({ name: `net-${index}`, subnets: [{ cidr: cidrOf(200 + index) }] });
      vnis[`net-${index}`] = 90_000 + index;
      what = `add network net-${index}`;
      break;
    }
    case 1: {
      // remove a network and whatever points at it
      if (netNames.length <= 2) break;
      const victim = rng.pick(netNames);
      intent.networks = intent.networks.filter((network) => network.name !== victim);
      for (const workload of intent.workloads) {
        workload.interfaces = (workload.interfaces as Plain[]).filter(
          (iface) => iface.network !== victim,
        );
      }
      intent.workloads = intent.workloads.filter(
        (workload) => (workload.interfaces as Plain[]).length > 0,
      );
      for (const policy of intent.policies) {
        policy.attach = (policy.attach as string[]).filter((network) => network !== victim);
      }
      what = `remove network ${victim}`;
      break;
    }
    case 2: {
      // modify a network: its gateway
      const network = rng.pick(internal);
      const subnet = (network.subnets as Plain[])[0];
      if (subnet) {
        const base = String(subnet.cidr).split(".");
        subnet.gateway = `${base[0]}.${base[1]}.${base[2]}.${rng.chance(0.5) ? 1 : 254}`;
      }
      what = `modify network ${String(network.name)}`;
      break;
    }
    case 3: {
      // add a workload
      const network = rng.pick(netNames);
      const ip = freshHost(network);
      if (ip === undefined) break;
      const name = `new-${rng.int(1_000_000)}`;
      const iface: Plain = { network, ip };
      if (rng.chance(0.5) && intent.securityGroups.length > 0) {
        iface.securityGroups = [String(rng.pick(intent.securityGroups).name)];
      }
      intent.workloads.push({ name, node: rng.pick(nodes).name, interfaces: [iface] });
      what = `add workload ${name}`;
      break;
    }
    case 4: {
      // remove a workload
      if (intent.workloads.length === 0) break;
      const index = rng.int(intent.workloads.length);
      what = `remove workload ${String(intent.workloads[index]?.name)}`;
      intent.workloads.splice(index, 1);
      break;
    }
    case 5: {
      // move a workload to another node
      if (intent.workloads.length === 0) break;
      const workload = rng.pick(intent.workloads);
      workload.node = rng.pick(nodes).name;
      what = `move workload ${String(workload.name)}`;
      break;
    }
    case 6: {
      // modify a workload's security groups
      if (intent.workloads.length === 0 || intent.securityGroups.length === 0) break;
      const workload = rng.pick(intent.workloads);
      const iface = (workload.interfaces as Plain[])[0];
      if (iface)
        iface.securityGroups = rng.chance(0.3)
          ? []
          : [String(rng.pick(intent.securityGroups).name)];
      what = `modify workload ${String(workload.name)}`;
      break;
    }
    case 7: {
      // add or remove a policy
      if (rng.chance(0.5) && intent.policies.length > 0) {
        const index = rng.int(intent.policies.length);
        what = `remove policy ${String(intent.policies[index]?.name)}`;
        intent.policies.splice(index, 1);
      } else {
        const a = rng.pick(netNames);
        const b = rng.pick(netNames);
        const name = `pol-new-${rng.int(1_000_000)}`;
        intent.policies.push({
          name,
          attach: [a, b],
          rules: [{ action: "allow", protocol: "tcp", source: a, destination: b, ports: 80 }],
        });
        what = `add policy ${name}`;
      }
      break;
    }
    case 8: {
      // add, remove or modify a rule of a policy
      if (intent.policies.length === 0) break;
      const policy = rng.pick(intent.policies);
      const rules = policy.rules as Plain[];
      const choice = rng.int(3);
      if (choice === 0 || rules.length === 0) {
        rules.splice(rng.int(rules.length + 1), 0, {
          action: rng.chance(0.5) ? "allow" : "deny",
          protocol: "tcp",
          source: rng.chance(0.2) ? "any" : rng.pick(netNames),
          destination: rng.pick(netNames),
          ports: rng.pick([22, 80, 443]),
          direction: rng.chance(0.5) ? "<>" : ">",
        });
      } else if (choice === 1) {
        rules.splice(rng.int(rules.length), 1);
      } else {
        const rule = rng.pick(rules);
        rule.action = rule.action === "allow" ? "deny" : "allow";
        delete rule.services;
      }
      what = `modify rules of ${String(policy.name)}`;
      break;
    }
    case 9: {
      // add or remove a security group
      if (rng.chance(0.5) && intent.securityGroups.length > 1) {
        const index = rng.int(intent.securityGroups.length);
        const victim = String(intent.securityGroups[index]?.name);
        intent.securityGroups.splice(index, 1);
        for (const workload of intent.workloads) {
          for (const iface of workload.interfaces as Plain[]) {
            if (Array.isArray(iface.securityGroups)) {
              iface.securityGroups = (iface.securityGroups as string[]).filter(
                (group) => group !== victim,
              );
            }
          }
        }
        for (const group of intent.securityGroups) {
          group.rules = (group.rules as Plain[]).filter((rule) => rule.remote !== victim);
        }
        what = `remove group ${victim}`;
      } else {
        const name = `sg-new-${rng.int(1_000_000)}`;
        intent.securityGroups.push({
          name,
          rules: [{ direction: "ingress", protocol: "tcp", ports: 22, remote: rng.pick(netNames) }],
        });
        what = `add group ${name}`;
      }
      break;
    }
    default: {
      // modify a security group's rules
      if (intent.securityGroups.length === 0) break;
      const group = rng.pick(intent.securityGroups);
      const rules = group.rules as Plain[];
      if (rng.chance(0.5) && rules.length > 0) rules.splice(rng.int(rules.length), 1);
      else {
        rules.push({
          direction: rng.chance(0.5) ? "ingress" : "egress",
          protocol: "tcp",
          ports: rng.pick([80, 443, 8080]),
          remote: rng.chance(0.5) ? String(rng.pick(intent.securityGroups).name) : "0.0.0.0/0",
        });
      }
      what = `modify group ${String(group.name)}`;
    }
  }
  return {
    tenant: { ...input, intent: intent as unknown as IntentFile, vnis },
    what: what || "no-op edit",
  };
}

/**
 * A tenant at the default quotas' edge: 2,000 workloads on 20 networks over 50 nodes, 20,000
 * rules (40 groups of 3 rules, 2 firewall rules, 497 policies of up to 40 rules), within the
 * 500-policy quota.
 */
export const QUOTA_MAX_SIZE: FixtureSize = {
  tenants: 1,
  nodes: 50,
  networksPerTenant: 20,
  workloadsPerTenant: 2000,
  rulesPerTenant: 20_000 - 40 * 3 - 2,
  groupsPerTenant: 40,
  nodesPerTenant: 50,
  rulesPerPolicy: 40,
};
