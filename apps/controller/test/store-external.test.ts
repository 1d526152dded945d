import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppCaller, NetloomServer } from "../src/server";
import { fabricFile, internet } from "./fixtures";
import { adminCaller, BACKENDS, codeOf, freshServer } from "./helpers";

/** Spec section 1.1 (issue 9 §4): outside addresses are one space for the whole fabric. */
const FABRIC = fabricFile(2, {
  externalNetworks: [
    internet(),
    { name: "partner", subnets: [{ cidr: "198.51.100.0/29" }], tenants: ["alpha"] },
  ],
});

/** A tenant with a workload holding a floating IP and a nat service, both on `outside`. */
function tenantUsing(tenant: string, outside: string, extra: Record<string, unknown> = {}) {
  return {
    apiVersion: "netloom/v1",
    tenant,
    networks: [{ name: "lan", subnets: [{ cidr: "10.0.0.0/24" }] }],
    floatingIpPools: [{ name: "public", network: outside }],
    workloads: [{ name: "web", interfaces: [{ network: "lan", floatingIp: { pool: "public" } }] }],
    services: [{ name: "egress", type: "nat", inside: ["lan"], outside }],
    ...extra,
  };
}

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`fabric external networks on ${backend.name}`, () => {
    let server: NetloomServer;
    let admin: AppCaller;
    beforeAll(async () => {
      server = await freshServer(backend.databaseUrl);
      admin = await adminCaller(server);
      await admin.fabric.applyFile({ document: FABRIC });
    }, 60_000);
    afterAll(async () => {
      await server.close();
    });

    it("tenants use a fabric network by name; addresses are unique across tenants", async () => {
      await admin.intent.applyFile({ document: tenantUsing("alpha", "internet") });
      await admin.intent.applyFile({ document: tenantUsing("beta", "internet") });
      const fip = async (tenant: string) =>
        (await admin.workloads.get({ tenant, name: "web" })).spec.interfaces[0]?.floatingIp?.ip;
      const alpha = await fip("alpha");
      const beta = await fip("beta");
      expect(alpha).toMatch(/^203\.0\.113\./);
      expect(beta).toMatch(/^203\.0\.113\./);
      const input = server.services.store.compileInput();
      const nat = input.tenants.map((tenant) => tenant.natAddresses.egress);
      const held = [alpha, beta, ...nat];
      expect(held.every((ip) => ip?.startsWith("203.0.113."))).toBe(true);
      expect(new Set(held).size).toBe(4);

      // The compiler gets the fabric networks, and each tenant the fabric-wide VNI of the ones
      // it uses, the same for every tenant and apart from every tenant network's.
      expect(input.fabric.externalNetworks?.map((network) => network.name)).toEqual([
        "internet",
        "partner",
      ]);
      const [first, second] = input.tenants;
      expect(first?.vnis.internet).toBeGreaterThan(0);
      expect(first?.vnis.internet).toBe(second?.vnis.internet);
      expect(first?.vnis.internet).not.toBe(first?.vnis.lan);
      expect(first?.vnis.internet).not.toBe(second?.vnis.lan);

      // Export names the fabric network only by reference and applies back to no change.
      const exported = await admin.intent.export({ tenant: "alpha" });
      expect(exported.document.networks?.map((network) => network.name)).toEqual(["lan"]);
      expect(exported.document.floatingIpPools).toEqual([{ name: "public", network: "internet" }]);
      const again = await admin.intent.applyFile({ document: exported.document });
      expect(again.changes).toEqual([]);
    });

    it("a fixed floating IP another tenant holds is refused without naming the tenant", async () => {
      const held = (await admin.workloads.get({ tenant: "alpha", name: "web" })).spec.interfaces[0]
        ?.floatingIp?.ip;
      const document = tenantUsing("gamma", "internet");
      document.workloads = [
        { name: "web", interfaces: [{ network: "lan", floatingIp: { pool: "public", ip: held } }] },
      ] as never;
      const refused = await codeOf(admin.intent.applyFile({ document }));
      expect(refused.code).toBe("INVALID");
      expect(refused.problems[0]?.path).toBe("workloads[0].interfaces[0].floatingIp.ip");
      expect(JSON.stringify(refused.problems)).not.toContain("alpha");
      expect(server.services.store.tenant("gamma")?.generation ?? 0).toBe(0);
    });

    it("respects `tenants`: a network limited to others does not exist for this tenant", async () => {
      expect(
        (await codeOf(admin.intent.applyFile({ document: tenantUsing("alpha", "partner") }))).code,
      ).toBe("OK");
      const refused = await codeOf(
        admin.intent.applyFile({ document: tenantUsing("delta", "partner") }),
      );
      expect(refused.code).toBe("INVALID");
      expect(refused.problems.map((problem) => problem.path)).toEqual([
        "services[0].outside",
        "floatingIpPools[0].network",
      ]);
    });

    it("a tenant's own external network may not overlap a fabric one or another tenant's", async () => {
      const own = (tenant: string, cidr: string) => ({
        apiVersion: "netloom/v1",
        tenant,
        networks: [{ name: "uplink", external: true, subnets: [{ cidr }] }],
      });
      const fabricClash = await codeOf(
        admin.intent.applyFile({ document: own("epsilon", "203.0.113.128/25") }),
      );
      expect(fabricClash.code).toBe("INVALID");
      expect(fabricClash.problems.map((problem) => problem.path)).toEqual([
        "networks[0].subnets[0].cidr",
      ]);
      expect(
        (await codeOf(admin.intent.applyFile({ document: own("zeta", "192.0.2.0/24") }))).code,
      ).toBe("OK");
      const tenantClash = await codeOf(
        admin.intent.applyFile({ document: own("eta", "192.0.2.64/26") }),
      );
      expect(tenantClash.code).toBe("INVALID");
      expect(tenantClash.problems.map((problem) => problem.path)).toEqual([
        "networks[0].subnets[0].cidr",
      ]);
      expect(JSON.stringify(tenantClash.problems)).not.toContain("zeta");
      // A private (not external) network may reuse any range.
      const privateRange = {
        apiVersion: "netloom/v1",
        tenant: "eta",
        networks: [{ name: "lan", subnets: [{ cidr: "192.0.2.0/24" }] }],
      };
      expect((await codeOf(admin.intent.applyFile({ document: privateRange }))).code).toBe("OK");
    });

    it("tenants applying at once never hold the same outside address", async () => {
      await admin.fabric.applyFile({
        document: {
          ...FABRIC,
          externalNetworks: [
            ...FABRIC.externalNetworks,
            { name: "small", subnets: [{ cidr: "100.64.0.0/28" }] },
          ],
        },
      });
      // 8 tenants x 2 addresses on 13 free ones: some must be refused, none may share.
      const tenants = Array.from({ length: 8 }, (_, index) => `small-${index}`);
      const answers = await Promise.all(
        tenants.map((tenant) =>
          codeOf(admin.intent.applyFile({ document: tenantUsing(tenant, "small") })),
        ),
      );
      const codes = answers.map((answer) => answer.code);
      expect(codes.every((code) => code === "OK" || code === "EXHAUSTED")).toBe(true);
      expect(codes.filter((code) => code === "OK").length).toBe(6);
      const held: string[] = [];
      for (const tenant of server.services.store.compileInput().tenants) {
        if (!tenant.intent.tenant.startsWith("small-")) continue;
        const web = tenant.intent.workloads?.[0]?.interfaces[0]?.floatingIp?.ip;
        const nat = tenant.natAddresses.egress;
        if (web) held.push(web);
        if (nat) held.push(nat);
      }
      expect(held.length).toBe(12);
      expect(new Set(held).size).toBe(12);
    });

    it("the Fabric file may not overlap tenants' external networks nor drop one in use", async () => {
      const overlapping = {
        ...FABRIC,
        externalNetworks: [
          ...FABRIC.externalNetworks,
          { name: "more", subnets: [{ cidr: "192.0.2.128/25" }] },
        ],
      };
      const refused = await codeOf(admin.fabric.applyFile({ document: overlapping }));
      expect(refused.code).toBe("INVALID");
      expect(refused.problems[0]?.path).toBe("externalNetworks[2].subnets[0].cidr");
      const dropped = await codeOf(
        admin.fabric.applyFile({
          document: { ...FABRIC, externalNetworks: [FABRIC.externalNetworks[1]] },
          prune: true,
        }),
      );
      expect(dropped.code).toBe("INVALID");
      const kept = server.services.store.fabricExternalNetworks().map((n) => n.name);
      expect(kept).toContain("internet");
      expect(kept).not.toContain("more");
    });
  });
}
