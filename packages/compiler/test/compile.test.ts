import { NetloomError } from "@netloom/model";
import { describe, expect, it } from "vitest";
import { sharedExample } from "../../../test-support/shared";
import { makeFixture } from "../bench/fixture";
import { allPairs, compile, fnv1a64, formatPlan, matrixVerdict, plan, trace } from "../src";
import { fabricOf, inputOf, intent, loadIntent, resolveTenant } from "./helpers";

const threeTier = loadIntent(sharedExample("three-tier.yaml"));

describe("compile", () => {
  it("is deterministic: the same input twice gives byte-identical JSON", () => {
    const size = {
      tenants: 4,
      nodes: 10,
      networksPerTenant: 5,
      workloadsPerTenant: 20,
      rulesPerTenant: 10,
      groupsPerTenant: 3,
      nodesPerTenant: 10,
    };
    const first = JSON.stringify(compile(makeFixture(42, size)));
    const second = JSON.stringify(compile(makeFixture(42, size)));
    expect(second).toBe(first);
    expect(JSON.stringify(compile(makeFixture(43, size)))).not.toBe(first);
  });

  it("hashes content: equal configs hash equal, a change changes the hash", () => {
    const a = compile(inputOf([threeTier], 3));
    const b = compile(inputOf([threeTier], 3));
    expect(a.hashes).toEqual(b.hashes);
    const changed = structuredClone(threeTier);
    const rule = changed.policies?.[0]?.rules[0];
    if (rule) rule.ports = 8081;
    const c = compile(inputOf([changed], 3));
    expect(c.hashes["compute-1"]).not.toBe(a.hashes["compute-1"]);
    expect(c.hashes["compute-3"]).toBe(a.hashes["compute-3"]);
    expect(fnv1a64("")).toBe("cbf29ce484222325");
    expect(fnv1a64("a")).toBe("af63dc4c8601ec8c");
  });

  it("gives a node with no workload of a tenant nothing of that tenant", () => {
    const other = intent({
      tenant: "other",
      networks: [{ name: "n", subnets: [{ cidr: "10.10.1.0/24" }] }],
      workloads: [{ name: "lonely", node: "compute-3", interfaces: [{ network: "n" }] }],
    });
    const compiled = compile(inputOf([threeTier, other], 4));
    const tenantsOn = (node: string) =>
      compiled.nodes[node]?.tenants.map((tenant) => tenant.tenant);
    expect(tenantsOn("compute-1")).toEqual(["shop"]);
    expect(tenantsOn("compute-2")).toEqual(["shop"]);
    expect(tenantsOn("compute-3")).toEqual(["other"]);
    expect(tenantsOn("compute-4")).toEqual([]);
    expect(JSON.stringify(compiled.nodes["compute-3"])).not.toContain("10.10.1.10");
  });

  it("cuts each node's view to what its workloads can reach", () => {
    const compiled = compile(inputOf([threeTier], 3));
    const shopOn = (node: string) => compiled.nodes[node]?.tenants[0];
    const one = shopOn("compute-1");
    // compute-1: web-1 (web) and db-1 (db). web and db share no allow rule: no route either way.
    expect(one?.localInterfaces.map((iface) => iface.workload)).toEqual(["web-1", "db-1"]);
    expect(one?.networks.map((network) => network.name)).toEqual(["web", "app", "db"]);
    expect(one?.routes.map((route) => `${route.from}->${route.to}`)).toEqual([
      "web->app",
      "db->app",
    ]);
    expect(one?.remoteEndpoints.map((remote) => remote.workload)).toEqual(["web-2", "app-1"]);
    expect(one?.securityGroups.map((group) => group.name)).toEqual(["db-sg"]);
    const sg = one?.securityGroups[0]?.rules[0];
    expect(sg).toMatchObject({
      ruleId: "sg:db-sg/0",
      remotes: ["10.10.2.0/24"],
      ports: [{ from: 5432, to: 5432 }],
    });
    const web = one?.networks[0];
    expect(web?.subnets).toEqual([{ cidr: "10.10.1.0/24", gateway: "10.10.1.1" }]);
    expect(web?.acl.map((entry) => entry.ruleId)).toEqual(["policy:web-app/0", "policy:web-app/1"]);
    const app = one?.networks[1];
    expect(app?.acl.map((entry) => entry.ruleId)).toEqual([
      "policy:web-app/0",
      "policy:web-app/1",
      "policy:app-db/0",
      "policy:app-db/1",
    ]);
    expect(app?.acl[3]?.sources).toEqual(["0.0.0.0/0"]);
    for (const iface of one?.localInterfaces ?? []) {
      expect(iface.portId).toMatch(/^[a-z0-9]{1,11}$/);
      expect(iface.mac).toMatch(/^02(:[0-9a-f]{2}){5}$/);
    }
  });

  it("derives port ids from the tenant id, not its name", () => {
    const fabric = fabricOf(2);
    const a = compile({ fabric, tenants: [resolveTenant(threeTier, fabric, "id-a")] });
    const b = compile({ fabric, tenants: [resolveTenant(threeTier, fabric, "id-b")] });
    const portOf = (compiled: typeof a) =>
      compiled.nodes["compute-1"]?.tenants[0]?.localInterfaces[0]?.portId;
    expect(portOf(a)).not.toBe(portOf(b));
  });

  it("refuses input with a missing allocation, naming the field", () => {
    const input = inputOf([threeTier], 2);
    const tenant = input.tenants[0];
    const workload = tenant?.intent.workloads?.[0];
    if (workload) workload.node = undefined;
    try {
      compile(input);
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(NetloomError);
      expect((error as NetloomError).problems[0]?.path).toBe("workloads[0].node");
    }
  });
});

describe("plan", () => {
  it("lists per node the ACL entries, routes and interfaces a change adds and removes", () => {
    const before = compile(inputOf([threeTier], 3));
    const changed = structuredClone(threeTier);
    changed.policies?.[0]?.rules.push({
      action: "deny",
      protocol: "udp",
      source: "web",
      destination: "app",
      ports: 53,
    });
    changed.workloads?.push({
      name: "web-3" as never,
      node: "compute-3" as never,
      interfaces: [{ network: "web" as never }],
    });
    const after = compile(inputOf([changed], 3));
    const result = plan(before, after);
    const one = result.nodes.find((node) => node.node === "compute-1");
    expect(one?.items).toContainEqual({
      kind: "acl",
      key: "shop/web/policy:web-app/2",
      change: "add",
    });
    expect(one?.items).toContainEqual({ kind: "remote", key: "shop/web-3/web", change: "add" });
    const three = result.nodes.find((node) => node.node === "compute-3");
    expect(three?.counts.interface).toEqual({ added: 1, removed: 0, modified: 0 });
    expect(formatPlan(result)).toContain("+ acl shop/web/policy:web-app/2");
    expect(plan(after, after).nodes).toEqual([]);
    const back = plan(after, before);
    expect(back.totals.removed).toBe(result.totals.added);
  });
});

describe("allPairs", () => {
  it("agrees with trace on every pair and flow", () => {
    const size = {
      tenants: 1,
      nodes: 5,
      networksPerTenant: 6,
      workloadsPerTenant: 25,
      rulesPerTenant: 20,
      groupsPerTenant: 4,
      nodesPerTenant: 5,
    };
    const compiled = compile(makeFixture(9, size));
    const matrix = allPairs(compiled, "tenant-0");
    expect(matrix.workloads.length).toBe(25);
    expect(matrix.flows[0]).toEqual({ protocol: "icmp" });
    let allowed = 0;
    matrix.workloads.forEach((from, i) => {
      matrix.workloads.forEach((to, j) => {
        if (i === j) return;
        matrix.flows.forEach((flow, k) => {
          const result = trace(compiled, "tenant-0", { tenant: "tenant-0", from, to, ...flow });
          expect(
            matrixVerdict(matrix, i, j, k),
            `${from} ${to} ${flow.protocol}/${flow.port}`,
          ).toBe(result.verdict);
          if (result.verdict === "allow") allowed++;
        });
      });
    });
    expect(allowed).toBeGreaterThan(0);
  });
});
