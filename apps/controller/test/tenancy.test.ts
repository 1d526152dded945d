import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { appRouter } from "../src/router/index";
import type { AppCaller, NetloomServer } from "../src/server";
import { adminCaller, codeOf, example, freshServer, userCaller } from "./helpers";

/**
 * Walks every procedure of appRouter (not a hand list): a new procedure without a row in
 * INPUTS fails this test until someone decides how it is scoped.
 */
const procedures = Object.entries(appRouter._def.procedures).map(([path, procedure]) => ({
  path,
  type: (procedure as unknown as { _def: { type: "query" | "mutation" | "subscription" } })._def
    .type,
}));

const RESOURCE_SPECS: Record<string, unknown> = {
  networks: { name: "n2", subnets: [{ cidr: "10.77.0.0/24" }] },
  workloads: { name: "w2", interfaces: [{ network: "beta-net" }] },
  securityGroups: { name: "sg2", rules: [] },
  policies: { name: "p2", attach: ["beta-net"], rules: [] },
  services: { name: "fw2", type: "firewall", rules: [] },
  routers: { name: "r2", networks: ["beta-net"] },
  floatingIpPools: { name: "fp2", network: "beta-ext" },
  assertions: { name: "a2", from: "beta-w", to: "beta-w", protocol: "icmp", verdict: "allow" },
};
const EXISTING: Record<string, string> = {
  networks: "beta-net",
  workloads: "beta-w",
  securityGroups: "beta-sg",
  policies: "beta-p",
  services: "beta-fw",
  routers: "beta-r",
  floatingIpPools: "beta-fp",
  assertions: "beta-a",
};

/** How each procedure is scoped, and an input aimed at tenant `t`'s objects. */
type Scope = "tenant" | "admin" | "self" | "public" | "fabric-read";
function inputFor(path: string, t: string): { scope: Scope; input: unknown } {
  const [area, verb, sub] = path.split(".");
  if (area && verb && area in RESOURCE_SPECS) {
    const name = EXISTING[area] ?? "x";
    const spec = { ...(RESOURCE_SPECS[area] as object), name };
    switch (verb) {
      case "list":
        return { scope: "tenant", input: { tenant: t } };
      case "get":
      case "delete":
        return { scope: "tenant", input: { tenant: t, name, revision: 1 } };
      case "create":
        return { scope: "tenant", input: { tenant: t, spec: RESOURCE_SPECS[area] } };
      case "update":
        return { scope: "tenant", input: { tenant: t, spec, revision: 1 } };
    }
  }
  const table: Record<string, { scope: Scope; input: unknown }> = {
    "auth.login": { scope: "public", input: { email: "x@y.z", password: "p" } },
    "auth.loginForToken": { scope: "public", input: { email: "x@y.z", password: "p" } },
    "auth.logout": { scope: "public", input: undefined },
    "auth.me": { scope: "self", input: undefined },
    "auth.tokens.create": { scope: "self", input: { name: "mine" } },
    "auth.tokens.list": { scope: "self", input: undefined },
    "auth.tokens.revoke": { scope: "self", input: { id: "00000000-0000-4000-8000-000000000000" } },
    "tenants.list": { scope: "self", input: undefined },
    "tenants.get": { scope: "tenant", input: { tenant: t } },
    "tenants.usage": { scope: "tenant", input: { tenant: t } },
    "tenants.delete": { scope: "tenant", input: { tenant: t } },
    "tenants.setQuotas": { scope: "tenant", input: { tenant: t, quotas: { networks: 1 } } },
    "tenants.create": { scope: "admin", input: { name: "gamma" } },
    "users.list": { scope: "admin", input: undefined },
    "users.create": { scope: "admin", input: { email: "new@x.y", displayName: "n" } },
    "users.grant": {
      scope: "tenant",
      input: { email: "alpha-admin@x.y", tenant: t, role: "tenant_admin" },
    },
    "users.revoke": { scope: "tenant", input: { email: "alpha-admin@x.y", tenant: t } },
    "users.setGlobalRole": {
      scope: "admin",
      input: { email: "alpha-admin@x.y", globalRole: "cloud_viewer" },
    },
    "fabric.nodes.list": { scope: "fabric-read", input: undefined },
    "fabric.nodes.get": { scope: "fabric-read", input: { name: "compute-1" } },
    // Underlay, node errors and the fabric generation: cloud readers only.
    "fabric.status": { scope: "admin", input: undefined },
    // EVPN routes span tenants; the Fabric file names every node: cloud readers only.
    "fabric.evpnRoutes": { scope: "admin", input: undefined },
    "fabric.export": { scope: "admin", input: undefined },
    "bgp.status": { scope: "admin", input: undefined },
    "bgp.onStatus": { scope: "admin", input: undefined },
    "fabric.onStatus": { scope: "admin", input: undefined },
    "fabric.tenantStatus": { scope: "tenant", input: { tenant: t } },
    "fabric.tenantExternalRoutes": { scope: "tenant", input: { tenant: t } },
    "fabric.onTenantStatus": { scope: "tenant", input: { tenant: t } },
    "fabric.onTenantsStatus": { scope: "self", input: undefined },
    "fabric.onTenantExternalRoutes": { scope: "tenant", input: { tenant: t } },
    "fabric.nodeConfig": { scope: "admin", input: { node: "compute-1" } },
    "fabric.hitCounts": { scope: "admin", input: { node: "compute-1" } },
    "fabric.issueNodeToken": { scope: "admin", input: { node: "compute-1" } },
    "fabric.tenantHitCounts": { scope: "tenant", input: { tenant: t } },
    "fabric.nodes.create": {
      scope: "admin",
      input: { spec: { name: "n9", underlay: "198.18.0.99" } },
    },
    "fabric.nodes.update": {
      scope: "admin",
      input: { spec: { name: "compute-1", underlay: "198.18.0.98" }, revision: 1 },
    },
    "fabric.nodes.delete": { scope: "admin", input: { name: "compute-2" } },
    "fabric.applyFile": { scope: "admin", input: { document: example("fabric.yaml") } },
    "intent.applyFile": {
      scope: "tenant",
      input: { document: { apiVersion: "netloom/v1", tenant: t } },
    },
    "intent.export": { scope: "tenant", input: { tenant: t } },
    "intent.history": { scope: "tenant", input: { tenant: t } },
    "intent.restore": { scope: "tenant", input: { tenant: t, generation: 0 } },
    "intent.changes": { scope: "tenant", input: { tenant: t } },
    "reach.trace": {
      scope: "tenant",
      input: { tenant: t, from: "beta-w", to: "10.88.0.5", protocol: "icmp" },
    },
    "reach.check": { scope: "tenant", input: { tenant: t, expect: [] } },
    "reach.matrix": { scope: "tenant", input: { tenant: t } },
    "layout.get": { scope: "tenant", input: { tenant: t } },
    "layout.save": {
      scope: "tenant",
      input: { tenant: t, positions: { "net:x": { x: 1, y: 2 } } },
    },
  };
  const row = table[path];
  if (!row) throw new Error(`procedure ${path} has no tenancy row in this test: add one`);
  void sub;
  return row;
}

async function call(
  caller: AppCaller,
  path: string,
  type: string,
  input: unknown,
): Promise<unknown> {
  let target: unknown = caller;
  for (const key of path.split(".")) target = (target as Record<string, unknown>)[key];
  const result = await (target as (input: unknown) => Promise<unknown>)(input);
  if (type === "subscription") {
    const iterator = (result as AsyncIterable<unknown>)[Symbol.asyncIterator]();
    // The first step runs the authorization; a refused call throws here.
    const first = await Promise.race([
      iterator.next(),
      new Promise((resolve) => setTimeout(() => resolve("pending"), 200)),
    ]);
    await iterator.return?.();
    return first;
  }
  return result;
}

const BETA = {
  apiVersion: "netloom/v1",
  tenant: "beta",
  networks: [
    { name: "beta-net", subnets: [{ cidr: "10.88.0.0/24" }] },
    { name: "beta-ext", external: true, subnets: [{ cidr: "192.0.2.0/24" }] },
  ],
  workloads: [{ name: "beta-w", interfaces: [{ network: "beta-net" }] }],
  securityGroups: [{ name: "beta-sg", rules: [] }],
  policies: [{ name: "beta-p", attach: ["beta-net"], rules: [] }],
  services: [{ name: "beta-fw", type: "firewall", rules: [] }],
  routers: [{ name: "beta-r", networks: ["beta-net"] }],
  floatingIpPools: [{ name: "beta-fp", network: "beta-ext" }],
  assertions: [
    { name: "beta-a", from: "beta-w", to: "10.88.0.9", protocol: "icmp", verdict: "deny" },
  ],
};

describe("tenancy: every procedure", () => {
  let server: NetloomServer;
  let alphaAdmin: AppCaller;
  let alphaViewer: AppCaller;
  let cloudViewer: AppCaller;
  let betaBefore: string;

  beforeAll(async () => {
    server = await freshServer(undefined, { distribution: true });
    const admin = await adminCaller(server);
    await admin.fabric.applyFile({ document: example("fabric.yaml") });
    await admin.intent.applyFile({
      document: {
        apiVersion: "netloom/v1",
        tenant: "alpha",
        networks: [{ name: "alpha-net", subnets: [{ cidr: "10.88.0.0/24" }] }],
      },
    });
    await admin.intent.applyFile({ document: BETA });
    alphaAdmin = (
      await userCaller(server, "alpha-admin@x.y", { tenant: "alpha", tenantRole: "tenant_admin" })
    ).caller;
    alphaViewer = (
      await userCaller(server, "alpha-viewer@x.y", { tenant: "alpha", tenantRole: "tenant_viewer" })
    ).caller;
    cloudViewer = (await userCaller(server, "cloud-viewer@x.y", { global: "cloud_viewer" })).caller;
    betaBefore = JSON.stringify(await admin.intent.export({ tenant: "beta" }));
  });
  afterAll(async () => {
    await server.close();
  });

  it("enumerates the router", () => {
    expect(procedures.length).toBeGreaterThan(50);
  });

  for (const { path, type } of procedures) {
    it(`${path}: a tenant admin cannot reach another tenant's objects`, async () => {
      const { scope, input } = inputFor(path, "beta");
      const outcome = await codeOf(call(alphaAdmin, path, type, input));
      switch (scope) {
        case "tenant":
          expect(outcome.code).toBe("NOT_FOUND");
          break;
        case "admin":
          expect(outcome.code).toBe("FORBIDDEN");
          break;
        case "self":
        case "public":
        case "fabric-read":
          // Not tenant data: answers about the caller, or refuses the fake credentials.
          expect(["OK", "NOT_FOUND", "UNAUTHENTICATED"]).toContain(outcome.code);
          break;
      }
      // A foreign tenant answers exactly like a missing one.
      if (scope === "tenant") {
        const missing = await codeOf(call(alphaAdmin, path, type, inputFor(path, "nosuch").input));
        expect(missing.code).toBe("NOT_FOUND");
        expect(outcome.problems.map((p) => p.path)).toEqual(missing.problems.map((p) => p.path));
      }
      const admin = await adminCaller(server);
      expect(JSON.stringify(await admin.intent.export({ tenant: "beta" }))).toBe(betaBefore);
    });

    // Self and public mutations (login, logout, own password) are every signed-in user's: a
    // viewer may make them, so only the others get the "cannot write" test.
    const writeScope = inputFor(path, "alpha").scope;
    if (type === "mutation" && writeScope !== "self" && writeScope !== "public") {
      it(`${path}: viewers cannot write`, async () => {
        const { input } = inputFor(path, "alpha");
        expect(
          (await codeOf(call(alphaViewer, path, type, inputFor(path, "alpha").input))).code,
        ).toBe("FORBIDDEN");
        expect((await codeOf(call(cloudViewer, path, type, input))).code).toBe("FORBIDDEN");
      });
    }
  }

  it("tenant hit counts answer the tenant's own readers", async () => {
    expect(await alphaViewer.fabric.tenantHitCounts({ tenant: "alpha" })).toEqual({});
    expect(await cloudViewer.fabric.tenantHitCounts({ tenant: "beta" })).toEqual({});
  });

  it("lists never leak other tenants", async () => {
    const tenants = await alphaAdmin.tenants.list();
    expect(tenants.map((t) => t.name)).toEqual(["alpha"]);
    const viewer = await cloudViewer.tenants.list();
    expect(viewer.map((t) => t.name)).toEqual(["alpha", "beta"]);
  });

  it("references resolve only inside the tenant", async () => {
    const outcome = await codeOf(
      alphaAdmin.workloads.create({
        tenant: "alpha",
        spec: { name: "sneaky", interfaces: [{ network: "beta-net" }] } as never,
      }),
    );
    expect(outcome.code).toBe("INVALID");
    expect(outcome.problems[0]?.path).toBe("workloads[0].interfaces[0].network");
  });

  it("a tenant user cannot apply a file for a tenant that does not exist", async () => {
    const outcome = await codeOf(
      alphaAdmin.intent.applyFile({ document: { apiVersion: "netloom/v1", tenant: "delta" } }),
    );
    expect(outcome.code).toBe("NOT_FOUND");
    expect(server.services.store.tenant("delta")).toBeUndefined();
  });
});
