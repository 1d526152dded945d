import type { IntentFile } from "@netloom/model";
import { expect, test, trpc, twoTierTenant, uniqueName } from "./fixtures";

/**
 * Issue 14: the canvas draws the data-center gateway and its learned prefixes at an external
 * network. Learned routes reach the store only from a controller's BGP speaker (server side),
 * and this server has no BGP peer: the test checks that the tenant's own user reads
 * `fabric.tenantExternalRoutes` for real (an empty answer), then replaces that one answer in
 * its batch with routes, and turns away the live stream (`fabric.onTenantExternalRoutes`, whose
 * pushes the controller tests check) so it cannot push the real, empty answer over the drawing:
 * what is checked here is the drawing, not the learning.
 */

const PREFIXES = Array.from({ length: 7 }, (_, i) => ({
  prefix: `192.0.2.${i * 16}/28`,
  peer: "gw-1",
}));

test("the canvas draws a gateway node with its learned prefixes at the external network", async ({
  page,
  admin,
  seedTenant,
  loginAs,
}) => {
  const base = twoTierTenant(uniqueName("gw"), { policy: false }) as unknown as {
    networks: unknown[];
  };
  const doc = {
    ...base,
    networks: [
      ...base.networks,
      { name: "pub", external: true, subnets: [{ cidr: "100.80.0.0/24" }] },
    ],
  } as unknown as IntentFile;
  const seeded = await seedTenant(doc);
  const realAnswers: unknown[] = [];
  await page.route(/\/trpc\/[^?]*fabric\.tenantExternalRoutes/, async (route) => {
    const url = new URL(route.request().url());
    const names = decodeURIComponent(url.pathname.slice("/trpc/".length)).split(",");
    const response = await route.fetch();
    const body = (await response.json()) as unknown[];
    names.forEach((name, index) => {
      if (name !== "fabric.tenantExternalRoutes") return;
      realAnswers.push(body[index]);
      body[index] = {
        result: { data: [{ network: "pub", peers: [{ name: "gw-1" }], prefixes: PREFIXES }] },
      };
    });
    await route.fulfill({ response, json: body });
  });
  const streamsOpened: string[] = [];
  await page.route(/\/trpc\/fabric\.onTenantExternalRoutes/, async (route) => {
    streamsOpened.push(route.request().url());
    await route.abort();
  });
  await loginAs(page, seeded.email, seeded.password);
  // The procedure answers the tenant's user (nothing learned on this server).
  expect(
    await trpc(page.request, "query", "fabric.tenantExternalRoutes", { tenant: seeded.tenant }),
  ).toEqual([]);
  await page.goto(`/#/t/${seeded.tenant}`);

  const gateway = page.getByRole("group", { name: "gateway gw-1: 7 learned prefixes" });
  await expect(gateway).toBeVisible();
  await expect(gateway.locator("li code")).toHaveText(PREFIXES.slice(0, 5).map((p) => p.prefix));
  await expect(gateway).toContainText("+2 more");
  await expect(page.locator('.react-flow__edge[data-id="gw:pub:net:pub"]')).toHaveCount(1);
  expect(realAnswers[0]).toEqual({ result: { data: [] } });
  // The canvas subscribes to the tenant's gateways rather than polling them.
  expect(streamsOpened.length).toBeGreaterThan(0);
  // Its place is kept in the tenant's shared layout like any node's.
  await expect
    .poll(async () => {
      const layout = await trpc<{ positions: Record<string, unknown> }>(
        admin,
        "query",
        "layout.get",
        {
          tenant: seeded.tenant,
        },
      );
      return Object.keys(layout.positions);
    })
    .toContain("gw:pub");
});
