import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppCaller, NetloomServer } from "../src/server";
import { adminCaller, BACKENDS, codeOf, freshServer, userCaller } from "./helpers";

/** The canvas layout document (router/layout.ts): shared per tenant, apart from the intent. */
for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`layout document (${backend.name})`, () => {
    let server: NetloomServer;
    let admin: AppCaller;
    let tenantAdmin: AppCaller;
    let otherAdmin: AppCaller;
    let viewer: AppCaller;
    let outsider: AppCaller;

    beforeAll(async () => {
      server = await freshServer(backend.databaseUrl);
      admin = await adminCaller(server);
      for (const tenant of ["lay", "lay2"]) {
        await admin.intent.applyFile({
          document: {
            apiVersion: "netloom/v1",
            tenant,
            networks: [{ name: "web", subnets: [{ cidr: "10.1.0.0/24" }] }],
          },
        });
      }
      tenantAdmin = (
        await userCaller(server, "lay-admin@x.y", { tenant: "lay", tenantRole: "tenant_admin" })
      ).caller;
      otherAdmin = (
        await userCaller(server, "lay-admin2@x.y", { tenant: "lay", tenantRole: "tenant_admin" })
      ).caller;
      viewer = (
        await userCaller(server, "lay-viewer@x.y", { tenant: "lay", tenantRole: "tenant_viewer" })
      ).caller;
      outsider = (
        await userCaller(server, "lay2-admin@x.y", { tenant: "lay2", tenantRole: "tenant_admin" })
      ).caller;
    }, 60_000);
    afterAll(async () => {
      await server.close();
    });

    it("starts empty, and saving never bumps the tenant's generation", async () => {
      expect(await viewer.layout.get({ tenant: "lay" })).toEqual({
        positions: {},
        revision: 0,
        updatedBy: null,
        updatedAt: null,
      });
      const before = (await admin.tenants.get({ tenant: "lay" })).generation;
      const saved = await tenantAdmin.layout.save({
        tenant: "lay",
        positions: { "net:web": { x: 10, y: 20 }, "wl:a": { x: -5.5, y: 0 } },
      });
      expect(saved.revision).toBe(1);
      expect((await admin.tenants.get({ tenant: "lay" })).generation).toBe(before);
      const read = await viewer.layout.get({ tenant: "lay" });
      expect(read.positions).toEqual({ "net:web": { x: 10, y: 20 }, "wl:a": { x: -5.5, y: 0 } });
      expect(read.updatedBy).toBe("lay-admin@x.y");
    });

    it("merges concurrent saves of different nodes; remove and replace", async () => {
      await Promise.all([
        tenantAdmin.layout.save({ tenant: "lay", positions: { "net:web": { x: 100, y: 1 } } }),
        otherAdmin.layout.save({ tenant: "lay", positions: { "svc:fw": { x: 7, y: 8 } } }),
      ]);
      let read = await viewer.layout.get({ tenant: "lay" });
      expect(read.positions).toEqual({
        "net:web": { x: 100, y: 1 },
        "wl:a": { x: -5.5, y: 0 },
        "svc:fw": { x: 7, y: 8 },
      });
      expect(read.revision).toBe(3);
      await tenantAdmin.layout.save({ tenant: "lay", positions: {}, remove: ["wl:a"] });
      read = await viewer.layout.get({ tenant: "lay" });
      expect(Object.keys(read.positions).sort()).toEqual(["net:web", "svc:fw"]);
      await tenantAdmin.layout.save({
        tenant: "lay",
        positions: { "net:web": { x: 0, y: 0 } },
        replace: true,
      });
      read = await viewer.layout.get({ tenant: "lay" });
      expect(read.positions).toEqual({ "net:web": { x: 0, y: 0 } });
    });

    it("viewers read but cannot write; other tenants see nothing", async () => {
      const before = await viewer.layout.get({ tenant: "lay" });
      expect(
        (
          await codeOf(
            viewer.layout.save({ tenant: "lay", positions: { "net:x": { x: 1, y: 1 } } }),
          )
        ).code,
      ).toBe("FORBIDDEN");
      expect((await codeOf(outsider.layout.get({ tenant: "lay" }))).code).toBe("NOT_FOUND");
      expect(
        (
          await codeOf(
            outsider.layout.save({ tenant: "lay", positions: { "net:x": { x: 1, y: 1 } } }),
          )
        ).code,
      ).toBe("NOT_FOUND");
      expect(await viewer.layout.get({ tenant: "lay" })).toEqual(before);
      expect((await outsider.layout.get({ tenant: "lay2" })).positions).toEqual({});
    });

    it("refuses bad ids and coordinates and changes nothing", async () => {
      const before = await viewer.layout.get({ tenant: "lay" });
      for (const positions of [
        { "nope:web": { x: 1, y: 1 } },
        { "net:web": { x: Number.NaN, y: 1 } },
        { "net:web": { x: 1e12, y: 1 } },
        { "net:web": { x: 1, y: 1, z: 3 } },
      ]) {
        const outcome = await codeOf(
          tenantAdmin.layout.save({ tenant: "lay", positions: positions as never }),
        );
        expect(outcome.code).toMatch(/INVALID|BAD_REQUEST/);
      }
      expect(await viewer.layout.get({ tenant: "lay" })).toEqual(before);
    });

    it("places the read-only gateway node of an external network (issue 14)", async () => {
      await tenantAdmin.layout.save({
        tenant: "lay",
        positions: { "gw:internet": { x: 3, y: 4 } },
      });
      const read = await viewer.layout.get({ tenant: "lay" });
      expect(read.positions["gw:internet"]).toEqual({ x: 3, y: 4 });
    });
  });
}
