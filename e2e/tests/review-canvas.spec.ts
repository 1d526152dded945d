import AxeBuilder from "@axe-core/playwright";
import { expect, openTenant, screenshot, test, twoTierTenant, uniqueName } from "./fixtures";

/**
 * The review's reachability delta drawn on the canvas (issue 10 §5): while the review is open,
 * the workload pairs whose verdict flips are drawn as arrows, newly denied apart from newly
 * allowed by dash and mark as well as colour, with a key; discard and apply clear them.
 */
test("the canvas draws the pairs whose verdict flips while the review is open", async ({
  page,
  seedTenant,
  loginAs,
}) => {
  const seeded = await seedTenant(twoTierTenant(uniqueName("flipcanvas")));
  await loginAs(page, seeded.email, seeded.password);
  await openTenant(page, seeded.tenant);
  const canvas = page.getByRole("application", { name: `topology of ${seeded.tenant}` });
  const flipArrows = canvas.locator(".react-flow__edge-reach");
  await expect(flipArrows).toHaveCount(0);

  // Rule 1 (tcp/5432 web-db) becomes a deny; a new rule 2 allows icmp between the networks.
  await page
    .getByRole("complementary", { name: "Tools" })
    .getByRole("button", { name: "policy web-db" })
    .first()
    .click();
  await page.getByLabel("Rule 1 action").selectOption("deny");
  await page.getByRole("button", { name: "+ Add rule" }).click();
  await page.getByLabel("Rule 2 protocol").selectOption("icmp");
  // Not while editing: only an open review draws the delta.
  await expect(flipArrows).toHaveCount(0);
  await page.getByRole("button", { name: "Review & apply" }).click();
  await expect(page.getByRole("heading", { name: "Review changes" })).toBeFocused();
  await expect(page.getByRole("list", { name: /Newly denied/ })).toContainText(
    "web-1 → db-1 tcp/5432: allow → deny",
  );

  const denied = canvas.getByRole("img", { name: "newly denied: web-1 to db-1, tcp/5432" });
  const allowed = canvas.getByRole("img", { name: "newly allowed: web-1 to db-1, icmp" });
  await expect(denied).toBeVisible();
  await expect(allowed).toBeVisible();
  await expect(canvas.getByRole("img", { name: /^newly allowed: db-1 to web-1/ })).toBeVisible();
  // Distinct by more than colour: the denied arrow is dashed, the allowed one solid, and each
  // badge carries its own mark and words.
  const dash = (edge: typeof denied) =>
    edge.locator(".nl-reach-path").evaluate((path) => getComputedStyle(path).strokeDasharray);
  expect(await dash(denied)).not.toBe("none");
  expect(await dash(allowed)).toBe("none");
  await expect(
    canvas.locator('.nl-reach-badge[data-reach-edge="reach:deny:web-1>db-1"]'),
  ).toHaveText("✕now denied tcp/5432");
  await expect(
    canvas.locator('.nl-reach-badge[data-reach-edge="reach:allow:web-1>db-1"]'),
  ).toHaveText("✓now allowed icmp");
  // The arrow runs between the two workloads it names.
  const box = async (name: string) => {
    const b = await canvas.getByRole("group", { name }).boundingBox();
    if (!b) throw new Error(`${name} is not drawn`);
    return b;
  };
  const web = await box("workload web-1");
  const db = await box("workload db-1");
  const arrow = await denied.locator(".nl-reach-path").boundingBox();
  if (!arrow) throw new Error("the denied arrow has no box");
  const slack = 12;
  expect(arrow.x + arrow.width).toBeGreaterThan(
    Math.min(web.x + web.width, db.x + db.width) - slack,
  );
  expect(arrow.x).toBeLessThan(Math.max(web.x, db.x) + slack);
  // Both workloads are marked, and the key explains the arrows.
  await expect(
    canvas.getByRole("group", { name: "workload web-1" }).locator(".nl-node"),
  ).toHaveClass(/reach-flipped reach-both/);
  const key = canvas.getByRole("region", { name: "Reachability changes on the canvas" });
  await expect(key).toContainText("newly allowed (2)");
  await expect(key).toContainText("newly denied (2)");
  await screenshot(page, "34-review-reach-delta-canvas");
  // The drawing passes axe like every main screen (contrast of badges and key, names of arrows).
  const axe = await new AxeBuilder({ page })
    .include(".react-flow")
    .withTags(["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"])
    .analyze();
  expect(
    axe.violations
      .filter((v) => v.impact === "serious" || v.impact === "critical")
      .map((v) => `${v.id}: ${v.nodes.map((n) => n.target.join(" ")).join(", ")}`),
  ).toEqual([]);

  // Discard clears the drawing; undoing the discard and reviewing again brings it back.
  await page.getByRole("button", { name: "Discard draft" }).click();
  await page
    .getByRole("dialog", { name: "Discard the draft?" })
    .getByRole("button", { name: "Discard draft" })
    .click();
  await expect(flipArrows).toHaveCount(0);
  await expect(key).toHaveCount(0);
  await page.getByRole("button", { name: "Undo discard" }).click();
  await page.getByRole("button", { name: "Review & apply" }).click();
  await expect(denied).toBeVisible();

  // Apply clears it too: after apply nothing is under review.
  await page.getByRole("button", { name: "Apply", exact: true }).click();
  await expect(
    page.getByRole("status").filter({ hasText: "Applied as generation 2" }).first(),
  ).toBeVisible();
  await expect(flipArrows).toHaveCount(0);
  await expect(key).toHaveCount(0);
});
