import type { EvpnType5Route, LearnedEvpnRoute } from "@netloom/model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppCaller, NetloomServer } from "../src/server";
import { computeEvpnExports } from "../src/store/evpn";
import { evpnInternet, fabricFile, tenantWithPool } from "./fixtures";
import { adminCaller, BACKENDS, codeOf, freshServer } from "./helpers";

/** A second tenant on the evpn network (its lan is not exported). */
const tenantB = tenantWithPool("gamma", "10.5.0.0/24");

/** Issue 14: the fabric's `bgp` and `evpn` sections, learned routes and exports in the store. */
const FABRIC = fabricFile(2, {
  externalNetworks: [evpnInternet({ exportTenantSubnets: [{ tenant: "alpha", network: "lan" }] })],
  bgp: {
    localAs: 65001,
    routerId: "198.18.0.1",
    peers: [{ name: "gateway", address: "198.18.0.254", as: 65000 }],
  },
});

const ALPHA = {
  apiVersion: "netloom/v1",
  tenant: "alpha",
  networks: [{ name: "lan", subnets: [{ cidr: "10.0.0.0/24" }] }],
  floatingIpPools: [{ name: "public", network: "internet" }],
  workloads: [
    {
      name: "web",
      node: "compute-1",
      interfaces: [{ network: "lan", floatingIp: { pool: "public", ip: "203.0.113.10" } }],
    },
  ],
};

const GATEWAY_ROUTE: LearnedEvpnRoute = {
  prefix: "192.0.2.0/24",
  vni: 5000,
  routerMac: "02:aa:bb:cc:dd:01",
  nexthop: "198.18.0.254",
  routeTarget: "65000:5000",
  peer: "gateway",
};

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`EVPN in the store on ${backend.name}`, () => {
    let server: NetloomServer;
    let admin: AppCaller;
    beforeAll(async () => {
      server = await freshServer(backend.databaseUrl);
      admin = await adminCaller(server);
      await admin.fabric.applyFile({ document: FABRIC });
      await admin.intent.applyFile({ document: ALPHA });
    }, 60_000);
    afterAll(async () => {
      await server.close();
    });

    it("keeps the bgp and evpn sections and gives them back in fabric.export", async () => {
      const { document } = await admin.fabric.export();
      expect(document.bgp).toEqual(FABRIC.bgp);
      expect(document.externalNetworks?.[0]?.evpn).toEqual(FABRIC.externalNetworks[0]?.evpn);
      // Applying the export back changes nothing.
      const again = await admin.fabric.applyFile({ document });
      expect(again.changed).toEqual([]);
      // The network's VXLAN devices use its L3 VNI.
      const alpha = server.services.store.compileInput().tenants[0];
      expect(alpha?.vnis.internet).toBe(5000);
      expect(alpha?.vnis.lan).not.toBe(5000);
    });

    it("refuses bad bgp and evpn sections naming the field, changing nothing", async () => {
      const before = server.services.store.fabricGeneration;
      const badPeer = structuredClone(FABRIC);
      badPeer.bgp.peers = [{ name: "gateway", address: "198.18.0.300", as: 65000 }];
      const peer = await codeOf(admin.fabric.applyFile({ document: badPeer }));
      expect(peer.code).toBe("INVALID");
      expect(peer.problems.map((p) => p.path)).toEqual(["bgp.peers[0].address"]);

      const lanVni = server.services.store.compileInput().tenants[0]?.vnis.lan;
      const taken = structuredClone(FABRIC);
      const evpn = taken.externalNetworks[0]?.evpn;
      if (!evpn || lanVni === undefined) throw new Error("fixture");
      evpn.vni = lanVni;
      const clash = await codeOf(admin.fabric.applyFile({ document: taken }));
      expect(clash.code).toBe("INVALID");
      expect(clash.problems).toEqual([
        {
          path: "externalNetworks[0].evpn.vni",
          message: `VNI ${lanVni} is a tenant network's VNI`,
        },
      ]);
      const badTarget = structuredClone(FABRIC);
      const target = badTarget.externalNetworks[0]?.evpn;
      if (!target) throw new Error("fixture");
      target.routeTarget = "65000";
      const rt = await codeOf(admin.fabric.applyFile({ document: badTarget }));
      expect(rt.problems.map((p) => p.path)).toEqual(["externalNetworks[0].evpn.routeTarget"]);
      expect(server.services.store.fabricGeneration).toBe(before);
      expect(server.services.store.fabricBgp()).toEqual(FABRIC.bgp);
    });

    it("exports floating IPs and listed tenant subnets from the node that holds them", async () => {
      const exports = await server.services.store.evpnExports();
      const common = {
        vni: 5000,
        routerMac: "02:4e:c6:12:00:0b",
        nexthop: "198.18.0.11",
        routeTarget: "65000:5000",
      };
      expect(exports).toEqual([
        { prefix: "10.0.0.0/24", ...common },
        { prefix: "203.0.113.10/32", ...common },
      ]);
    });

    it("tells listeners when the exports change, and only then", async () => {
      const seen: EvpnType5Route[][] = [];
      const stop = server.services.store.onEvpnExportsChanged((routes) => seen.push(routes));
      try {
        // A change that exports nothing new: no call.
        await admin.intent.applyFile({
          document: {
            ...ALPHA,
            securityGroups: [{ name: "web", rules: [] }],
          },
        });
        expect(seen).toEqual([]);
        const moved = structuredClone(ALPHA);
        const web = moved.workloads[0];
        if (!web) throw new Error("fixture");
        web.node = "compute-2";
        await admin.intent.applyFile({ document: moved });
        expect(seen).toHaveLength(1);
        expect(seen[0]?.map((route) => `${route.prefix} ${route.nexthop}`)).toEqual([
          "10.0.0.0/24 198.18.0.12",
          "203.0.113.10/32 198.18.0.12",
        ]);
        // Tenant by tenant, remembered across changes, it answers what one whole compile does.
        await admin.intent.applyFile({
          document: {
            ...tenantB,
            workloads: [
              {
                name: "b",
                node: "compute-1",
                interfaces: [{ network: "lan", floatingIp: { pool: "public" } }],
              },
            ],
          },
        });
        expect(seen).toHaveLength(2);
        const store = server.services.store;
        expect(await store.evpnExports()).toEqual(computeEvpnExports(store.compileInput()));
        expect((await store.evpnExports()).filter((r) => r.nexthop === "198.18.0.11")).toHaveLength(
          1,
        );
      } finally {
        stop();
      }
    });

    it("replaces a speaker's learned routes as a fabric change, the union compiling", async () => {
      const store = server.services.store;
      const before = store.fabricGeneration;
      const first = await store.replaceLearnedRoutes("speaker-a", [GATEWAY_ROUTE]);
      expect(first.changed).toBe(true);
      expect(store.fabricGeneration).toBeGreaterThan(before);
      const same = await store.replaceLearnedRoutes("speaker-a", [{ ...GATEWAY_ROUTE }]);
      expect(same.changed).toBe(false);
      const other = { ...GATEWAY_ROUTE, prefix: "198.51.100.0/24" };
      await store.replaceLearnedRoutes("speaker-b", [other, GATEWAY_ROUTE]);
      expect(store.learnedRoutes().map((route) => route.prefix)).toEqual([
        "192.0.2.0/24",
        "198.51.100.0/24",
      ]);
      expect(store.compileInput().fabric.learnedRoutes).toEqual(store.learnedRoutes());
      await store.replaceLearnedRoutes("speaker-c", [
        { ...GATEWAY_ROUTE, prefix: "10.99.0.0/16", routeTarget: "65000:1" },
      ]);
      const report = await admin.fabric.evpnRoutes();
      expect(report.exported.length).toBeGreaterThan(0);
      expect(report.learned.map((r) => `${r.prefix} ${r.imported} ${r.reason ?? ""}`)).toEqual([
        "10.99.0.0/16 false no external network imports route target 65000:1",
        "192.0.2.0/24 true ",
        "198.51.100.0/24 true ",
      ]);
      await store.replaceLearnedRoutes("speaker-c", []);

      const bad = await codeOf(
        store.replaceLearnedRoutes("speaker-a", [GATEWAY_ROUTE, { ...GATEWAY_ROUTE, vni: 0 }]),
      );
      expect(bad.code).toBe("INVALID");
      expect(bad.problems.map((p) => p.path)).toEqual(["routes[1].vni"]);
      expect(store.learnedRoutes()).toHaveLength(2);

      await store.replaceLearnedRoutes("speaker-b", []);
      await store.replaceLearnedRoutes("speaker-a", []);
      expect(store.learnedRoutes()).toEqual([]);
      expect(store.compileInput().fabric.learnedRoutes).toBeUndefined();
    });

    it("hands tenant networks no VNI an external network uses as its L3 VNI", async () => {
      const store = server.services.store;
      const highest = Math.max(
        ...store
          .compileInput()
          .tenants.flatMap((t) => Object.values(t.vnis))
          .filter((vni) => vni !== 5000),
      );
      const next = structuredClone(FABRIC);
      next.externalNetworks.push({
        name: "partner",
        subnets: [{ cidr: "198.51.100.0/24" }],
        evpn: { vni: highest + 1, routeTarget: "65000:6000", exportTenantSubnets: [] },
      });
      await admin.fabric.applyFile({ document: next });
      await admin.intent.applyFile({
        document: {
          apiVersion: "netloom/v1",
          tenant: "beta",
          networks: [{ name: "lan", subnets: [{ cidr: "10.0.0.0/24" }] }],
        },
      });
      const beta = store.compileInput().tenants.find((t) => t.intent.tenant === "beta");
      expect(beta?.vnis.lan).toBe(highest + 2);
    });
  });
}
