import { describe, expect, it } from "vitest";
import {
  checkIntent,
  intentFromText,
  NetloomError,
  type Problem,
  parseDocument,
  parseEndpoint,
  parseIntentFileOrThrow,
  subnetGateway,
  validateAssertion,
  validateIntent,
} from "../src/index";
import { THREE_TIER_YAML } from "./fixtures";

/** The example of spec section 1, as plain data; every test starts from a fresh copy. */
function specExample() {
  return {
    apiVersion: "netloom/v1",
    tenant: "acme",
    networks: [
      { name: "web", subnets: [{ cidr: "10.1.0.0/24" }] } as Record<string, unknown>,
      { name: "db", subnets: [{ cidr: "10.2.0.0/24", gateway: "10.2.0.1" }] },
      { name: "public", external: true, subnets: [{ cidr: "203.0.113.0/24" }] },
    ],
    workloads: [
      {
        name: "web-1",
        node: "compute-1",
        interfaces: [
          {
            network: "web",
            ip: "10.1.0.10",
            securityGroups: ["web-sg"],
            floatingIp: { pool: "public-pool" },
          } as Record<string, unknown>,
        ],
      },
      { name: "db-1", interfaces: [{ network: "db" } as Record<string, unknown>] },
    ] as { name: string; node?: string; interfaces: Record<string, unknown>[] }[],
    securityGroups: [
      {
        name: "web-sg",
        rules: [
          { direction: "ingress", protocol: "tcp", ports: "80,443", remote: "0.0.0.0/0" },
          { direction: "egress", protocol: "any", remote: "0.0.0.0/0" },
        ] as Record<string, unknown>[],
      },
    ],
    policies: [
      {
        name: "web-db",
        attach: ["web", "db"],
        rules: [
          {
            action: "allow",
            protocol: "tcp",
            source: "web",
            destination: "db",
            ports: 5432,
            direction: "<>",
            services: ["fw1"],
          },
        ] as Record<string, unknown>[],
      },
    ],
    services: [
      {
        name: "fw1",
        type: "firewall",
        rules: [
          { action: "allow", protocol: "tcp", source: "any", destination: "any", ports: 5432 },
        ],
      },
      {
        name: "lb1",
        type: "load-balancer",
        network: "web",
        vip: "10.1.0.100",
        protocol: "tcp",
        port: 80,
        members: ["web-1"],
        memberPort: 8080,
      },
      { name: "nat1", type: "nat", inside: ["web"], outside: "public" },
      { name: "dns1", type: "dns", domain: "acme.internal", networks: ["web", "db"] },
    ] as Record<string, unknown>[],
    routers: [{ name: "r1", networks: ["web", "db"] }],
    floatingIpPools: [{ name: "public-pool", network: "public" }],
    assertions: [] as Record<string, unknown>[],
  };
}
type Example = ReturnType<typeof specExample>;

const nodes = new Set(["compute-1", "compute-2"]);

/** Problems of the whole check (form, then tenant rules), as `path: message` lines. */
function problemsOf(input: unknown, withNodes = true): string[] {
  const result = checkIntent(input, withNodes ? { nodes } : {});
  return result.ok ? [] : result.problems.map((p: Problem) => `${p.path}: ${p.message}`);
}

/** Runs `change` on a fresh example and returns the problems. */
function after(change: (file: Example) => void, withNodes = true): string[] {
  const file = specExample();
  change(file);
  return problemsOf(file, withNodes);
}

const at = <T>(list: readonly T[], index: number): T => {
  const item = list[index];
  if (item === undefined) throw new Error(`no item ${index}`);
  return item;
};

describe("valid files", () => {
  it("accepts the spec section 1 example", () => {
    expect(problemsOf(specExample())).toEqual([]);
  });

  it("accepts the three-tier example", () => {
    const text = THREE_TIER_YAML;
    expect(intentFromText(text, { nodes }).tenant).toBe("shop");
  });
});

describe("spec section 3, one rule each", () => {
  it("malformed prefix", () => {
    expect(
      after((f) => {
        at(f.networks, 1).subnets = [{ cidr: "10.2.0.0/33" }];
      }),
    ).toEqual(["networks[1].subnets[0].cidr: 10.2.0.0/33 is not an IPv4 prefix"]);
  });

  it("prefix with host bits set", () => {
    expect(
      after((f) => {
        at(f.networks, 1).subnets = [{ cidr: "10.2.0.9/24" }];
      }),
    ).toEqual([
      "networks[1].subnets[0].cidr: 10.2.0.9/24 has host bits set (did you mean 10.2.0.0/24?)",
    ]);
  });

  it("two subnets of the tenant that overlap: path of the second, naming the first", () => {
    expect(
      after((f) => {
        at(f.networks, 1).subnets = [{ cidr: "10.2.0.0/24" }, { cidr: "10.0.0.0/8" }];
      }),
    ).toEqual([
      "networks[1].subnets[1].cidr: 10.0.0.0/8 overlaps 10.1.0.0/24 of network web (networks[0].subnets[0])",
    ]);
  });

  it("the same prefix twice in one network", () => {
    expect(
      after((f) => {
        at(f.networks, 0).subnets = [{ cidr: "10.1.0.0/24" }, { cidr: "10.1.0.0/24" }];
      }),
    ).toEqual([
      "networks[0].subnets[1].cidr: 10.1.0.0/24 overlaps 10.1.0.0/24 of network web (networks[0].subnets[0])",
    ]);
  });

  it("adjacent prefixes do not overlap", () => {
    expect(
      after((f) => {
        at(f.networks, 0).subnets = [{ cidr: "10.1.0.0/25" }, { cidr: "10.1.0.128/25" }];
      }),
    ).toEqual([]);
  });

  it("gateway outside its subnet, or on network or broadcast", () => {
    expect(
      after((f) => {
        at(f.networks, 1).subnets = [
          { cidr: "10.2.0.0/24", gateway: "10.3.0.1" },
          { cidr: "10.2.1.0/24", gateway: "10.2.1.0" },
          { cidr: "10.2.2.0/24", gateway: "10.2.2.255" },
        ];
      }),
    ).toEqual([
      "networks[1].subnets[0].gateway: 10.3.0.1 is outside 10.2.0.0/24",
      "networks[1].subnets[1].gateway: 10.2.1.0 is the network address of 10.2.1.0/24",
      "networks[1].subnets[2].gateway: 10.2.2.255 is the broadcast address of 10.2.2.0/24",
    ]);
  });

  it("fixed address outside its subnet", () => {
    expect(
      after((f) => {
        at(at(f.workloads, 0).interfaces, 0).ip = "10.2.0.10";
      }),
    ).toEqual([
      "workloads[0].interfaces[0].ip: 10.2.0.10 is outside the subnets of network web (10.1.0.0/24)",
    ]);
  });

  it("fixed address on the network, broadcast or gateway address", () => {
    expect(
      after((f) => {
        at(f.workloads, 1).interfaces = [{ network: "db", ip: "10.2.0.0" }];
        f.workloads.push(
          { name: "db-2", interfaces: [{ network: "db", ip: "10.2.0.255" }] },
          { name: "db-3", interfaces: [{ network: "db", ip: "10.2.0.1" }] },
        );
      }),
    ).toEqual([
      "workloads[1].interfaces[0].ip: 10.2.0.0 is the network address of 10.2.0.0/24",
      "workloads[2].interfaces[0].ip: 10.2.0.255 is the broadcast address of 10.2.0.0/24",
      "workloads[3].interfaces[0].ip: 10.2.0.1 is the gateway of 10.2.0.0/24",
    ]);
  });

  it("fixed address taken by another interface", () => {
    expect(
      after((f) => {
        at(f.workloads, 1).interfaces.push({ network: "web", ip: "10.1.0.10" });
      }),
    ).toEqual([
      "workloads[1].interfaces[1].ip: 10.1.0.10 is already taken by web-1 (workloads[0].interfaces[0].ip)",
    ]);
  });

  it("fixed address taken by a floating IP and by an LB vip", () => {
    expect(
      after((f) => {
        at(at(f.workloads, 0).interfaces, 0).floatingIp = {
          pool: "public-pool",
          ip: "203.0.113.5",
        };
        at(f.workloads, 1).interfaces.push({
          network: "web",
          floatingIp: { pool: "public-pool", ip: "203.0.113.5" },
        });
        at(f.services, 1).vip = "10.1.0.10";
      }),
    ).toEqual([
      "workloads[1].interfaces[1].floatingIp.ip: 203.0.113.5 is already taken by the floating IP of web-1 (workloads[0].interfaces[0].floatingIp.ip)",
      "services[1].vip: 10.1.0.10 is already taken by web-1 (workloads[0].interfaces[0].ip)",
    ]);
  });

  it("fixed floating IP outside its pool's network", () => {
    expect(
      after((f) => {
        at(at(f.workloads, 0).interfaces, 0).floatingIp = { pool: "public-pool", ip: "10.1.0.50" };
      }),
    ).toEqual([
      "workloads[0].interfaces[0].floatingIp.ip: 10.1.0.50 is outside the subnets of network public (203.0.113.0/24)",
    ]);
  });

  it("LB vip outside its network's subnets, or on its gateway", () => {
    expect(
      after((f) => {
        at(f.services, 1).vip = "10.2.0.100";
      }),
    ).toEqual(["services[1].vip: 10.2.0.100 is outside the subnets of network web (10.1.0.0/24)"]);
    expect(
      after((f) => {
        at(f.services, 1).vip = "10.1.0.1";
      }),
    ).toEqual(["services[1].vip: 10.1.0.1 is the gateway of 10.1.0.0/24"]);
  });

  it("a subnet with no address left for the interfaces needing allocation", () => {
    // /29: .1 gateway, .2-.6 hosts, one of them fixed: 4 free for 5 interfaces.
    expect(
      after((f) => {
        at(f.networks, 1).subnets = [{ cidr: "10.2.0.0/29" }];
        at(f.workloads, 1).interfaces = [{ network: "db", ip: "10.2.0.6" }];
        for (let i = 2; i <= 6; i++)
          f.workloads.push({ name: `db-${i}`, interfaces: [{ network: "db" }] });
      }),
    ).toEqual([
      "networks[1].subnets[0].cidr: no address left to allocate: 5 needed (workloads[2].interfaces[0], workloads[3].interfaces[0], workloads[4].interfaces[0] and 2 more), 4 free in 10.2.0.0/29",
    ]);
  });

  it("a full subnet is fine when it has exactly enough", () => {
    expect(
      after((f) => {
        at(f.networks, 1).subnets = [{ cidr: "10.2.0.0/29" }];
        for (let i = 2; i <= 5; i++)
          f.workloads.push({ name: `db-${i}`, interfaces: [{ network: "db" }] });
      }),
    ).toEqual([]);
  });

  it("floating IPs and nat addresses count against the external network", () => {
    expect(
      after((f) => {
        at(f.networks, 2).subnets = [{ cidr: "203.0.113.0/30" }]; // .2 is the only free host
      }),
    ).toEqual([
      "networks[2].subnets[0].cidr: no address left to allocate: 2 needed (workloads[0].interfaces[0].floatingIp, services[2].outside), 1 free in 203.0.113.0/30",
    ]);
  });

  it("reference to a network that does not exist", () => {
    expect(
      after((f) => {
        at(at(f.workloads, 1).interfaces, 0).network = "dbx";
        at(f.policies, 0).attach = ["web", "nope"];
        at(f.routers, 0).networks = ["web", "gone"];
        at(f.services, 3).networks = ["web", "lost"];
      }),
    ).toEqual([
      'workloads[1].interfaces[0].network: network "dbx" does not exist',
      'policies[0].attach[1]: network "nope" does not exist',
      'services[3].networks[1]: network "lost" does not exist',
      'routers[0].networks[1]: network "gone" does not exist',
    ]);
  });

  it("reference to a security group that does not exist", () => {
    expect(
      after((f) => {
        at(at(f.workloads, 0).interfaces, 0).securityGroups = ["web-sg", "db-sg"];
      }),
    ).toEqual([
      'workloads[0].interfaces[0].securityGroups[1]: security group "db-sg" does not exist',
    ]);
  });

  it("reference to a service that does not exist", () => {
    expect(
      after((f) => {
        at(at(f.policies, 0).rules, 0).services = ["fw1", "fw2"];
      }),
    ).toEqual(['policies[0].rules[0].services[1]: service "fw2" does not exist']);
  });

  it("reference to a pool that does not exist", () => {
    expect(
      after((f) => {
        at(at(f.workloads, 0).interfaces, 0).floatingIp = { pool: "private-pool" };
      }),
    ).toEqual([
      'workloads[0].interfaces[0].floatingIp.pool: floating IP pool "private-pool" does not exist',
    ]);
  });

  it("reference to a node that does not exist, only when nodes are known", () => {
    expect(
      after((f) => {
        at(f.workloads, 0).node = "compute-9";
      }),
    ).toEqual(['workloads[0].node: node "compute-9" does not exist']);
    expect(
      after((f) => {
        at(f.workloads, 0).node = "compute-9";
      }, false),
    ).toEqual([]);
  });

  it("reference to a workload (LB member) that does not exist", () => {
    expect(
      after((f) => {
        at(f.services, 1).members = ["web-1", "web-7"];
      }),
    ).toEqual(['services[1].members[1]: workload "web-7" does not exist']);
  });

  it("duplicate names per kind", () => {
    expect(
      after((f) => {
        f.networks.push({ name: "db", subnets: [{ cidr: "10.3.0.0/24" }] });
        f.workloads.push({ name: "web-1", interfaces: [{ network: "web" }] });
        f.services.push({ name: "fw1", type: "firewall", rules: [] });
      }),
    ).toEqual([
      'networks[3].name: duplicate network name "db" (networks[1])',
      'workloads[2].name: duplicate workload name "web-1" (workloads[0])',
      'services[4].name: duplicate service name "fw1" (services[0])',
    ]);
  });

  it("the same name in different kinds is fine", () => {
    expect(
      after((f) => {
        f.routers.push({ name: "web", networks: ["web"] });
      }),
    ).toEqual([]);
  });

  it("a workload with two interfaces on one network", () => {
    expect(
      after((f) => {
        at(f.workloads, 1).interfaces.push({ network: "web" }, { network: "db" });
      }),
    ).toEqual([
      "workloads[1].interfaces[2].network: db-1 already has an interface on network db (interfaces[0])",
    ]);
  });

  it("ports outside 1-65535", () => {
    expect(
      after((f) => {
        at(at(f.securityGroups, 0).rules, 0).ports = "80,65536";
      }),
    ).toEqual(["securityGroups[0].rules[0].ports: 80,65536: 65536 is not a port (1-65535)"]);
  });

  it("ports with protocol any, icmp or absent", () => {
    expect(
      after((f) => {
        at(at(f.securityGroups, 0).rules, 0).protocol = "icmp";
        at(at(f.securityGroups, 0).rules, 1).ports = 22;
        const rule = at(at(f.policies, 0).rules, 0);
        delete rule.protocol;
      }),
    ).toEqual([
      "securityGroups[0].rules[0].ports: ports need protocol tcp or udp; the rule has protocol icmp",
      "securityGroups[0].rules[1].ports: ports need protocol tcp or udp; the rule has protocol any",
      "policies[0].rules[0].ports: ports need protocol tcp or udp; the rule has no protocol (any)",
    ]);
  });

  it("services on a deny rule", () => {
    expect(
      after((f) => {
        at(at(f.policies, 0).rules, 0).action = "deny";
      }),
    ).toEqual([
      "policies[0].rules[0].services: a deny rule takes no services: only allowed flows go through a service chain",
    ]);
  });

  it("a service in a chain that is not a firewall, load-balancer or nat", () => {
    expect(
      after((f) => {
        at(at(f.policies, 0).rules, 0).services = ["fw1", "dns1"];
      }),
    ).toEqual([
      "policies[0].rules[0].services[1]: dns1 is a dns service; a chain takes firewall, load-balancer or nat services",
    ]);
  });

  it("a floating IP pool on a network that is not external", () => {
    expect(
      after((f) => {
        f.floatingIpPools.push({ name: "inner", network: "db" });
      }),
    ).toEqual([
      "floatingIpPools[1].network: network db is not external: a floating IP pool needs one",
    ]);
  });

  it("nat outside not external, inside external", () => {
    expect(
      after((f) => {
        Object.assign(at(f.services, 2), { inside: ["public"], outside: "db" });
      }),
    ).toEqual([
      "services[2].inside[0]: network public is external: inside takes tenant networks",
      "services[2].outside: network db is not external",
    ]);
  });

  it("source, destination or remote that is not a network, CIDR, any (or group)", () => {
    expect(
      after((f) => {
        at(at(f.securityGroups, 0).rules, 0).remote = "nowhere";
        at(at(f.securityGroups, 0).rules, 1).remote = "web-sg"; // a group: fine for remote
        Object.assign(at(at(f.policies, 0).rules, 0), { source: "web-sg", destination: "dbz" });
      }),
    ).toEqual([
      'securityGroups[0].rules[0].remote: no network or security group is named "nowhere"',
      'policies[0].rules[0].source: "web-sg" is a security group; source takes a network, a CIDR or "any"',
      'policies[0].rules[0].destination: network "dbz" does not exist',
    ]);
  });

  it("firewall rules are checked like policy rules", () => {
    expect(
      after((f) => {
        at(f.services, 0).rules = [
          { action: "allow", protocol: "icmp", source: "x", destination: "any", ports: 1 },
        ];
      }),
    ).toEqual([
      'services[0].rules[0].source: network "x" does not exist',
      "services[0].rules[0].ports: ports need protocol tcp or udp; the rule has protocol icmp",
    ]);
  });

  it('"any" cannot name a network or a security group', () => {
    expect(
      after((f) => {
        f.networks.push({ name: "any", subnets: [{ cidr: "10.9.0.0/24" }] });
      }),
    ).toEqual(['networks[3].name: "any" is reserved: rules use it for every address']);
  });

  it("assertions: from/to must be a workload or an IPv4 address; port only with tcp/udp", () => {
    expect(
      after((f) => {
        f.assertions.push(
          {
            name: "a1",
            from: "web-1",
            to: "10.2.0.5",
            protocol: "tcp",
            port: 5432,
            verdict: "allow",
          },
          { name: "a2", from: "ghost", to: "db-1", protocol: "icmp", port: 1, verdict: "deny" },
        );
      }),
    ).toEqual([
      'assertions[1].from: workload "ghost" does not exist',
      "assertions[1].port: a port needs protocol tcp or udp, not icmp",
    ]);
    expect(
      validateAssertion({ from: "10.0.0.1", to: "nobody", protocol: "tcp" }, new Set(["a"]), [
        "expect",
        0,
      ]),
    ).toEqual([{ path: "expect[0].to", message: 'workload "nobody" does not exist' }]);
  });
});

describe("validateIntent", () => {
  it("lists every problem in document order", () => {
    const lines = after((f) => {
      f.floatingIpPools.push({ name: "inner", network: "db" });
      at(at(f.workloads, 0).interfaces, 0).network = "nope";
      at(f.networks, 1).subnets = [{ cidr: "10.1.0.0/16" }];
    });
    expect(lines.map((line) => line.split(":")[0])).toEqual([
      "networks[1].subnets[0].cidr",
      "workloads[0].interfaces[0].network",
      "floatingIpPools[1].network",
    ]);
  });

  it("runs on typed files built in code and is pure", () => {
    const file = parseIntentFileOrThrow(specExample());
    expect(validateIntent(file)).toEqual([]);
    expect(validateIntent(file)).toEqual(validateIntent(file));
  });

  it("finds overlaps among many subnets quickly, reporting each later one", () => {
    const file = specExample();
    const many = Array.from({ length: 20000 }, (_, i) => ({
      cidr: `10.${100 + (i >> 8)}.${i & 255}.0/24`,
    }));
    many.push({ cidr: "10.100.0.0/16" }, { cidr: "10.100.5.0/24" });
    at(file.networks, 0).subnets = [{ cidr: "10.1.0.0/24" }, ...many];
    const started = performance.now();
    const lines = problemsOf(file);
    expect(performance.now() - started).toBeLessThan(2000);
    expect(lines).toEqual([
      "networks[0].subnets[20001].cidr: 10.100.0.0/16 overlaps 10.100.0.0/24 of network web (networks[0].subnets[1])",
      "networks[0].subnets[20002].cidr: 10.100.5.0/24 overlaps 10.100.5.0/24 of network web (networks[0].subnets[6])",
    ]);
  });
});

describe("intentFromText", () => {
  it("throws INVALID with every problem, or TOO_LARGE", () => {
    const text =
      "apiVersion: netloom/v1\ntenant: acme\nnetworks:\n  - { name: a, subnets: [{ cidr: 10.0.0.0/8 }] }\n  - { name: b, subnets: [{ cidr: 10.1.0.0/16 }] }\n";
    try {
      intentFromText(text);
      throw new Error("accepted");
    } catch (error) {
      if (!(error instanceof NetloomError)) throw error;
      expect(error.code).toBe("INVALID");
      expect(error.message).toBe(
        "networks[1].subnets[0].cidr: 10.1.0.0/16 overlaps 10.0.0.0/8 of network a (networks[0].subnets[0])",
      );
    }
    expect(() => intentFromText(text, { maxBytes: 10 })).toThrow(/larger than 10 bytes/);
  });
});

describe("helpers", () => {
  it("parseEndpoint tells any, CIDR, name and junk apart", () => {
    expect(parseEndpoint("any")).toEqual({ kind: "any" });
    expect(parseEndpoint("10.0.0.0/8")).toEqual({
      kind: "cidr",
      prefix: { network: 0x0a000000, length: 8 },
    });
    expect(parseEndpoint("web")).toEqual({ kind: "name", name: "web" });
    expect(parseEndpoint("10.0.0.1/8")).toEqual({
      kind: "invalid",
      message: "10.0.0.1/8 has host bits set (did you mean 10.0.0.0/8?)",
    });
  });

  it("subnetGateway gives the written or the default gateway", () => {
    const file = parseIntentFileOrThrow(
      parseDocument(
        "apiVersion: netloom/v1\ntenant: t\nnetworks: [{name: n, subnets: [{cidr: 10.0.0.0/24}, {cidr: 10.0.1.0/24, gateway: 10.0.1.254}]}]",
      ),
    );
    const subnets = file.networks?.[0]?.subnets ?? [];
    expect(subnets.map(subnetGateway)).toEqual([0x0a000001, 0x0a0001fe]);
  });
});
