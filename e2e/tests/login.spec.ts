import { expect, screenshot, test } from "./fixtures";

test("a tenant admin logs in with the form and lands on the demo topology", async ({
  page,
  demoUsers,
}) => {
  const user = demoUsers.find((u) => u.role === "tenant_admin");
  if (!user) throw new Error("the quick start printed no tenant admin");
  await page.goto("/");
  await expect(page.getByRole("form", { name: "Log in" })).toBeVisible();
  await screenshot(page, "01-login");
  await page.getByLabel("Email").fill(user.email);
  await page.getByLabel("Password").fill("wrong password");
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("alert")).toContainText("Wrong email or password");
  await page.getByLabel("Password").fill(user.password);
  await page.getByRole("button", { name: "Log in" }).click();
  // A member of exactly one tenant goes straight to it.
  await expect(page.getByRole("application", { name: "topology of demo" })).toBeVisible();
  await expect(page.getByRole("group", { name: "network web" })).toBeVisible();
  await expect(page.getByRole("group", { name: "workload db-1" })).toBeVisible();
  await expect(page.getByRole("group", { name: "service fw1" })).toBeVisible();
  await page.waitForTimeout(800);
  await screenshot(page, "02-tenant-canvas");
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page.getByRole("form", { name: "Log in" })).toBeVisible();
});
