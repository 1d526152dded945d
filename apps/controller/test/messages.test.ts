import { type CompileInput, createIncrementalCompiler } from "@netloom/compiler";
import { fabricNodeSchema, parseIntentFileOrThrow } from "@netloom/model";
import { describe, expect, it, vi } from "vitest";
import { deltaText, diffTenants, snapshotText, tenantJson } from "../src/distribution/messages";

/**
 * Message texts are built from cached pieces (issue 8 §7: serialize each compiled object once
 * however many nodes carry it). They must say exactly what `JSON.stringify` of the message says.
 */

const NODES = 6;

function input(port: number): CompileInput {
  const intent = parseIntentFileOrThrow({
    apiVersion: "netloom/v1",
    tenant: "bench",
    networks: [
      { name: "a", subnets: [{ cidr: "10.1.0.0/24" }] },
      { name: "b", subnets: [{ cidr: "10.2.0.0/24" }] },
    ],
    workloads: Array.from({ length: NODES * 2 }, (_, i) => ({
      name: `vm-${i}`,
      node: `compute-${(i % NODES) + 1}`,
      interfaces: [
        {
          network: i % 2 === 0 ? "a" : "b",
          securityGroups: ["sg"],
          ip: `10.${(i % 2) + 1}.0.${10 + i}`,
        },
      ],
    })),
    securityGroups: [
      {
        name: "sg",
        rules: [{ direction: "ingress", protocol: "tcp", ports: port, remote: "0.0.0.0/0" }],
      },
    ],
  });
  return {
    fabric: {
      nodes: Array.from({ length: NODES }, (_, i) =>
        fabricNodeSchema.parse({ name: `compute-${i + 1}`, underlay: `198.18.0.${i + 11}` }),
      ),
      externalNetworks: [],
    },
    tenants: [{ id: "t1", intent, vnis: { a: 5001, b: 5002 }, natAddresses: {} }],
  };
}

describe("agent message texts", () => {
  it("say what JSON.stringify says, for snapshots and deltas of every node", () => {
    const compiler = createIncrementalCompiler(input(80));
    const before = compiler.current();
    compiler.update({ kind: "tenant", tenant: input(443).tenants[0] ?? expect.fail() });
    const after = compiler.current();
    for (const [node, config] of Object.entries(after.nodes)) {
      for (const tenant of config.tenants) expect(tenantJson(tenant)).toBe(JSON.stringify(tenant));
      expect(JSON.parse(snapshotText(7, "h", config))).toEqual({
        type: "snapshot",
        generation: 7,
        hash: "h",
        config: JSON.parse(JSON.stringify(config)),
      });
      const base = before.nodes[node] ?? expect.fail(`${node} compiled before`);
      const diff = diffTenants(base, config, false);
      expect(diff.replace).toHaveLength(1);
      expect(JSON.parse(deltaText(8, "h0", "h1", config, diff))).toEqual({
        type: "delta",
        generation: 8,
        baseHash: "h0",
        hash: "h1",
        replace: JSON.parse(JSON.stringify(config.tenants)),
        remove: [],
        order: ["t1"],
      });
    }
  });

  it("serialize an element shared by many nodes' configs once", () => {
    const compiled = createIncrementalCompiler(input(22)).current();
    const configs = Object.values(compiled.nodes).flatMap((config) => config.tenants);
    // The compiler shares the security group entry between every node's config.
    const shared = configs[0]?.securityGroups[0] ?? expect.fail("a security group");
    expect(configs.every((tenant) => tenant.securityGroups[0] === shared)).toBe(true);
    const stringify = vi.spyOn(JSON, "stringify");
    try {
      for (const tenant of configs) tenantJson(tenant);
      const ofShared = stringify.mock.calls.filter(([value]) => value === shared);
      expect(ofShared).toHaveLength(1);
    } finally {
      stringify.mockRestore();
    }
  });
});
