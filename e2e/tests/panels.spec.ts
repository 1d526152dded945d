import { expect, openTenant, screenshot, test, twoTierTenant, uniqueName } from "./fixtures";

test("a policy's rule table fits the inspector: whole selects, delete buttons in view", async ({
  page,
  seedTenant,
  loginAs,
}) => {
  const seeded = await seedTenant(twoTierTenant(uniqueName("fit")));
  await loginAs(page, seeded.email, seeded.password);
  await openTenant(page, seeded.tenant);
  await page
    .getByRole("complementary", { name: "Tools" })
    .getByRole("button", { name: "policy web-db" })
    .first()
    .click();
  const panel = page.getByRole("complementary", { name: "Details" });
  const remove = panel.getByRole("button", { name: "Remove rule 1" });
  await expect(remove).toBeVisible();
  const panelBox = await panel.boundingBox();
  const removeBox = await remove.boundingBox();
  if (!panelBox || !removeBox) throw new Error("no layout");
  // The delete button lies inside the panel, not behind a horizontal scroll.
  expect(removeBox.x + removeBox.width).toBeLessThanOrEqual(panelBox.x + panelBox.width);
  const wrapScrolls = await panel
    .locator(".rule-table-wrap")
    .first()
    .evaluate((el) => el.scrollWidth - el.clientWidth);
  expect(wrapScrolls).toBeLessThanOrEqual(0);
  // Each select shows its whole value ("allow", "tcp"), not a clipped prefix.
  for (const label of ["Rule 1 action", "Rule 1 protocol"]) {
    const clipped = await panel
      .getByLabel(label)
      .evaluate((el) => el.scrollWidth > el.clientWidth + 1);
    expect(clipped, label).toBe(false);
  }
  await screenshot(page, "70-policy-rule-table");
});
