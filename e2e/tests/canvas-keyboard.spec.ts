import type { Page } from "@playwright/test";
import { expect, openTenant, screenshot, test, twoTierTenant, uniqueName } from "./fixtures";

/**
 * Issue 13 (canvas part) and issue 10 §4: the canvas from the keyboard, and drops that do what
 * the hand expects.
 */

async function focusedId(page: Page): Promise<string | null> {
  return page.evaluate(() => {
    const element = document.activeElement?.closest<HTMLElement | SVGElement>(
      ".react-flow__node, .react-flow__edge",
    );
    return element?.dataset.id ?? null;
  });
}

test("keyboard: one Tab stop, arrows between objects, Enter selects, Delete and undo, the object menu", async ({
  page,
  seedTenant,
  loginAs,
}) => {
  const seeded = await seedTenant(twoTierTenant(uniqueName("kbd")));
  await loginAs(page, seeded.email, seeded.password);
  await openTenant(page, seeded.tenant);
  await expect(page.getByRole("group", { name: "network db" })).toBeVisible();
  // One Tab stop: exactly one canvas object is in the Tab order.
  await expect(
    page.locator('.react-flow__node[tabindex="0"], .react-flow__edge[tabindex="0"]'),
  ).toHaveCount(1);
  await page.getByRole("button", { name: "Policy web-db", exact: true }).focus();
  await page.keyboard.press("Tab");
  await expect.poll(() => focusedId(page)).toBe("net:web");
  // A visible focus indicator.
  const outline = await page.evaluate(
    () => getComputedStyle(document.activeElement as Element).outlineStyle,
  );
  expect(outline).not.toBe("none");
  await screenshot(page, "canvas-keyboard-focus");

  // Right of web: the policy edge, then db.
  await page.keyboard.press("ArrowRight");
  await expect.poll(() => focusedId(page)).toBe("pol:web-db:web:db");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("region", { name: "Inspector: Policy web-db" })).toBeVisible();
  await page.keyboard.press("ArrowRight");
  await expect.poll(() => focusedId(page)).toBe("net:db");
  await page.keyboard.press(" ");
  await expect(page.getByRole("region", { name: "Inspector: Network db" })).toBeVisible();
  // Below db: its workload. Delete removes the keyboard-selected object, Ctrl+Z restores it.
  await page.keyboard.press("ArrowDown");
  await expect.poll(() => focusedId(page)).toBe("wl:db-1");
  await page.keyboard.press("Enter");
  await expect(page.getByRole("region", { name: "Inspector: Workload db-1" })).toBeVisible();
  await page.keyboard.press("Delete");
  await expect(page.getByRole("group", { name: "workload db-1" })).toHaveCount(0);
  await expect.poll(() => focusedId(page)).not.toBeNull();
  await page.keyboard.press("Control+z");
  await expect(page.getByRole("group", { name: "workload db-1" })).toBeVisible();

  // Alt+arrow moves the focused node.
  await page.getByRole("group", { name: "network web" }).focus();
  const before = await page
    .locator('.react-flow__node[data-id="net:web"]')
    .evaluate((el) => (el as HTMLElement).style.transform);
  await page.keyboard.press("Alt+ArrowDown");
  await expect
    .poll(() =>
      page
        .locator('.react-flow__node[data-id="net:web"]')
        .evaluate((el) => (el as HTMLElement).style.transform),
    )
    .not.toBe(before);

  // The object menu: connect two networks with a policy, without a mouse.
  await page.keyboard.press("m");
  const menu = page.getByRole("menu", { name: "Actions for web" });
  await expect(menu).toBeVisible();
  await expect(page.getByRole("menuitem", { name: "Inspect" })).toBeFocused();
  await screenshot(page, "canvas-keyboard-menu");
  await page.keyboard.press("ArrowDown");
  await expect(
    page.getByRole("menuitem", { name: "Connect web to db with a policy…" }),
  ).toBeFocused();
  await page.keyboard.press("Enter");
  await expect(page.getByRole("dialog", { name: "Connect web and db" })).toBeVisible();
});

test("the object menu of a policy chains a service; Escape closes it back to the edge", async ({
  page,
  seedTenant,
  loginAs,
}) => {
  const seeded = await seedTenant(twoTierTenant(uniqueName("kmenu")));
  await loginAs(page, seeded.email, seeded.password);
  await openTenant(page, seeded.tenant);
  await expect(page.getByRole("group", { name: "network db" })).toBeVisible();
  await page.getByRole("group", { name: "network web" }).focus();
  await page.keyboard.press("ArrowRight");
  await expect.poll(() => focusedId(page)).toBe("pol:web-db:web:db");
  await page.keyboard.press("Shift+F10");
  await expect(page.getByRole("menu", { name: "Actions for policy web-db" })).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(page.getByRole("menu")).toHaveCount(0);
  await expect.poll(() => focusedId(page)).toBe("pol:web-db:web:db");
  await page.keyboard.press("m");
  await page.getByRole("menuitem", { name: "Chain a firewall into web-db…" }).press("Enter");
  await expect(
    page.getByRole("dialog", { name: "Chain firewall into policy web-db" }),
  ).toBeVisible();
});

test("connecting two networks works when the drop lands on the target's body", async ({
  page,
  seedTenant,
  loginAs,
}) => {
  const seeded = await seedTenant(twoTierTenant(uniqueName("body"), { policy: false }));
  await loginAs(page, seeded.email, seeded.password);
  await openTenant(page, seeded.tenant);
  const web = page.getByRole("group", { name: "network web" });
  const db = page.getByRole("group", { name: "network db" });
  await web.hover();
  const from = await web.locator(".react-flow__handle-right").boundingBox();
  const body = await db.boundingBox();
  if (!from || !body) throw new Error("not on screen");
  await page.mouse.move(from.x + from.width / 2, from.y + from.height / 2);
  await page.mouse.down();
  // Well inside db's body, far from any of its handles.
  const x = body.x + body.width * 0.7;
  const y = body.y + body.height * 0.75;
  await page.mouse.move((from.x + x) / 2, (from.y + y) / 2, { steps: 5 });
  await page.mouse.move(x, y, { steps: 5 });
  await page.mouse.up();
  await expect(page.getByRole("dialog", { name: "Connect web and db" })).toBeVisible();
});

test("a workload dropped on a network defaults its dialog to that network", async ({
  page,
  seedTenant,
  loginAs,
}) => {
  const seeded = await seedTenant(twoTierTenant(uniqueName("wdrop")));
  await loginAs(page, seeded.email, seeded.password);
  await openTenant(page, seeded.tenant);
  const db = page.getByRole("group", { name: "network db" });
  await expect(db).toBeVisible();
  await page.getByRole("button", { name: "Add Workload", exact: true }).dragTo(db);
  const dialog = page.getByRole("dialog", { name: "New workload" });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel("Interface 0 network")).toHaveValue("db");
  await screenshot(page, "35-new-workload-dialog");
});

test("Trace from here: a workload's menu opens the trace with it as the source, by keyboard", async ({
  page,
  seedTenant,
  loginAs,
}) => {
  const seeded = await seedTenant(twoTierTenant(uniqueName("ktrace")));
  await loginAs(page, seeded.email, seeded.password);
  await openTenant(page, seeded.tenant);
  await expect(page.getByRole("group", { name: "workload web-1" })).toBeVisible();
  // Into the canvas by Tab, then down from the web network to its workload.
  await page.getByRole("button", { name: "Policy web-db", exact: true }).focus();
  await page.keyboard.press("Tab");
  await expect.poll(() => focusedId(page)).toBe("net:web");
  await page.keyboard.press("ArrowDown");
  await expect.poll(() => focusedId(page)).toBe("wl:web-1");

  // The context-menu key opens the workload's menu; Escape gives focus back to the workload.
  await page.keyboard.press("ContextMenu");
  const menu = page.getByRole("menu", { name: "Actions for web-1" });
  await expect(menu).toBeVisible();
  await expect(menu.getByRole("menuitem", { name: "Trace from here" })).toBeVisible();
  await page.keyboard.press("Escape");
  await expect(menu).toHaveCount(0);
  await expect.poll(() => focusedId(page)).toBe("wl:web-1");

  // Shift+F10 opens it too; the entry is reached with the arrow keys and chosen with Enter.
  await page.keyboard.press("Shift+F10");
  await expect(menu.getByRole("menuitem", { name: "Inspect" })).toBeFocused();
  await page.keyboard.press("ArrowDown");
  await expect(menu.getByRole("menuitem", { name: "Trace from here" })).toBeFocused();
  await screenshot(page, "canvas-keyboard-trace-menu");
  await page.keyboard.press("Enter");

  // The trace panel is open with web-1 as the source, and the destination has focus.
  await expect(page.getByRole("tab", { name: "Reachability" })).toHaveAttribute(
    "aria-selected",
    "true",
  );
  const form = page.getByRole("form", { name: "Trace a flow" });
  await expect(form.getByLabel("From", { exact: true })).toHaveValue("web-1");
  const to = form.getByLabel("To", { exact: true });
  await expect(to).toBeFocused();
  await page.keyboard.type("db-1");
  await form.getByLabel("Port", { exact: true }).fill("5432");
  await form.getByLabel("Port", { exact: true }).press("Enter");
  await expect(page.getByRole("region", { name: "Trace result" })).toContainText("ALLOW");
  await screenshot(page, "canvas-keyboard-trace-from-here");

  // Asked again from another workload (by pointer this time: a right click opens the same
  // menu), the trace restarts from it.
  await page.getByRole("group", { name: "workload db-1" }).click({ button: "right" });
  await page
    .getByRole("menu", { name: "Actions for db-1" })
    .getByRole("menuitem", { name: "Trace from here" })
    .click();
  await expect(form.getByLabel("From", { exact: true })).toHaveValue("db-1");
});
