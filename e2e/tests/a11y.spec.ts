import AxeBuilder from "@axe-core/playwright";
import type { Page } from "@playwright/test";
import { expect, screenshot, test } from "./fixtures";

/** Runs axe on the page as it is now; fails listing every serious or critical violation. */
async function expectAccessible(page: Page, screen: string): Promise<void> {
  const results = await new AxeBuilder({ page })
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"])
    .analyze();
  const blocking = results.violations.filter(
    (v) => v.impact === "serious" || v.impact === "critical",
  );
  const report = blocking.map(
    (v) =>
      `${v.id} (${v.impact}): ${v.help}\n${v.nodes
        .slice(0, 5)
        .map((n) => `    ${n.target.join(" ")}: ${n.failureSummary?.split("\n").join(" ") ?? ""}`)
        .join("\n")}`,
  );
  expect.soft(report, `serious or critical axe violations on ${screen}`).toEqual([]);
}

async function logIn(page: Page, email: string, password: string): Promise<void> {
  await page.goto("/");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
}

test("every main screen has no serious or critical axe violations", async ({ page, demoUsers }) => {
  test.setTimeout(600_000);
  const tenantAdmin = demoUsers.find((u) => u.role === "tenant_admin");
  const operator = demoUsers.find((u) => u.role === "cloud_admin");
  if (!tenantAdmin || !operator) throw new Error("the quick start printed no demo users");

  await page.goto("/");
  await expect(page.getByRole("form", { name: "Log in" })).toBeVisible();
  await expectAccessible(page, "login");

  // The tenant admin's workspace, each panel tab, a create dialog.
  await logIn(page, tenantAdmin.email, tenantAdmin.password);
  await expect(page.getByRole("application", { name: "topology of demo" })).toBeVisible();
  await expect(page.getByRole("heading", { level: 1 })).toHaveCount(1);
  await expect(page.getByRole("main")).toHaveCount(1);
  await expectAccessible(page, "canvas");
  await page.getByRole("group", { name: "network web" }).click();
  await expectAccessible(page, "canvas with the network inspector");
  for (const tab of ["Security groups", "Reachability", "Plan", "History"]) {
    await page.getByRole("tab", { name: tab }).click();
    await expect(page.getByRole("tabpanel")).toBeVisible();
    await page.waitForTimeout(300);
    await expectAccessible(page, `canvas with the ${tab} tab`);
  }
  await page.getByRole("button", { name: "Add Network", exact: true }).click();
  await expect(page.getByRole("dialog", { name: "New network" })).toBeVisible();
  await expectAccessible(page, "new network dialog");
  await page.keyboard.press("Escape");
  await page.getByRole("button", { name: "Log out" }).click();
  // Logging out reloads the page: wait for it, or the next navigation races the reload.
  await expect(page.getByRole("form", { name: "Log in" })).toBeVisible();

  // The operator: picker, console sections, a read-only canvas.
  await logIn(page, operator.email, operator.password);
  await expect(page.getByRole("heading", { name: "Choose a tenant" })).toBeVisible();
  await expectAccessible(page, "tenant picker");
  await screenshot(page, "50-tenant-picker");
  for (const [section, heading] of [
    ["tenants", "Tenants"],
    ["users", "Users and roles"],
    ["nodes", "Forwarding nodes"],
    ["quotas", "Quotas and usage"],
  ] as const) {
    await page.goto(`/#/operator/${section}`);
    await expect(page.getByRole("heading", { level: 1, name: heading })).toBeVisible();
    await page.waitForTimeout(300);
    await expectAccessible(page, `operator ${section}`);
    await screenshot(page, `51-operator-${section}`);
  }
  await page.goto("/#/operator/tenant/demo");
  await expect(page.getByRole("application", { name: "topology of demo" })).toBeVisible();
  await expectAccessible(page, "read-only canvas");
});
