import type { Page } from "@playwright/test";
import { expect, openTenant, screenshot, test, trpc, twoTierTenant, uniqueName } from "./fixtures";

/** Opens policy web-db from the policy library and turns its first rule into a deny. */
async function denyFirstRule(page: Page): Promise<void> {
  await page
    .getByRole("complementary", { name: "Tools" })
    .getByRole("button", { name: "policy web-db" })
    .first()
    .click();
  await page.getByLabel("Rule 1 action").selectOption("deny");
  await page.getByRole("button", { name: "Review & apply" }).click();
  await expect(page.getByRole("heading", { name: "Review changes" })).toBeFocused();
}

test("the review shows each changed field before and after; a restore goes through the same review", async ({
  page,
  admin,
  seedTenant,
  loginAs,
}) => {
  const seeded = await seedTenant(twoTierTenant(uniqueName("diff")));
  await loginAs(page, seeded.email, seeded.password);
  await openTenant(page, seeded.tenant);
  await denyFirstRule(page);
  const fields = page.getByRole("table", { name: "Fields of policy web-db" });
  const row = fields.getByRole("row").filter({ hasText: "rules[0].action" });
  await expect(row).toContainText('"allow"');
  await expect(row).toContainText('"deny"');
  await expect(fields.getByRole("row")).toHaveCount(2); // header + the one changed field
  await screenshot(page, "30-review-field-diff");
  await page.getByRole("button", { name: "Apply", exact: true }).click();
  await expect(
    page.getByRole("status").filter({ hasText: "Applied as generation 2" }).first(),
  ).toBeVisible();

  // Restore generation 1: loaded as the draft, reviewed, applied only after confirmation.
  await page.getByRole("tab", { name: "History" }).click();
  await page.getByRole("button", { name: "Review restore of generation 1" }).click();
  await expect(page.getByRole("heading", { name: "Review restore of generation 1" })).toBeVisible();
  const back = page
    .getByRole("table", { name: "Fields of policy web-db" })
    .getByRole("row")
    .filter({ hasText: "rules[0].action" });
  await expect(back).toContainText('"deny"');
  await expect(back).toContainText('"allow"');
  await page.getByRole("button", { name: "Restore…" }).click();
  const confirm = page.getByRole("dialog", { name: "Restore generation 1?" });
  await expect(confirm).toBeVisible();
  await screenshot(page, "31-restore-confirm");
  // Cancel changes nothing; the draft is still there.
  await confirm.getByRole("button", { name: "Cancel" }).click();
  await expect(confirm).toHaveCount(0);
  const stored = await trpc<{ generation: number }>(admin, "query", "intent.export", {
    tenant: seeded.tenant,
  });
  expect(stored.generation).toBe(2);
  await page.getByRole("button", { name: "Restore…" }).click();
  await confirm.getByRole("button", { name: "Restore generation 1" }).click();
  await expect(
    page.getByRole("status").filter({ hasText: "Restored generation 1 as generation 3" }),
  ).toBeVisible();
  const restored = await trpc<{
    generation: number;
    document: { policies: { rules: { action: string }[] }[] };
  }>(admin, "query", "intent.export", { tenant: seeded.tenant });
  expect(restored.generation).toBe(3);
  expect(restored.document.policies[0]?.rules[0]?.action).toBe("allow");
});

test("adding a deny rule: the review lists the workload pairs whose verdict flips", async ({
  page,
  seedTenant,
  loginAs,
}) => {
  const seeded = await seedTenant(twoTierTenant(uniqueName("flip")));
  await loginAs(page, seeded.email, seeded.password);
  await openTenant(page, seeded.tenant);
  await denyFirstRule(page);
  const denied = page.getByRole("list", { name: /Newly denied/ });
  await expect(denied).toContainText("web-1 → db-1 tcp/5432: allow → deny");
  await screenshot(page, "32-review-reach-delta");
});

test("discard asks first and can be undone; import takes the CLI's YAML; export gives YAML", async ({
  page,
  seedTenant,
  loginAs,
}) => {
  const seeded = await seedTenant(twoTierTenant(uniqueName("yaml")));
  await loginAs(page, seeded.email, seeded.password);
  await openTenant(page, seeded.tenant);
  const yaml = [
    "apiVersion: netloom/v1",
    `tenant: ${seeded.tenant}`,
    "networks:",
    "  - name: web",
    "    subnets: [ { cidr: 10.1.0.0/24 } ]",
    "  - name: db",
    "    subnets: [ { cidr: 10.2.0.0/24 } ]",
    "  - name: cache # added by the file",
    "    subnets: [ { cidr: 10.3.0.0/24 } ]",
    "workloads:",
    "  - name: web-1",
    "    interfaces: [ { network: web } ]",
    "  - name: db-1",
    "    interfaces: [ { network: db } ]",
    "",
  ].join("\n");
  await page.getByLabel("Import intent file (YAML or JSON)").setInputFiles({
    name: `${seeded.tenant}.yaml`,
    mimeType: "application/yaml",
    buffer: Buffer.from(yaml),
  });
  await expect(page.getByRole("group", { name: "network cache" })).toBeVisible();
  await expect(page.getByRole("status").filter({ hasText: "Draft:" })).toBeVisible();

  // A bad file is refused naming the field, and changes nothing.
  await page.getByLabel("Import intent file (YAML or JSON)").setInputFiles({
    name: "bad.yaml",
    mimeType: "application/yaml",
    buffer: Buffer.from(yaml.replace("10.3.0.0/24", "10.3.0.0/99")),
  });
  await expect(
    page.getByRole("alert").filter({ hasText: "networks[2].subnets[0].cidr" }),
  ).toBeVisible();
  await expect(page.getByRole("group", { name: "network cache" })).toBeVisible();

  const download = page.waitForEvent("download");
  await page.getByRole("button", { name: "Export YAML" }).click();
  const file = await download;
  expect(file.suggestedFilename()).toBe(`${seeded.tenant}.yaml`);
  const text = await (await file.createReadStream()).toArray();
  expect(Buffer.concat(text).toString()).toContain("- name: cache");

  // Discard: asked, then undone from the message.
  await page.getByRole("button", { name: "Discard", exact: true }).click();
  const dialog = page.getByRole("dialog", { name: "Discard the draft?" });
  await expect(dialog.getByRole("button", { name: "Discard draft" })).toBeFocused();
  await screenshot(page, "33-discard-confirm");
  await page.keyboard.press("Escape");
  await expect(dialog).toHaveCount(0);
  await expect(page.getByRole("button", { name: "Discard", exact: true })).toBeFocused();
  await expect(page.getByRole("group", { name: "network cache" })).toBeVisible();
  await page.getByRole("button", { name: "Discard", exact: true }).click();
  await dialog.getByRole("button", { name: "Discard draft" }).click();
  await expect(page.getByRole("group", { name: "network cache" })).toHaveCount(0);
  await page.getByRole("button", { name: "Undo discard" }).click();
  await expect(page.getByRole("group", { name: "network cache" })).toBeVisible();
});
