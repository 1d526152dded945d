import type { Locator, Page } from "@playwright/test";
import { expect, screenshot, test, trpc, twoTierTenant, uniqueName } from "./fixtures";

/** Presses Tab (or Shift+Tab) until `target` has focus; fails after `max` presses. */
async function tabTo(page: Page, target: Locator, options: { back?: boolean; max?: number } = {}) {
  const key = options.back ? "Shift+Tab" : "Tab";
  for (let i = 0; i < (options.max ?? 150); i++) {
    if (await target.evaluate((el) => el === document.activeElement).catch(() => false)) return;
    await page.keyboard.press(key);
  }
  throw new Error(`${String(target)} never received focus by ${key}`);
}

test("keyboard only: log in, open the tenant, select and edit a network, connect two networks, review and apply", async ({
  page,
  admin,
  seedTenant,
}) => {
  test.setTimeout(150_000);
  const seeded = await seedTenant(twoTierTenant(uniqueName("kbd"), { policy: false }));
  // Any mouse event fails the test: everything below goes through the keyboard.
  await page.addInitScript(() => {
    for (const type of ["mousedown", "mouseup", "click", "pointerdown"]) {
      window.addEventListener(
        type,
        (event) => {
          // Keyboard activation of a button fires a synthetic click with detail 0.
          if (event instanceof MouseEvent && event.detail > 0) {
            document.documentElement.dataset.mouseUsed = type;
          }
        },
        true,
      );
    }
  });

  await page.goto("/");
  await tabTo(page, page.getByLabel("Email"));
  await page.keyboard.type(seeded.email);
  await page.keyboard.press("Tab");
  await page.keyboard.type(seeded.password);
  await page.keyboard.press("Enter");
  // A member of one tenant lands in it; focus starts at the page's heading, not <body>.
  await expect(
    page.getByRole("application", { name: `topology of ${seeded.tenant}` }),
  ).toBeVisible();
  await expect(page.getByRole("heading", { level: 1, name: seeded.tenant })).toBeFocused();

  // Open the topology outline under the canvas and select network web from it; the Inspector
  // opens it, focus on its name.
  await tabTo(page, page.locator(".outline summary"));
  await page.keyboard.press("Enter");
  const outline = page.getByRole("list", { name: "Topology outline" });
  await tabTo(page, outline.getByRole("button", { name: "network web" }));
  await page.keyboard.press("Enter");
  const details = page.getByRole("complementary", { name: "Details" });
  await expect(details.getByRole("region", { name: /Network web/ })).toBeVisible();
  await expect(details.getByLabel("Name")).toBeFocused();

  // Edit it: a gateway for its subnet.
  await tabTo(page, details.getByLabel("Subnet 1 gateway"));
  await page.keyboard.type("10.1.0.1");

  // Connect web and db with a policy, from the Inspector.
  await tabTo(page, details.getByRole("button", { name: "Connect with a policy…" }));
  await page.keyboard.press("Enter");
  const dialog = page.getByRole("dialog", { name: "Connect web and db" });
  await expect(dialog).toBeVisible();
  await expect(dialog.getByLabel("Name", { exact: true })).toBeFocused();
  await tabTo(page, dialog.getByRole("button", { name: "Create policy" }));
  await page.keyboard.press("Enter");
  await expect(dialog).toHaveCount(0);

  // Review and apply.
  const review = page.getByRole("button", { name: "Review & apply" });
  await expect(review).toBeEnabled();
  await tabTo(page, review, { back: true });
  await page.keyboard.press("Enter");
  await expect(page.getByRole("heading", { name: "Review changes" })).toBeFocused();
  const apply = page.getByRole("button", { name: "Apply", exact: true });
  await expect(apply).toBeEnabled({ timeout: 30_000 });
  await tabTo(page, apply);
  await page.keyboard.press("Enter");
  await expect(page.locator("#applied-note")).toBeFocused();
  await expect(page.locator("#applied-note")).toContainText("Applied as generation 2");
  await screenshot(page, "60-keyboard-applied");

  const stored = await trpc<{
    document: {
      networks: { name: string; subnets: { gateway?: string }[] }[];
      policies?: { attach: string[] }[];
    };
  }>(admin, "query", "intent.export", { tenant: seeded.tenant });
  expect(stored.document.networks.find((n) => n.name === "web")?.subnets[0]?.gateway).toBe(
    "10.1.0.1",
  );
  expect(stored.document.policies?.[0]?.attach).toEqual(["web", "db"]);
  expect(await page.evaluate(() => document.documentElement.dataset.mouseUsed ?? null)).toBeNull();
});
