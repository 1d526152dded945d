import { expect, screenshot, test, trpc, twoTierTenant, uniqueName } from "./fixtures";

test("an operator sees two tenants and cannot edit them", async ({
  page,
  admin,
  seedTenant,
  loginAs,
}) => {
  const first = await seedTenant(twoTierTenant(uniqueName("opa")));
  const second = await seedTenant(twoTierTenant(uniqueName("opb")));
  const email = `${uniqueName("viewer")}@e2e.netloom`;
  const password = "viewer-password-1";
  await trpc(admin, "mutation", "users.create", {
    email,
    displayName: "Cloud viewer",
    password,
    globalRole: "cloud_viewer",
  });
  await loginAs(page, email, password);
  await page.goto("/");
  await expect(
    page
      .getByRole("list", { name: "Tenants" })
      .getByRole("link", { name: new RegExp(first.tenant) }),
  ).toBeVisible();
  await screenshot(page, "12a-tenant-picker");
  await page.goto("/#/operator/tenants");
  const table = page.getByRole("table", { name: "All tenants" });
  await expect(table.getByRole("rowheader", { name: first.tenant })).toBeVisible();
  await expect(table.getByRole("rowheader", { name: second.tenant })).toBeVisible();
  await screenshot(page, "12-operator-tenants");

  await page.getByRole("link", { name: `View topology of ${second.tenant}` }).click();
  await expect(
    page.getByRole("application", { name: `topology of ${second.tenant}` }),
  ).toBeVisible();
  await expect(page.getByRole("group", { name: "network web" })).toBeVisible();
  await expect(page.getByRole("note")).toContainText("Read only");
  // No way to edit: palette disabled, no review, the inspector is read only.
  await expect(page.getByRole("button", { name: "Add Network", exact: true })).toBeDisabled();
  await expect(page.getByRole("button", { name: "Review & apply" })).toHaveCount(0);
  await page.getByRole("group", { name: "network web" }).click();
  await expect(page.getByLabel("Name")).toHaveAttribute("readonly", "");
  await expect(page.getByRole("button", { name: /^Delete/ })).toHaveCount(0);
  await screenshot(page, "13-operator-readonly-topology");
  // And the controller agrees: a write as the viewer is refused.
  const refused = await page.request.post("/trpc/intent.applyFile", {
    data: { document: twoTierTenant(second.tenant, { policy: false }) },
  });
  expect(refused.status()).toBe(403);

  await page.goto("/#/operator/nodes");
  const nodes = page.getByRole("table", { name: "Nodes" });
  await expect(nodes).toBeVisible();
  // Drift the agents found and repaired, per node (issue 8): none on the demo's memory nodes.
  await expect(nodes.getByRole("columnheader", { name: "drift repaired" })).toBeVisible();
  await expect(nodes.getByRole("cell", { name: "none" }).first()).toBeVisible();
  await screenshot(page, "14-operator-nodes");
  await page.goto("/#/operator/quotas");
  await expect(
    page.getByRole("table", { name: "Quotas" }).getByRole("rowheader", { name: first.tenant }),
  ).toBeVisible();
  await screenshot(page, "15-operator-quotas");
});
