import { expect, test } from "./fixtures";

/**
 * Issue 10 benchmark: above 400 nodes the canvas hands React Flow only what is around the view
 * (apps/web/src/canvas/culling.ts). What React Flow does not hold must still be there: edges
 * run to nodes outside the view, the minimap draws everything, fit shows the whole diagram.
 * The test-only bench page renders a generated 2,000-node tenant with the real canvas.
 */
test("a culled canvas: edges reach nodes off screen, the minimap draws every network", async ({
  page,
}) => {
  await page.goto("/#/bench?nodes=2000&edges=3000");
  await page.waitForFunction(() => window.__netloomBench?.firstRenderMs != null, undefined, {
    timeout: 60_000,
  });
  const drawnNodes = page.locator(".react-flow__node");
  // The opening view of a large tenant is a working zoom on its top-left corner.
  const opening = await drawnNodes.count();
  expect(opening).toBeGreaterThan(10);
  expect(opening).toBeLessThan(400);
  // Edges leave the screen towards nodes React Flow was handed only as their ends.
  const edgesOnScreen = await page.locator(".react-flow__edge").count();
  expect(edgesOnScreen).toBeGreaterThan(opening);

  // The minimap draws the networks of the whole diagram, not only those around the view.
  const minimapNetworks = page.locator(".react-flow__minimap .mm-network");
  await expect
    .poll(() => minimapNetworks.evaluate((path) => path.getAttribute("d")?.match(/M/g)?.length))
    .toBe(400);
});

test("a culled canvas: React Flow's fit button fits the whole diagram", async ({ page }) => {
  // No edges: React Flow holds only the nodes around the view (no far ends of edges), so its
  // own fit would fit those; the canvas makes it fit all 2,000.
  await page.goto("/#/bench?nodes=2000&edges=0");
  await page.waitForFunction(() => window.__netloomBench?.firstRenderMs != null, undefined, {
    timeout: 60_000,
  });
  const drawnNodes = page.locator(".react-flow__node");
  expect(await drawnNodes.count()).toBeLessThan(400);
  await page.getByRole("button", { name: "Fit View" }).click();
  await expect.poll(() => drawnNodes.count(), { timeout: 30_000 }).toBe(2000);
});
