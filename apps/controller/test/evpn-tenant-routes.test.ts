import type { IntentFile, LearnedEvpnRoute } from "@netloom/model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppCaller, NetloomServer } from "../src/server";
import { tenantExternalRoutes } from "../src/store/evpn-tenant";
import { evpnInternet, fabricFile, tenantWithPool } from "./fixtures";
import { adminCaller, BACKENDS, codeOf, freshServer, userCaller } from "./helpers";

/** Issue 14: `internet` is open to every tenant, `partners` only to beta. */
const FABRIC = fabricFile(1, {
  externalNetworks: [
    evpnInternet({}),
    {
      name: "partners",
      subnets: [{ cidr: "198.51.100.0/24" }],
      tenants: ["beta"],
      evpn: { vni: 5001, routeTarget: "65000:5001" },
    },
  ],
  bgp: {
    localAs: 65001,
    routerId: "198.18.0.1",
    peers: [
      { name: "gateway", address: "198.18.0.254", as: 65000 },
      { name: "partner-gw", address: "198.18.0.253", as: 65002 },
    ],
  },
});

const ALPHA = tenantWithPool("alpha", "10.0.0.0/24");

/** Beta uses partners (allowed) but not internet. */
const BETA = tenantWithPool("beta", "10.1.0.0/24", { name: "partner", network: "partners" });

const route = (fields: Partial<LearnedEvpnRoute>): LearnedEvpnRoute => ({
  prefix: "192.0.2.0/24",
  vni: 5000,
  routerMac: "02:aa:bb:cc:dd:01",
  nexthop: "198.18.0.254",
  routeTarget: "65000:5000",
  peer: "gateway",
  ...fields,
});

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`fabric.tenantExternalRoutes on ${backend.name}`, () => {
    let server: NetloomServer;
    let admin: AppCaller;
    let alphaAdmin: AppCaller;
    let betaViewer: AppCaller;
    beforeAll(async () => {
      server = await freshServer(backend.databaseUrl);
      admin = await adminCaller(server);
      await admin.fabric.applyFile({ document: FABRIC });
      await admin.intent.applyFile({ document: ALPHA });
      await admin.intent.applyFile({ document: BETA });
      alphaAdmin = (
        await userCaller(server, "a@example.org", { tenant: "alpha", tenantRole: "tenant_admin" })
      ).caller;
      betaViewer = (
        await userCaller(server, "b@example.org", { tenant: "beta", tenantRole: "tenant_viewer" })
      ).caller;
    }, 60_000);
    afterAll(async () => {
      await server.close();
    });

    it("shows a tenant the gateway and prefix at its network, nothing of the underlay", async () => {
      expect(await alphaAdmin.fabric.tenantExternalRoutes({ tenant: "alpha" })).toEqual([]);
      await server.services.store.replaceLearnedRoutes("ctl-1", [
        route({}),
        route({
          prefix: "198.51.100.0/25",
          vni: 5001,
          routeTarget: "65000:5001",
          peer: "partner-gw",
          nexthop: "198.18.0.253",
        }),
        // Not imported (wrong VNI for the route target): not shown.
        route({ prefix: "100.64.0.0/10", vni: 4242 }),
      ]);
      const answer = await alphaAdmin.fabric.tenantExternalRoutes({ tenant: "alpha" });
      expect(answer).toEqual([
        {
          network: "internet",
          peers: [{ name: "gateway" }],
          prefixes: [{ prefix: "192.0.2.0/24", peer: "gateway" }],
        },
      ]);
      const text = JSON.stringify(answer);
      expect(text).not.toContain("198.18.0.254");
      expect(text).not.toContain("02:aa:bb:cc:dd:01");
      expect(text).not.toContain("65000:5000");
    });

    it("shows another tenant only the networks it may use and references", async () => {
      expect(await betaViewer.fabric.tenantExternalRoutes({ tenant: "beta" })).toEqual([
        {
          network: "partners",
          peers: [{ name: "partner-gw" }],
          prefixes: [{ prefix: "198.51.100.0/25", peer: "partner-gw" }],
        },
      ]);
      const alpha = await alphaAdmin.fabric.tenantExternalRoutes({ tenant: "alpha" });
      expect(alpha.map((entry) => entry.network)).toEqual(["internet"]);
      // A tenant not allowed on partners sees nothing of it, even were its intent to name it.
      const store = server.services.store;
      const gamma = {
        apiVersion: "netloom/v1",
        tenant: "gamma",
        floatingIpPools: [{ name: "p", network: "partners" }],
      } as unknown as IntentFile;
      const views = store.learnedRouteViews();
      expect(tenantExternalRoutes("gamma", gamma, store.fabricExternalNetworks(), views)).toEqual(
        [],
      );
      expect(
        tenantExternalRoutes("beta", gamma, store.fabricExternalNetworks(), views),
      ).toHaveLength(1);
    });

    it("pushes the tenant's gateways when a learned route comes or goes", async () => {
      const stream = await alphaAdmin.fabric.onTenantExternalRoutes({ tenant: "alpha" });
      const iterator = stream[Symbol.asyncIterator]();
      const prefixes = async () => {
        const next = await iterator.next();
        if (next.done) throw new Error("the stream ended");
        return next.value.flatMap((entry) => entry.prefixes.map((p) => p.prefix));
      };
      expect(await prefixes()).toEqual(["192.0.2.0/24"]);
      const store = server.services.store;
      const kept = store.learnedRoutes().filter((r) => r.peer === "partner-gw");
      await store.replaceLearnedRoutes("ctl-1", [
        ...kept,
        route({}),
        route({ prefix: "192.0.3.0/24" }),
      ]);
      expect(await prefixes()).toEqual(["192.0.2.0/24", "192.0.3.0/24"]);
      await store.replaceLearnedRoutes("ctl-1", kept);
      expect(await prefixes()).toEqual([]);
      await iterator.return?.();
    });

    it("pushes the operator's BGP status when the learned routes change", async () => {
      const stream = await admin.bgp.onStatus();
      const iterator = stream[Symbol.asyncIterator]();
      const learned = async () => {
        const next = await iterator.next();
        if (next.done) throw new Error("the stream ended");
        return next.value.learned.map((r) => r.prefix).sort();
      };
      const store = server.services.store;
      const before = await learned();
      expect(before).toEqual(
        store
          .learnedRoutes()
          .map((r) => r.prefix)
          .sort(),
      );
      const kept = store.learnedRoutes().filter((r) => r.peer === "partner-gw");
      await store.replaceLearnedRoutes("ctl-1", [...kept, route({ prefix: "192.0.9.0/24" })]);
      expect(await learned()).toContain("192.0.9.0/24");
      await store.replaceLearnedRoutes("ctl-1", kept);
      expect(await learned()).not.toContain("192.0.9.0/24");
      await iterator.return?.();
      // The first step runs the authorization: a tenant admin is refused there.
      const refused = (await alphaAdmin.bgp.onStatus())[Symbol.asyncIterator]();
      expect((await codeOf(refused.next())).code).toBe("FORBIDDEN");
    });

    it("answers NOT_FOUND for a foreign or unknown tenant", async () => {
      expect((await codeOf(alphaAdmin.fabric.tenantExternalRoutes({ tenant: "beta" }))).code).toBe(
        "NOT_FOUND",
      );
      expect(
        (await codeOf(alphaAdmin.fabric.tenantExternalRoutes({ tenant: "nobody" }))).code,
      ).toBe("NOT_FOUND");
    });
  });
}
