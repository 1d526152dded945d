import type { Page } from "@playwright/test";
import { expect, screenshot, test, trpc, twoTierTenant, uniqueName } from "./fixtures";

/**
 * Issue 10 §1: read-only canvases (a tenant viewer, a cloud viewer and a cloud admin through the
 * operator console) draw every edge the editor draws, each running between its two endpoints.
 */

/** Every drawn edge: its id and whether its path starts on its source and ends on its target. */
interface DrawnEdge {
  id: string;
  length: number;
  startsOnSource: boolean;
  endsOnTarget: boolean;
}

/** The two canvas node ids an edge of the two-tier tenant joins (source, target). */
const TWO_TIER_EDGES: Record<string, [string, string]> = {
  "if:web-1/0": ["wl:web-1", "net:web"],
  "if:db-1/0": ["wl:db-1", "net:db"],
  "pol:web-db:web:db": ["net:web", "net:db"],
};

async function drawnEdges(page: Page, endpoints: Record<string, [string, string]>) {
  return page.evaluate((ends) => {
    const near = (point: DOMPoint, box: DOMRect) =>
      point.x >= box.left - 6 &&
      point.x <= box.right + 6 &&
      point.y >= box.top - 6 &&
      point.y <= box.bottom + 6;
    const out: DrawnEdge[] = [];
    for (const group of document.querySelectorAll<SVGGElement>(".react-flow__edge")) {
      const id = group.dataset.id ?? "";
      const path = group.querySelector<SVGPathElement>("path.react-flow__edge-path");
      const pair = ends[id];
      if (!path || !pair) continue;
      const matrix = path.getScreenCTM();
      if (!matrix) continue;
      const length = path.getTotalLength();
      const start = path.getPointAtLength(0).matrixTransform(matrix);
      const end = path.getPointAtLength(length).matrixTransform(matrix);
      const box = (nodeId: string) =>
        document
          .querySelector<HTMLElement>(`.react-flow__node[data-id="${CSS.escape(nodeId)}"]`)
          ?.getBoundingClientRect();
      const source = box(pair[0]);
      const target = box(pair[1]);
      out.push({
        id,
        length,
        startsOnSource: Boolean(source && near(start, source)),
        endsOnTarget: Boolean(target && near(end, target)),
      });
    }
    return out;
  }, endpoints);
}

async function expectEveryEdgeDrawn(page: Page, endpoints: Record<string, [string, string]>) {
  await expect(page.locator(".react-flow__edge")).toHaveCount(Object.keys(endpoints).length);
  await expect
    .poll(async () => {
      const edges = await drawnEdges(page, endpoints);
      return edges
        .filter((e) => e.length > 4 && e.startsOnSource && e.endsOnTarget)
        .map((e) => e.id)
        .sort();
    })
    .toEqual(Object.keys(endpoints).sort());
}

test("the editor draws every edge between its endpoints (control)", async ({
  page,
  seedTenant,
  loginAs,
}) => {
  const seeded = await seedTenant(twoTierTenant(uniqueName("roe")));
  await loginAs(page, seeded.email, seeded.password);
  await page.goto(`/#/t/${seeded.tenant}`);
  await expect(page.getByRole("group", { name: "network web" })).toBeVisible();
  await expectEveryEdgeDrawn(page, TWO_TIER_EDGES);
});

test("a tenant viewer's read-only canvas draws every edge between its endpoints", async ({
  page,
  seedTenant,
  loginAs,
}) => {
  const seeded = await seedTenant(twoTierTenant(uniqueName("rov")), "tenant_viewer");
  await loginAs(page, seeded.email, seeded.password);
  await page.goto(`/#/t/${seeded.tenant}`);
  await expect(page.getByRole("note")).toContainText("Read only");
  await expectEveryEdgeDrawn(page, TWO_TIER_EDGES);
});

for (const globalRole of ["cloud_viewer", "cloud_admin"] as const) {
  test(`the operator view of a ${globalRole} draws every edge between its endpoints`, async ({
    page,
    admin,
    seedTenant,
    loginAs,
  }) => {
    const seeded = await seedTenant(twoTierTenant(uniqueName("roo")));
    const email = `${uniqueName("op")}@e2e.netloom`;
    const password = "operator-password-1";
    await trpc(admin, "mutation", "users.create", {
      email,
      displayName: "Operator",
      password,
      globalRole,
    });
    await loginAs(page, email, password);
    await page.goto("/#/operator/tenants");
    await page.getByRole("link", { name: `View topology of ${seeded.tenant}` }).click();
    await expect(page.getByRole("note")).toContainText("Read only");
    await expectEveryEdgeDrawn(page, TWO_TIER_EDGES);
    if (globalRole === "cloud_viewer") await screenshot(page, "canvas-readonly-operator");
  });
}
