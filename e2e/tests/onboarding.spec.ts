import { expect, screenshot, test, uniqueName } from "./fixtures";

test("an operator creates a tenant and a user, grants a role, changes a quota; the user logs in", async ({
  page,
  demoUsers,
}) => {
  const operator = demoUsers.find((u) => u.role === "cloud_admin");
  if (!operator) throw new Error("the quick start printed no cloud admin");
  const tenant = uniqueName("onb");
  const email = `${uniqueName("newcomer")}@e2e.netloom`;
  const password = "newcomer-password-1";

  await page.goto("/");
  await page.getByLabel("Email").fill(operator.email);
  await page.getByLabel("Password").fill(operator.password);
  await page.getByRole("button", { name: "Log in" }).click();
  await page
    .getByRole("navigation", { name: "Main" })
    .getByRole("link", { name: "Operator" })
    .click();

  // Tenant.
  await page.getByLabel("New tenant name").fill(tenant);
  await page.getByRole("button", { name: "Create tenant" }).click();
  const table = page.getByRole("table", { name: "All tenants" });
  await expect(table.getByRole("rowheader", { name: tenant })).toBeVisible();
  await expect(
    page.getByRole("status").filter({ hasText: `Created tenant ${tenant}` }),
  ).toBeAttached();
  // A bad name is refused, naming the field, and creates nothing.
  await page.getByLabel("New tenant name").fill("Bad Name!");
  await page.getByRole("button", { name: "Create tenant" }).click();
  await expect(
    page.getByRole("form", { name: "Create a tenant" }).getByRole("alert"),
  ).toBeVisible();
  await expect(table.getByRole("rowheader", { name: "Bad Name!" })).toHaveCount(0);
  await screenshot(page, "40-operator-create-tenant");

  // User, then a role in the new tenant.
  await page.getByRole("link", { name: "Users and roles" }).click();
  const create = page.getByRole("form", { name: "Create or invite a user" });
  await create.getByLabel("Email").fill(email);
  await create.getByLabel("Display name").fill("New Comer");
  await create.getByLabel("Initial password (8 or more characters)").fill(password);
  await create.getByRole("button", { name: "Create user" }).click();
  const users = page.getByRole("table", { name: "Users" });
  await expect(users.getByRole("rowheader", { name: email })).toBeVisible();
  const grant = page.getByRole("form", { name: "Grant a role" });
  await grant.getByLabel("User email").fill(email);
  await grant.getByLabel("Tenant").selectOption(tenant);
  await grant.getByLabel("Role").selectOption("tenant_admin");
  await grant.getByRole("button", { name: "Grant role" }).click();
  const userRow = users
    .getByRole("row")
    .filter({ has: page.getByRole("rowheader", { name: email }) });
  await expect(userRow).toContainText(`tenant admin of ${tenant}`);
  await screenshot(page, "41-operator-users");

  // Quota.
  await page.getByRole("link", { name: "Quotas and usage" }).click();
  await page.getByRole("button", { name: `Edit quotas of ${tenant}` }).click();
  await page.getByLabel(`networks quota of ${tenant}`, { exact: false }).fill("7");
  await page.getByRole("button", { name: "Save quotas" }).click();
  const quotaRow = page
    .getByRole("table", { name: "Quotas" })
    .getByRole("row")
    .filter({ has: page.getByRole("rowheader", { name: tenant }) });
  await expect(quotaRow).toContainText("0/7");
  await screenshot(page, "42-operator-quotas-edit");

  // Revoke and grant again (viewer), so both directions are exercised.
  await page.getByRole("link", { name: "Users and roles" }).click();
  await page.getByRole("button", { name: `Revoke ${email} from ${tenant}` }).click();
  await expect(userRow).not.toContainText(tenant);
  await grant.getByLabel("User email").fill(email);
  await grant.getByLabel("Tenant").selectOption(tenant);
  await grant.getByLabel("Role").selectOption("tenant_admin");
  await grant.getByRole("button", { name: "Grant role" }).click();
  await expect(userRow).toContainText(`tenant admin of ${tenant}`);

  // The new user logs in and lands in the new, empty tenant.
  await page.getByRole("button", { name: "Log out" }).click();
  await expect(page.getByRole("form", { name: "Log in" })).toBeVisible();
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Log in" }).click();
  await expect(page.getByRole("application", { name: `topology of ${tenant}` })).toBeVisible();
  await expect(page.getByRole("heading", { level: 1, name: tenant })).toBeVisible();
});
