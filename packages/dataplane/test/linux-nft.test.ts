import type { TenantConfig } from "@netloom/compiler";
import { describe, expect, it } from "vitest";
import { mergedElements } from "../src/linux/address-sets";
import { nodeLinkLocal, nodeOverlayMac, portDevice, workloadNamespace } from "../src/linux/names";
import { renderTenantRuleset, replaceTableScript } from "../src/linux/nft";

const tenant = (cidrs: number): TenantConfig => ({
  tenantId: "t1",
  tenant: "acme",
  tenantKey: "k1",
  networks: [
    {
      name: "web",
      vni: 100,
      external: false,
      subnets: [{ cidr: "10.1.0.0/24", gateway: "10.1.0.1" }],
      acl: [
        {
          ruleId: "policy:p/0",
          action: "allow",
          protocol: "tcp",
          sources: Array.from({ length: cidrs }, (_, i) => `10.50.${i * 2}.0/24`),
          destinations: Array.from({ length: cidrs }, (_, i) => `10.60.${i * 2}.0/24`),
          ports: [{ from: 80, to: 80 }],
          bidirectional: true,
          services: [],
        },
      ],
    },
    {
      name: "db",
      vni: 101,
      external: false,
      subnets: [{ cidr: "10.2.0.0/24", gateway: "10.2.0.1" }],
      acl: [],
    },
  ],
  localInterfaces: [
    {
      portId: "abc123",
      workload: "web-1",
      interfaceIndex: 0,
      network: "web",
      ip: "10.1.0.10",
      prefixLength: 24,
      gateway: "10.1.0.1",
      mac: "02:00:00:00:00:01",
      securityGroups: ["sg"],
      allowedAddresses: [],
    },
  ],
  remoteEndpoints: [],
  peers: [],
  routes: [],
  securityGroups: [
    {
      name: "sg",
      rules: [
        {
          ruleId: "sg:sg/0",
          direction: "ingress",
          protocol: "tcp",
          remotes: ["0.0.0.0/0"],
          ports: [],
        },
      ],
    },
  ],
  firewalls: [],
  floatingIps: [],
  sourceNats: [],
  loadBalancers: [],
  dnsZones: [],
});

describe("nft rendering", () => {
  it("keeps the rule count independent of the number of CIDRs (sets, not pairs)", () => {
    const small = renderTenantRuleset(tenant(1));
    const large = renderTenantRuleset(tenant(50));
    const rules = (ruleset: typeof small) =>
      [...ruleset.chains.values()].reduce((a, b) => a + b, 0);
    expect(rules(large)).toBe(rules(small));
    expect(large.definition).toContain("10.50.98.0/24");
    expect(large.definition).toMatch(/ip saddr @a0_0_s ct original ip daddr @a0_0_d/);
    // `<>`: the swapped direction is one more rule, not one per pair.
    expect(large.definition).toMatch(/ip saddr @a0_0_d ct original ip daddr @a0_0_s/);
  });

  it("names a counter per rule id and dispatches ports through verdict maps", () => {
    const ruleset = renderTenantRuleset(tenant(1));
    expect([...ruleset.counters.values()]).toEqual(
      expect.arrayContaining(["policy:p/0", "sg:sg/0", "implicit:no-match:web"]),
    );
    expect(ruleset.definition).toContain(`"${portDevice("abc123")}" : jump o_0`);
    expect(ruleset.definition).toContain("ct state established,related accept");
    const forward = ruleset.definition.indexOf("type filter hook forward");
    expect(ruleset.definition.indexOf("ct state established", forward)).toBeGreaterThan(forward);
  });

  it("replaces a table in one transaction, deleting only what is gone", () => {
    const next = renderTenantRuleset(tenant(1));
    const script = replaceTableScript(
      {
        chains: new Map([
          ["old_chain", 1],
          ["forward", 3],
        ]),
        sets: new Set(["old_set"]),
        maps: new Set(["out_ports"]),
        counters: new Set(["c_gone"]),
      },
      next,
    );
    const lines = script.split("\n");
    expect(lines.slice(0, 2)).toEqual(["add table inet netloom", "flush table inet netloom"]);
    expect(lines).toContain("delete chain inet netloom old_chain");
    expect(lines).not.toContain("delete chain inet netloom forward");
    expect(lines).toContain("flush set inet netloom old_set");
    expect(lines).toContain("delete counter inet netloom c_gone");
  });

  it("merges overlapping CIDRs into disjoint interval elements", () => {
    expect(mergedElements(["10.0.0.0/24", "10.0.0.128/25", "10.0.1.0/24"])).toEqual([
      "10.0.0.0/23",
    ]);
    expect(mergedElements(["0.0.0.0/0", "10.0.0.0/8"])).toEqual(["0.0.0.0/0"]);
    expect(mergedElements(["10.0.0.1", "10.0.0.2"])).toEqual(["10.0.0.1-10.0.0.2"]);
  });

  it("derives names that fit IFNAMSIZ and never use tenant names", () => {
    expect(portDevice("abcdefghijk").length).toBeLessThanOrEqual(15);
    expect(workloadNamespace("nl-n-1", "t1", "web-1")).not.toContain("web");
    expect(nodeOverlayMac("198.18.0.11")).toBe("02:4e:c6:12:00:0b");
    expect(nodeLinkLocal("198.18.0.11")).toBe("169.254.0.11");
  });
});
