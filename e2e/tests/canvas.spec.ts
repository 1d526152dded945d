import { expect, openTenant, screenshot, test, twoTierTenant, uniqueName } from "./fixtures";

test.describe("editing the topology on the canvas", () => {
  test("drag a network from the palette onto the canvas", async ({ page, seedTenant, loginAs }) => {
    const seeded = await seedTenant(twoTierTenant(uniqueName("drag")));
    await loginAs(page, seeded.email, seeded.password);
    await openTenant(page, seeded.tenant);
    const canvas = page.getByRole("application", { name: `topology of ${seeded.tenant}` });
    await page
      .getByRole("button", { name: "Add Network", exact: true })
      .dragTo(canvas, { targetPosition: { x: 120, y: 420 } });
    const dialog = page.getByRole("dialog", { name: "New network" });
    await expect(dialog).toBeVisible();
    await dialog.getByLabel("Name").fill("app");
    await dialog.getByLabel("Subnet 1 CIDR").fill("10.3.0.0/24");
    await screenshot(page, "03-new-network-dialog");
    await dialog.getByRole("button", { name: "Add network" }).click();
    await expect(dialog).toBeHidden();
    await expect(page.getByRole("group", { name: "network app" })).toBeVisible();
    await expect(page.getByRole("status").filter({ hasText: "Draft:" })).toContainText(
      "valid, not applied",
    );
    // Review shows the planned change; apply commits it.
    await page.getByRole("button", { name: "Review & apply" }).click();
    await expect(page.getByRole("region", { name: "Object changes" })).toContainText(
      "create network app",
    );
    await screenshot(page, "04-plan-review");
    await page.getByRole("button", { name: "Apply", exact: true }).click();
    await expect(
      page.getByRole("status").filter({ hasText: "No unapplied changes" }),
    ).toBeVisible();
  });

  test("a bad CIDR shows its error by the field", async ({ page, seedTenant, loginAs }) => {
    const seeded = await seedTenant(twoTierTenant(uniqueName("cidr")));
    await loginAs(page, seeded.email, seeded.password);
    await openTenant(page, seeded.tenant);
    await page.getByRole("button", { name: "Add Network", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "New network" });
    await dialog.getByLabel("Name").fill("bad");
    const cidr = dialog.getByLabel("Subnet 1 CIDR");
    await cidr.fill("10.9.0.0/33");
    await dialog.getByRole("button", { name: "Add network" }).click();
    // The message sits right by the field and the field is marked invalid, once.
    await expect(cidr).toHaveAttribute("aria-invalid", "true");
    const describedBy = await cidr.getAttribute("aria-describedby");
    expect(describedBy).toBeTruthy();
    const message = page.locator(`[id="${describedBy}"]`);
    await expect(message).toContainText(/prefix|CIDR|33/i);
    await expect(dialog.getByRole("alert")).toHaveCount(1);
    await screenshot(page, "05-bad-cidr");
    // Overlapping an existing subnet is refused by the field too.
    await cidr.fill("10.1.0.0/25");
    await dialog.getByRole("button", { name: "Add network" }).click();
    await expect(cidr).toHaveAttribute("aria-invalid", "true");
    await expect(message).toContainText(/overlap/i);
    await cidr.fill("10.9.0.0/24");
    await dialog.getByRole("button", { name: "Add network" }).click();
    await expect(dialog).toBeHidden();
  });

  test("connect two networks and set a rule", async ({ page, seedTenant, loginAs }) => {
    const seeded = await seedTenant(twoTierTenant(uniqueName("conn"), { policy: false }));
    await loginAs(page, seeded.email, seeded.password);
    await openTenant(page, seeded.tenant);
    const web = page.getByRole("group", { name: "network web" });
    const db = page.getByRole("group", { name: "network db" });
    await web.hover();
    const from = web.locator(".react-flow__handle-right");
    const to = db.locator(".react-flow__handle-left");
    const a = await from.boundingBox();
    const b = await to.boundingBox();
    if (!a || !b) throw new Error("network handles not on screen");
    await page.mouse.move(a.x + a.width / 2, a.y + a.height / 2);
    await page.mouse.down();
    await page.mouse.move((a.x + b.x) / 2, (a.y + b.y) / 2, { steps: 5 });
    await page.mouse.move(b.x + b.width / 2, b.y + b.height / 2, { steps: 5 });
    await page.mouse.up();
    const dialog = page.getByRole("dialog", { name: "Connect web and db" });
    await expect(dialog).toBeVisible();
    // The default rule allows tcp on every port, both ways; narrow it to 5432.
    await expect(dialog.getByLabel("Rule 1 action")).toHaveValue("allow");
    await expect(dialog.getByLabel("Rule 1 protocol")).toHaveValue("tcp");
    await dialog.getByLabel("Rule 1 ports").fill("5432");
    await screenshot(page, "06-connect-dialog");
    await dialog.getByRole("button", { name: "Create policy" }).click();
    await expect(dialog).toBeHidden();
    const edge = page
      .getByRole("group", { name: "policy web-db between web and db" })
      .or(page.getByRole("img", { name: "policy web-db between web and db" }));
    await expect(edge.first()).toBeAttached();
    await expect(page.getByRole("button", { name: "Policy web-db", exact: true })).toBeVisible();
    // The inspector shows the new policy with its rule.
    await page.getByRole("button", { name: "Policy web-db", exact: true }).click();
    await expect(page.getByLabel("Rule 1 ports")).toHaveValue("5432");
  });

  test("drop a firewall on a policy edge puts it in the service chain", async ({
    page,
    seedTenant,
    loginAs,
  }) => {
    const seeded = await seedTenant(twoTierTenant(uniqueName("chain")));
    await loginAs(page, seeded.email, seeded.password);
    await openTenant(page, seeded.tenant);
    const label = page.locator('[data-edge-id^="pol:web-db:"]');
    await expect(label).toBeVisible();
    await page.getByRole("button", { name: "Add Firewall", exact: true }).dragTo(label);
    const dialog = page.getByRole("dialog", { name: "Chain firewall into policy web-db" });
    await expect(dialog).toBeVisible();
    await dialog.getByLabel("Name").fill("fw1");
    await dialog.getByRole("button", { name: "Add to chain" }).click();
    await expect(dialog).toBeHidden();
    await expect(label).toContainText("fw1");
    await expect(page.getByRole("group", { name: "service fw1" })).toBeVisible();
    await expect(page.getByLabel("Rule 1 service chain")).toHaveValue("fw1");
    await screenshot(page, "07-firewall-chained");
  });

  test("drag a policy from the library onto a network attaches it", async ({
    page,
    seedTenant,
    loginAs,
  }) => {
    const doc = twoTierTenant(uniqueName("attach"));
    (doc.networks ?? []).push({ name: "app", subnets: [{ cidr: "10.3.0.0/24" }] } as never);
    const seeded = await seedTenant(doc);
    await loginAs(page, seeded.email, seeded.password);
    await openTenant(page, seeded.tenant);
    const app = page.getByRole("group", { name: "network app" });
    await expect(app).toBeVisible();
    await page.getByRole("button", { name: "Policy web-db", exact: true }).dragTo(app);
    await expect(app).toContainText("web-db");
    await page.getByRole("button", { name: "Policy web-db", exact: true }).click();
    await expect(page.getByRole("checkbox", { name: "app" })).toBeChecked();
  });
});

test("keyboard: Delete removes the selection, Ctrl+Z brings it back, Ctrl+Shift+Z redoes", async ({
  page,
  seedTenant,
  loginAs,
}) => {
  const seeded = await seedTenant(twoTierTenant(uniqueName("keys")));
  await loginAs(page, seeded.email, seeded.password);
  await openTenant(page, seeded.tenant);
  const db1 = page.getByRole("group", { name: "workload db-1" });
  await db1.click();
  await expect(page.getByRole("region", { name: "Inspector: Workload db-1" })).toBeVisible();
  await page.keyboard.press("Delete");
  await expect(db1).toHaveCount(0);
  await expect(page.getByRole("status").filter({ hasText: "Draft:" })).toBeVisible();
  await page.keyboard.press("Control+z");
  await expect(db1).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "No unapplied changes" })).toBeVisible();
  await page.keyboard.press("Control+Shift+z");
  await expect(db1).toHaveCount(0);
  // Search dims everything but the matches.
  await page.getByRole("button", { name: "Discard", exact: true }).click();
  await page
    .getByRole("dialog", { name: "Discard the draft?" })
    .getByRole("button", { name: "Discard draft" })
    .click();
  await page.getByRole("searchbox", { name: "Search objects" }).fill("web");
  await expect(page.locator('[data-id="net:web"] .search-hit')).toHaveCount(1);
  await expect(page.locator('[data-id="net:db"] .search-miss')).toHaveCount(1);
});
