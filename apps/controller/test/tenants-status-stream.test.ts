import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppCaller, NetloomServer } from "../src/server";
import { adminCaller, BACKENDS, freshServer, userCaller } from "./helpers";

const tenantFile = (tenant: string, cidr: string) => ({
  apiVersion: "netloom/v1",
  tenant,
  networks: [{ name: "lan", subnets: [{ cidr }] }],
});

/** Reads one push of a tenants-status stream: each tenant's name and generation. */
async function nextPush(
  iterator: AsyncIterator<{ tenant: string; generation: number }[]>,
): Promise<Record<string, number>> {
  const next = await iterator.next();
  if (next.done) throw new Error("the stream ended");
  return Object.fromEntries(next.value.map((status) => [status.tenant, status.generation]));
}

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(`fabric.onTenantsStatus on ${backend.name}`, () => {
    let server: NetloomServer;
    let admin: AppCaller;
    let alphaAdmin: AppCaller;
    beforeAll(async () => {
      server = await freshServer(backend.databaseUrl, { distribution: true });
      admin = await adminCaller(server);
      await admin.intent.applyFile({ document: tenantFile("alpha", "10.0.0.0/24") });
      await admin.intent.applyFile({ document: tenantFile("beta", "10.1.0.0/24") });
      alphaAdmin = (
        await userCaller(server, "a@example.org", { tenant: "alpha", tenantRole: "tenant_admin" })
      ).caller;
    }, 60_000);
    afterAll(async () => {
      await server.close();
    });

    it("streams every visible tenant's convergence in one push, and again on a change", async () => {
      const stream = (await admin.fabric.onTenantsStatus())[Symbol.asyncIterator]();
      const first = await nextPush(stream);
      expect(Object.keys(first).sort()).toEqual(["alpha", "beta"]);
      const before = first.alpha ?? -1;
      await admin.intent.applyFile({ document: tenantFile("alpha", "10.2.0.0/24") });
      let latest = first;
      while ((latest.alpha ?? -1) <= before) latest = await nextPush(stream);
      expect(latest.alpha).toBeGreaterThan(before);
      expect(latest.beta).toBe(first.beta);
      await stream.return?.();
    });

    it("shows a tenant's user only the tenants it may read", async () => {
      const stream = (await alphaAdmin.fabric.onTenantsStatus())[Symbol.asyncIterator]();
      expect(Object.keys(await nextPush(stream))).toEqual(["alpha"]);
      await stream.return?.();
    });
  });
}
