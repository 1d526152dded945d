import { expect, openTenant, screenshot, test, twoTierTenant, uniqueName } from "./fixtures";

test("a trace shows allow, then deny after a change", async ({ page, seedTenant, loginAs }) => {
  const seeded = await seedTenant(twoTierTenant(uniqueName("trace")));
  await loginAs(page, seeded.email, seeded.password);
  await openTenant(page, seeded.tenant);
  await page.getByRole("tab", { name: "Reachability" }).click();
  const form = page.getByRole("form", { name: "Trace a flow" });
  await form.getByLabel("From", { exact: true }).fill("web-1");
  await form.getByLabel("To", { exact: true }).fill("db-1");
  await form.getByLabel("Protocol", { exact: true }).selectOption("tcp");
  await form.getByLabel("Port", { exact: true }).fill("5432");
  await form.getByRole("button", { name: "Trace", exact: true }).click();
  const result = page.getByRole("region", { name: "Trace result" });
  await expect(result.getByRole("status")).toHaveText("ALLOW");
  await expect(result).toContainText("policy:web-db/0");
  // The path is drawn on the canvas.
  await expect(
    page
      .getByRole("group", { name: "workload web-1" })
      .locator(".trace-path, .trace-decided")
      .or(page.locator('[data-id="wl:web-1"] .trace-path')),
  ).toHaveCount(1);
  await screenshot(page, "08-trace-allow");

  // Change the rule to deny in the inspector, apply, and the same trace turns to deny.
  await page.getByRole("button", { name: "Policy web-db", exact: true }).click();
  await page.getByLabel("Rule 1 action").selectOption("deny");
  await page.getByRole("button", { name: "Review & apply" }).click();
  await expect(page.getByRole("region", { name: "Object changes" })).toContainText(
    "update policy web-db",
  );
  await page.getByRole("button", { name: "Apply", exact: true }).click();
  await expect(page.getByRole("status").filter({ hasText: "No unapplied changes" })).toBeVisible();
  await page.getByRole("tab", { name: "Reachability" }).click();
  await form.getByLabel("From", { exact: true }).fill("web-1");
  await form.getByLabel("To", { exact: true }).fill("db-1");
  await form.getByLabel("Port", { exact: true }).fill("5432");
  await form.getByRole("button", { name: /Why can't web-1 reach db-1/ }).click();
  await expect(result.getByRole("status")).toHaveText("DENY");
  await expect(result).toContainText("policy:web-db/0");
  await expect(page.locator(".trace-decided").first()).toBeAttached();
  await screenshot(page, "09-trace-deny");

  // The matrix agrees and the history lists both generations.
  await page.getByRole("button", { name: "Matrix", exact: true }).click();
  await expect(page.getByRole("table", { name: "Reachability matrix" })).toBeVisible();
  await screenshot(page, "10-matrix");
  await page.getByRole("tab", { name: "History" }).click();
  await expect(
    page.getByRole("button", { name: /Review restore of generation/ }).first(),
  ).toBeVisible();
  await screenshot(page, "11-history");
});
