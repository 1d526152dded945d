import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Page } from "@playwright/test";
import { expect, openTenant, test, trpc, twoTierTenant, uniqueName } from "./fixtures";

/**
 * Issue 10 §3: the demo tenant at fit is legible (no text under 11 px on screen), positions are
 * one layout document on the controller shared by every user, and auto-layout can be undone.
 */

const here = path.dirname(fileURLToPath(import.meta.url));
const DOCS_SCREENSHOTS = path.resolve(here, "../../docs/screenshots");

/** Where a node is drawn, in flow coordinates (its transform). */
async function nodePosition(page: Page, id: string): Promise<{ x: number; y: number }> {
  const transform = await page
    .locator(`.react-flow__node[data-id="${id}"]`)
    .evaluate((el) => (el as HTMLElement).style.transform);
  const match = /translate\((-?[\d.]+)px,\s*(-?[\d.]+)px\)/.exec(transform);
  if (!match) throw new Error(`no position on ${id}: ${transform}`);
  return { x: Math.round(Number(match[1])), y: Math.round(Number(match[2])) };
}

/** Drags a node by its title by (dx, dy) screen pixels. */
async function dragNode(page: Page, name: string, dx: number, dy: number): Promise<void> {
  const head = page.getByRole("group", { name }).locator(".nl-head");
  const box = await head.boundingBox();
  if (!box) throw new Error(`${name} not on screen`);
  const x = box.x + box.width / 2;
  const y = box.y + box.height / 2;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + dx / 2, y + dy / 2, { steps: 5 });
  await page.mouse.move(x + dx, y + dy, { steps: 5 });
  await page.mouse.up();
}

test("the demo tenant at fit: every name and label at least 11 px on screen", async ({
  page,
  demoUsers,
  loginAs,
}) => {
  const admin = demoUsers.find((u) => u.role === "tenant_admin");
  if (!admin) throw new Error("no demo tenant admin");
  await loginAs(page, admin.email, admin.password);
  await openTenant(page, "demo");
  await expect(page.getByRole("group", { name: "network db" })).toBeVisible();
  await page.getByRole("button", { name: "Fit", exact: true }).click();
  await page.waitForTimeout(600);
  const sizes = await page.evaluate(() => {
    const viewport = document.querySelector<HTMLElement>(".react-flow__viewport");
    const zoom = Number(/scale\(([\d.]+)\)/.exec(viewport?.style.transform ?? "")?.[1] ?? "1");
    const texts = [
      ...document.querySelectorAll<HTMLElement>(".react-flow__node .nl-name, .nl-edge-label"),
    ];
    return {
      zoom,
      texts: texts
        .filter(
          (el) => el.getClientRects().length > 0 && getComputedStyle(el).visibility !== "hidden",
        )
        .map((el) => ({
          text: el.textContent ?? "",
          px: Number.parseFloat(getComputedStyle(el).fontSize) * zoom,
        })),
      // Any visible text inside nodes besides names (details must be hidden below LOW_ZOOM).
      details: [...document.querySelectorAll<HTMLElement>(".react-flow__node .nl-detail")]
        .filter((el) => el.getClientRects().length > 0)
        .map((el) => Number.parseFloat(getComputedStyle(el).fontSize) * zoom),
    };
  });
  expect(sizes.texts.length).toBeGreaterThanOrEqual(15);
  for (const text of sizes.texts) {
    expect(text.px, `"${text.text}" at zoom ${sizes.zoom}`).toBeGreaterThanOrEqual(10.9);
  }
  for (const px of sizes.details) expect(px).toBeGreaterThanOrEqual(10.9);
  await expect(page.locator(".react-flow__edge")).toHaveCount(
    await page.locator(".react-flow__edge").count(),
  );
  await page.screenshot({ path: path.join(DOCS_SCREENSHOTS, "canvas-demo-fit.png") });
  // The legend explains the drawing.
  await page.getByText("Legend", { exact: true }).click();
  await expect(page.getByRole("list", { name: "Line kinds" })).toContainText("policy that allows");
  await page.screenshot({ path: path.join(DOCS_SCREENSHOTS, "canvas-demo-legend.png") });
});

test("positions are one layout shared by every user; auto-layout is undoable", async ({
  page,
  browser,
  admin,
  seedTenant,
  loginAs,
}) => {
  const seeded = await seedTenant(twoTierTenant(uniqueName("lay")));
  const viewerEmail = `${seeded.tenant}-viewer@e2e.netloom`;
  await trpc(admin, "mutation", "users.create", {
    email: viewerEmail,
    displayName: "viewer",
    password: "viewer-password-1",
  });
  await trpc(admin, "mutation", "users.grant", {
    email: viewerEmail,
    tenant: seeded.tenant,
    role: "tenant_viewer",
  });
  await loginAs(page, seeded.email, seeded.password);
  await openTenant(page, seeded.tenant);
  await expect(page.getByRole("group", { name: "network db" })).toBeVisible();
  // The first view stored the automatic layout for everyone.
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
      return Object.keys(layout.positions).sort();
    })
    .toEqual(["net:db", "net:web", "wl:db-1", "wl:web-1"]);
  const generation = (
    await trpc<{ generation: number }>(admin, "query", "tenants.get", { tenant: seeded.tenant })
  ).generation;

  // A new layout is applied a slice per frame: on a loaded machine it may still be moving the
  // nodes. Drag only once db stands still (a drag during that apply is overwritten: issue 10).
  let settled = await nodePosition(page, "net:db");
  await expect
    .poll(async () => {
      const now = await nodePosition(page, "net:db");
      const still = now.x === settled.x && now.y === settled.y;
      settled = now;
      return still;
    })
    .toBe(true);
  const before = await nodePosition(page, "net:db");
  await dragNode(page, "network db", 60, 140);
  const dragged = await nodePosition(page, "net:db");
  expect(dragged.y).toBeGreaterThan(before.y + 50);
  await expect
    .poll(async () => {
      const layout = await trpc<{ positions: Record<string, { x: number; y: number }> }>(
        admin,
        "query",
        "layout.get",
        { tenant: seeded.tenant },
      );
      const at = layout.positions["net:db"];
      return at ? { x: Math.round(at.x), y: Math.round(at.y) } : null;
    })
    .toEqual(dragged);
  // Moving things is not a change of intent.
  expect(
    (await trpc<{ generation: number }>(admin, "query", "tenants.get", { tenant: seeded.tenant }))
      .generation,
  ).toBe(generation);

  // Another user, another browser: the same picture.
  const other = await browser.newContext();
  const viewerPage = await other.newPage();
  await loginAs(viewerPage, viewerEmail, "viewer-password-1");
  await openTenant(viewerPage, seeded.tenant);
  await expect(viewerPage.getByRole("group", { name: "network db" })).toBeVisible();
  await expect.poll(() => nodePosition(viewerPage, "net:db")).toEqual(dragged);
  await other.close();

  // Auto-layout puts db back in its tier; undo restores the hand-made position.
  await page.getByRole("button", { name: "Auto-layout" }).click();
  await expect.poll(() => nodePosition(page, "net:db")).not.toEqual(dragged);
  await page.getByRole("button", { name: "Undo layout" }).click();
  await expect.poll(() => nodePosition(page, "net:db")).toEqual(dragged);
});

test("a network dropped on another network lands in free space", async ({
  page,
  seedTenant,
  loginAs,
}) => {
  const seeded = await seedTenant(twoTierTenant(uniqueName("free")));
  await loginAs(page, seeded.email, seeded.password);
  await openTenant(page, seeded.tenant);
  const web = page.getByRole("group", { name: "network web" });
  await expect(web).toBeVisible();
  await page.getByRole("button", { name: "Add Network", exact: true }).dragTo(web);
  const dialog = page.getByRole("dialog", { name: "New network" });
  await dialog.getByLabel("Name").fill("app");
  await dialog.getByLabel("Subnet 1 CIDR").fill("10.3.0.0/24");
  await dialog.getByRole("button", { name: "Add network" }).click();
  const app = page.getByRole("group", { name: "network app" });
  await expect(app).toBeVisible();
  const boxes = await page.locator(".react-flow__node").evaluateAll((nodes) =>
    nodes.map((n) => {
      const r = n.getBoundingClientRect();
      return { id: (n as HTMLElement).dataset.id ?? "", x: r.x, y: r.y, w: r.width, h: r.height };
    }),
  );
  const added = boxes.find((b) => b.id === "net:app");
  if (!added) throw new Error("net:app not drawn");
  for (const b of boxes) {
    if (b.id === "net:app") continue;
    const overlap =
      added.x < b.x + b.w &&
      added.x + added.w > b.x &&
      added.y < b.y + b.h &&
      added.y + added.h > b.y;
    expect(overlap, `net:app on top of ${b.id}`).toBe(false);
  }
});
