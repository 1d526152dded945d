import { describe, expect, it } from "vitest";
import { editTenant, type FixtureSize, makeFixture, random } from "../bench/fixture";
import { type CompiledFabric, compile, createIncrementalCompiler, type TenantInput } from "../src";

const SEEDS = (process.env.NETLOOM_PROPERTY_SEEDS ?? "1,2,3").split(",").map(Number);

const SMALL: FixtureSize = {
  tenants: 3,
  nodes: 6,
  networksPerTenant: 6,
  workloadsPerTenant: 14,
  rulesPerTenant: 12,
  groupsPerTenant: 3,
  nodesPerTenant: 4,
};

function changedNodes(before: CompiledFabric, after: CompiledFabric): string[] {
  const names = new Set([...Object.keys(before.hashes), ...Object.keys(after.hashes)]);
  return [...names].filter((name) => before.hashes[name] !== after.hashes[name]).sort();
}

describe("incremental compile", () => {
  it("equals a full compile after every step of random edit sequences", () => {
    for (const seed of SEEDS) {
      const input = makeFixture(seed, SMALL);
      const rng = random(seed * 7919);
      const compiler = createIncrementalCompiler(input);
      const tenants = new Map<string, TenantInput>(
        input.tenants.map((tenant) => [tenant.id, tenant]),
      );
      let fabric = input.fabric;
      let previous = compiler.current();
      for (let step = 0; step < 150; step++) {
        const roll = rng.next();
        let result: ReturnType<typeof compiler.update>;
        let what: string;
        if (roll < 0.03 && tenants.size > 1) {
          const id = rng.pick([...tenants.keys()]);
          tenants.delete(id);
          result = compiler.update({ kind: "removeTenant", tenantId: id });
          what = `remove tenant ${id}`;
        } else if (roll < 0.05) {
          fabric = {
            nodes: fabric.nodes.map((node, index) =>
              index === 0
                ? { ...node, underlay: `198.19.0.${rng.int(250)}` as typeof node.underlay }
                : node,
            ),
          };
          result = compiler.update({ kind: "fabric", fabric });
          what = "fabric underlay";
        } else {
          const tenant = rng.pick([...tenants.values()]);
          const edit = editTenant(rng, tenant, fabric.nodes);
          tenants.set(tenant.id, edit.tenant);
          result = compiler.update({ kind: "tenant", tenant: edit.tenant });
          what = edit.what;
        }
        const full = compile({ fabric, tenants: [...tenants.values()] });
        const context = `seed ${seed} step ${step}: ${what}`;
        expect(JSON.stringify(result.compiled), context).toBe(JSON.stringify(full));
        expect([...result.changedNodes].sort(), context).toEqual(changedNodes(previous, full));
        previous = result.compiled;
      }
    }
  });

  it("re-adding a removed tenant restores the original configs", () => {
    const input = makeFixture(11, SMALL);
    const compiler = createIncrementalCompiler(input);
    const original = JSON.stringify(compiler.current());
    const tenant = input.tenants[1];
    if (tenant === undefined) throw new Error("fixture without tenants");
    const removed = compiler.update({ kind: "removeTenant", tenantId: tenant.id });
    expect(removed.changedNodes.length).toBeGreaterThan(0);
    const back = compiler.update({ kind: "tenant", tenant });
    expect(JSON.stringify(back.compiled)).toBe(original);
  });

  it("leaves the previous compiled fabric untouched", () => {
    const input = makeFixture(5, SMALL);
    const compiler = createIncrementalCompiler(input);
    const before = compiler.current();
    const snapshot = JSON.stringify(before);
    const tenant = input.tenants[0];
    if (tenant === undefined) throw new Error("fixture without tenants");
    compiler.update({
      kind: "tenant",
      tenant: editTenant(random(3), tenant, input.fabric.nodes).tenant,
    });
    compiler.update({ kind: "removeTenant", tenantId: tenant.id });
    expect(JSON.stringify(before)).toBe(snapshot);
  });
});

describe("incremental scoping", () => {
  it("recomputes only the nodes that see a changed object", () => {
    const base = {
      apiVersion: "netloom/v1",
      tenant: "scoped",
      networks: [
        { name: "a", subnets: [{ cidr: "10.1.0.0/24" }] },
        { name: "b", subnets: [{ cidr: "10.2.0.0/24" }] },
      ],
      workloads: [
        {
          name: "a-1",
          node: "node-0",
          interfaces: [{ network: "a", ip: "10.1.0.10", securityGroups: ["g"] }],
        },
        { name: "a-2", node: "node-1", interfaces: [{ network: "a", ip: "10.1.0.11" }] },
        { name: "b-1", node: "node-2", interfaces: [{ network: "b", ip: "10.2.0.10" }] },
      ],
      securityGroups: [
        { name: "g", rules: [{ direction: "ingress", protocol: "tcp", ports: 22 }] },
      ],
    };
    const nodes = ["node-0", "node-1", "node-2", "node-3"].map((name, index) => ({
      name,
      underlay: `198.18.0.${index + 1}`,
    }));
    const tenant = (intent: unknown): TenantInput => ({
      id: "t-scoped",
      intent: intent as TenantInput["intent"],
      vnis: { a: 100, b: 101 },
      natAddresses: {},
    });
    const compiler = createIncrementalCompiler({
      fabric: { nodes: nodes as never },
      tenants: [tenant(base)],
    });
    // A group used only on node-0.
    const groupEdit = structuredClone(base);
    groupEdit.securityGroups[0]?.rules.push({ direction: "ingress", protocol: "tcp", ports: 80 });
    expect(compiler.update({ kind: "tenant", tenant: tenant(groupEdit) }).changedNodes).toEqual([
      "node-0",
    ]);
    // A workload added on network b: b's nodes only (a and b share no route).
    const added = structuredClone(groupEdit);
    added.workloads.push({
      name: "b-2",
      node: "node-3",
      interfaces: [{ network: "b", ip: "10.2.0.11" }],
    });
    expect(compiler.update({ kind: "tenant", tenant: tenant(added) }).changedNodes).toEqual([
      "node-2",
      "node-3",
    ]);
    // The same intent again changes nothing.
    expect(
      compiler.update({ kind: "tenant", tenant: tenant(structuredClone(added)) }).changedNodes,
    ).toEqual([]);
  });
});
