import type { Protocol, Verdict } from "@netloom/model";
import { describe, expect, it } from "vitest";
import { compile, trace } from "../src";
import { inputOf, intent } from "./helpers";

interface Case {
  from: string;
  to: string;
  protocol: Protocol;
  port?: number;
  verdict: Verdict;
  /** The rule that decided (trace result `rule`), when checked. */
  rule?: string;
  /** A rule id that must appear on some hop. */
  hop?: string;
}

interface Scenario {
  name: string;
  tenant: unknown;
  cases: Case[];
}

const twoNets = [
  { name: "x", subnets: [{ cidr: "10.1.0.0/24" }] },
  { name: "y", subnets: [{ cidr: "10.2.0.0/24" }] },
];
const twoWorkloads = [
  { name: "x-1", node: "compute-1", interfaces: [{ network: "x", ip: "10.1.0.10" }] },
  { name: "y-1", node: "compute-2", interfaces: [{ network: "y", ip: "10.2.0.10" }] },
];
const public24 = { name: "public", external: true, subnets: [{ cidr: "203.0.113.0/24" }] };

const scenarios: Scenario[] = [
  {
    name: "rule 1: same network, subject to security groups",
    tenant: {
      tenant: "t1",
      networks: [twoNets[0]],
      workloads: [
        { name: "a", node: "compute-1", interfaces: [{ network: "x", ip: "10.1.0.10" }] },
        {
          name: "b",
          node: "compute-2",
          interfaces: [{ network: "x", ip: "10.1.0.11", securityGroups: ["web"] }],
        },
      ],
      securityGroups: [
        { name: "web", rules: [{ direction: "ingress", protocol: "tcp", ports: 80 }] },
      ],
    },
    cases: [
      {
        from: "a",
        to: "b",
        protocol: "tcp",
        port: 80,
        verdict: "allow",
        hop: "implicit:same-network",
      },
      {
        from: "a",
        to: "b",
        protocol: "tcp",
        port: 22,
        verdict: "deny",
        rule: "implicit:sg-default:web",
      },
      {
        from: "b",
        to: "a",
        protocol: "tcp",
        port: 22,
        verdict: "deny",
        rule: "implicit:sg-default:web",
      },
      { from: "a", to: "10.1.0.11", protocol: "tcp", port: 80, verdict: "allow" },
    ],
  },
  {
    name: "rule 2: both ends must allow",
    tenant: {
      tenant: "t2",
      networks: twoNets,
      workloads: twoWorkloads,
      policies: [
        {
          name: "only-x",
          attach: ["x"],
          rules: [{ action: "allow", protocol: "tcp", source: "x", destination: "y", ports: 80 }],
        },
        {
          name: "y-ssh",
          attach: ["y"],
          rules: [{ action: "allow", protocol: "tcp", source: "x", destination: "y", ports: 22 }],
        },
      ],
    },
    cases: [
      {
        from: "x-1",
        to: "y-1",
        protocol: "tcp",
        port: 80,
        verdict: "deny",
        rule: "implicit:no-match:y",
      },
      {
        from: "x-1",
        to: "y-1",
        protocol: "tcp",
        port: 22,
        verdict: "deny",
        rule: "implicit:no-match:x",
      },
      {
        from: "x-1",
        to: "y-1",
        protocol: "udp",
        port: 80,
        verdict: "deny",
        rule: "implicit:no-match:x",
      },
    ],
  },
  {
    name: "rule 2: `<>` matches the swapped flow, `>` does not",
    tenant: {
      tenant: "t3",
      networks: twoNets,
      workloads: twoWorkloads,
      policies: [
        {
          name: "p",
          attach: ["x", "y"],
          rules: [
            { action: "allow", protocol: "tcp", source: "x", destination: "y", ports: 80 },
            {
              action: "allow",
              protocol: "udp",
              source: "x",
              destination: "y",
              ports: 53,
              direction: ">",
            },
          ],
        },
      ],
    },
    cases: [
      { from: "x-1", to: "y-1", protocol: "tcp", port: 80, verdict: "allow", hop: "policy:p/0" },
      { from: "y-1", to: "x-1", protocol: "tcp", port: 80, verdict: "allow", hop: "policy:p/0" },
      {
        from: "y-1",
        to: "x-1",
        protocol: "tcp",
        port: 81,
        verdict: "deny",
        rule: "implicit:no-match:y",
      },
      { from: "x-1", to: "y-1", protocol: "udp", port: 53, verdict: "allow" },
      {
        from: "y-1",
        to: "x-1",
        protocol: "udp",
        port: 53,
        verdict: "deny",
        rule: "implicit:no-match:y",
      },
    ],
  },
  {
    name: "rule 2: first match wins across policies in file order",
    tenant: {
      tenant: "t4",
      networks: twoNets,
      workloads: twoWorkloads,
      policies: [
        {
          name: "deny-web",
          attach: ["x", "y"],
          rules: [{ action: "deny", protocol: "tcp", source: "x", destination: "y", ports: 80 }],
        },
        {
          name: "allow-all",
          attach: ["x", "y"],
          rules: [{ action: "allow", protocol: "any", source: "any", destination: "any" }],
        },
      ],
    },
    cases: [
      {
        from: "x-1",
        to: "y-1",
        protocol: "tcp",
        port: 80,
        verdict: "deny",
        rule: "policy:deny-web/0",
      },
      {
        from: "x-1",
        to: "y-1",
        protocol: "tcp",
        port: 81,
        verdict: "allow",
        hop: "policy:allow-all/0",
      },
      {
        from: "y-1",
        to: "x-1",
        protocol: "tcp",
        port: 80,
        verdict: "deny",
        rule: "policy:deny-web/0",
      },
      { from: "x-1", to: "y-1", protocol: "icmp", verdict: "allow" },
    ],
  },
  {
    name: "rule 2: first match wins, the allow first",
    tenant: {
      tenant: "t4b",
      networks: twoNets,
      workloads: twoWorkloads,
      policies: [
        {
          name: "allow-all",
          attach: ["x", "y"],
          rules: [{ action: "allow", protocol: "any", source: "any", destination: "any" }],
        },
        {
          name: "deny-web",
          attach: ["x", "y"],
          rules: [{ action: "deny", protocol: "tcp", source: "x", destination: "y", ports: 80 }],
        },
      ],
    },
    cases: [
      {
        from: "x-1",
        to: "y-1",
        protocol: "tcp",
        port: 80,
        verdict: "allow",
        hop: "policy:allow-all/0",
      },
    ],
  },
  {
    name: "rule 3: router joins networks, an explicit deny still denies",
    tenant: {
      tenant: "t5",
      networks: twoNets,
      workloads: twoWorkloads,
      routers: [{ name: "r1", networks: ["x", "y"] }],
      policies: [
        {
          name: "no-ssh",
          attach: ["y"],
          rules: [{ action: "deny", protocol: "tcp", source: "any", destination: "y", ports: 22 }],
        },
      ],
    },
    cases: [
      { from: "x-1", to: "y-1", protocol: "tcp", port: 80, verdict: "allow", hop: "router:r1" },
      {
        from: "x-1",
        to: "y-1",
        protocol: "tcp",
        port: 22,
        verdict: "deny",
        rule: "policy:no-ssh/0",
      },
      // `<>` (the default) also matches y-1 -> x-1 swapped: x-1 (any) -> y-1.
      {
        from: "y-1",
        to: "x-1",
        protocol: "tcp",
        port: 22,
        verdict: "deny",
        rule: "policy:no-ssh/0",
      },
      { from: "y-1", to: "x-1", protocol: "icmp", verdict: "allow", hop: "router:r1" },
    ],
  },
  {
    name: "rule 4: security group with a group as remote",
    tenant: {
      tenant: "t6",
      networks: [twoNets[0]],
      workloads: [
        {
          name: "app-1",
          node: "compute-1",
          interfaces: [{ network: "x", ip: "10.1.0.10", securityGroups: ["app"] }],
        },
        { name: "other-1", node: "compute-1", interfaces: [{ network: "x", ip: "10.1.0.11" }] },
        {
          name: "db-1",
          node: "compute-2",
          interfaces: [{ network: "x", ip: "10.1.0.12", securityGroups: ["db"] }],
        },
      ],
      securityGroups: [
        { name: "app", rules: [{ direction: "egress" }] },
        {
          name: "db",
          rules: [{ direction: "ingress", protocol: "tcp", ports: 5432, remote: "app" }],
        },
      ],
    },
    cases: [
      { from: "app-1", to: "db-1", protocol: "tcp", port: 5432, verdict: "allow", hop: "sg:db/0" },
      {
        from: "other-1",
        to: "db-1",
        protocol: "tcp",
        port: 5432,
        verdict: "deny",
        rule: "implicit:sg-default:db",
      },
      {
        from: "app-1",
        to: "db-1",
        protocol: "tcp",
        port: 22,
        verdict: "deny",
        rule: "implicit:sg-default:db",
      },
      {
        from: "db-1",
        to: "app-1",
        protocol: "tcp",
        port: 22,
        verdict: "deny",
        rule: "implicit:sg-default:db",
      },
      { from: "app-1", to: "other-1", protocol: "udp", port: 9, verdict: "allow", hop: "sg:app/0" },
    ],
  },
  {
    name: "rule 5: service chain whose firewall denies",
    tenant: {
      tenant: "t7",
      networks: twoNets,
      workloads: twoWorkloads,
      policies: [
        {
          name: "p",
          attach: ["x", "y"],
          rules: [
            { action: "allow", protocol: "tcp", source: "x", destination: "y", services: ["fw1"] },
          ],
        },
      ],
      services: [
        {
          name: "fw1",
          type: "firewall",
          rules: [
            { action: "allow", protocol: "tcp", source: "any", destination: "any", ports: 80 },
            { action: "deny", protocol: "tcp", source: "any", destination: "any", ports: 22 },
          ],
        },
      ],
    },
    cases: [
      {
        from: "x-1",
        to: "y-1",
        protocol: "tcp",
        port: 80,
        verdict: "allow",
        hop: "firewall:fw1/0",
      },
      {
        from: "x-1",
        to: "y-1",
        protocol: "tcp",
        port: 22,
        verdict: "deny",
        rule: "firewall:fw1/1",
      },
      {
        from: "x-1",
        to: "y-1",
        protocol: "tcp",
        port: 443,
        verdict: "deny",
        rule: "implicit:firewall-default:fw1",
      },
    ],
  },
  {
    name: "rule 6: floating IP inbound and outbound",
    tenant: {
      tenant: "t8",
      networks: [twoNets[0], public24],
      floatingIpPools: [{ name: "pool", network: "public" }],
      workloads: [
        {
          name: "w1",
          node: "compute-1",
          interfaces: [
            {
              network: "x",
              ip: "10.1.0.10",
              securityGroups: ["ssh"],
              floatingIp: { pool: "pool", ip: "203.0.113.50" },
            },
          ],
        },
        { name: "w2", node: "compute-2", interfaces: [{ network: "x", ip: "10.1.0.11" }] },
      ],
      securityGroups: [
        {
          name: "ssh",
          rules: [
            { direction: "ingress", protocol: "tcp", ports: 22 },
            { direction: "egress", protocol: "tcp", ports: "443" },
          ],
        },
      ],
    },
    cases: [
      {
        from: "203.0.113.7",
        to: "203.0.113.50",
        protocol: "tcp",
        port: 22,
        verdict: "allow",
        hop: "fip:w1/0",
      },
      {
        from: "203.0.113.7",
        to: "203.0.113.50",
        protocol: "tcp",
        port: 80,
        verdict: "deny",
        rule: "implicit:sg-default:ssh",
      },
      { from: "203.0.113.7", to: "10.1.0.10", protocol: "tcp", port: 22, verdict: "deny" },
      {
        from: "w1",
        to: "203.0.113.7",
        protocol: "tcp",
        port: 443,
        verdict: "allow",
        rule: "fip:w1/0",
      },
      {
        from: "w1",
        to: "203.0.113.7",
        protocol: "tcp",
        port: 80,
        verdict: "deny",
        rule: "implicit:sg-default:ssh",
      },
      {
        from: "w2",
        to: "203.0.113.7",
        protocol: "tcp",
        port: 443,
        verdict: "deny",
        rule: "implicit:no-match:public",
      },
    ],
  },
  {
    name: "rule 6: NAT is outbound only",
    tenant: {
      tenant: "t9",
      networks: [...twoNets, public24],
      workloads: twoWorkloads,
      services: [{ name: "nat1", type: "nat", inside: ["x"], outside: "public" }],
    },
    cases: [
      {
        from: "x-1",
        to: "203.0.113.7",
        protocol: "tcp",
        port: 443,
        verdict: "allow",
        rule: "nat:nat1",
      },
      { from: "y-1", to: "203.0.113.7", protocol: "tcp", port: 443, verdict: "deny" },
      { from: "203.0.113.7", to: "10.1.0.10", protocol: "tcp", port: 22, verdict: "deny" },
      // The resolver gives nat1 the first free host of public: 203.0.113.2.
      {
        from: "203.0.113.7",
        to: "203.0.113.2",
        protocol: "tcp",
        port: 22,
        verdict: "deny",
        rule: "nat:nat1",
      },
    ],
  },
  {
    name: "rule 7: load balancer VIP",
    tenant: {
      tenant: "t10",
      networks: twoNets,
      workloads: [
        {
          name: "web-1",
          node: "compute-2",
          interfaces: [{ network: "y", ip: "10.2.0.10", securityGroups: ["web"] }],
        },
        {
          name: "web-2",
          node: "compute-1",
          interfaces: [{ network: "y", ip: "10.2.0.11", securityGroups: ["locked"] }],
        },
        { name: "client", node: "compute-1", interfaces: [{ network: "x", ip: "10.1.0.10" }] },
        { name: "stranger", node: "compute-1", interfaces: [{ network: "x", ip: "10.1.0.11" }] },
      ],
      securityGroups: [
        {
          name: "web",
          rules: [{ direction: "ingress", protocol: "tcp", ports: 8080, remote: "10.1.0.10/32" }],
        },
        { name: "locked", rules: [] },
      ],
      policies: [
        {
          name: "to-web",
          attach: ["x", "y"],
          rules: [{ action: "allow", protocol: "tcp", source: "x", destination: "y", ports: 80 }],
        },
      ],
      services: [
        {
          name: "lb1",
          type: "load-balancer",
          network: "y",
          vip: "10.2.0.100",
          protocol: "tcp",
          port: 80,
          members: ["web-2", "web-1"],
          memberPort: 8080,
        },
      ],
    },
    cases: [
      {
        from: "client",
        to: "10.2.0.100",
        protocol: "tcp",
        port: 80,
        verdict: "allow",
        rule: "lb:lb1",
      },
      {
        from: "client",
        to: "10.2.0.100",
        protocol: "tcp",
        port: 81,
        verdict: "deny",
        rule: "lb:lb1",
      },
      {
        from: "client",
        to: "10.2.0.100",
        protocol: "udp",
        port: 80,
        verdict: "deny",
        rule: "lb:lb1",
      },
      {
        from: "stranger",
        to: "10.2.0.100",
        protocol: "tcp",
        port: 80,
        verdict: "deny",
        rule: "implicit:sg-default:web",
      },
      { from: "web-2", to: "10.2.0.100", protocol: "tcp", port: 80, verdict: "deny" },
      {
        from: "client",
        to: "web-1",
        protocol: "tcp",
        port: 80,
        verdict: "deny",
        rule: "implicit:sg-default:web",
      },
    ],
  },
  {
    name: "rule 8: DNS at the gateway",
    tenant: {
      tenant: "t11",
      networks: twoNets,
      workloads: twoWorkloads,
      services: [{ name: "dns1", type: "dns", domain: "t11.internal", networks: ["x"] }],
    },
    cases: [
      {
        from: "x-1",
        to: "10.1.0.1",
        protocol: "udp",
        port: 53,
        verdict: "allow",
        rule: "dns:dns1",
      },
      { from: "x-1", to: "10.1.0.1", protocol: "tcp", port: 53, verdict: "deny" },
      { from: "y-1", to: "10.2.0.1", protocol: "udp", port: 53, verdict: "deny" },
    ],
  },
];

describe.each(scenarios)("$name", ({ tenant, cases }) => {
  const parsed = intent(tenant);
  const compiled = compile(inputOf([parsed]));
  it.each(cases)("$from -> $to $protocol/$port: $verdict", (flow) => {
    const result = trace(compiled, parsed.tenant, { tenant: parsed.tenant, ...flow });
    expect({ verdict: result.verdict, reason: result.reason }).toMatchObject({
      verdict: flow.verdict,
    });
    if (flow.rule !== undefined) expect(result.rule).toBe(flow.rule);
    if (flow.hop !== undefined) expect(result.hops.map((hop) => hop.rule)).toContain(flow.hop);
    for (const hop of result.hops) expect(typeof hop.node).toBe("string");
  });
});
