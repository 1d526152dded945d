import {
  expect,
  openTenant,
  screenshot,
  startAgent,
  test,
  trpc,
  twoTierTenant,
  uniqueName,
} from "./fixtures";

/** Heartbeat bound (the hub's stale period, 15 s) plus its 1 s check and the push. */
const HEARTBEAT_BOUND_MS = 20_000;

test("a killed agent turns the pill, the badge, the inspector and the review not-converged, naming the node", async ({
  page,
  browser,
  baseURL,
  admin,
  seedTenant,
  loginAs,
  demoUsers,
}) => {
  // Nodes of this test only, so other tests' nodes never decide its outcome.
  const [nodeA, nodeB] = [uniqueName("cna"), uniqueName("cnb")];
  await trpc(admin, "mutation", "fabric.nodes.create", {
    spec: { name: nodeA, underlay: "198.18.1.11" },
  });
  await trpc(admin, "mutation", "fabric.nodes.create", {
    spec: { name: nodeB, underlay: "198.18.1.12" },
  });
  const doc = twoTierTenant(uniqueName("kill"));
  const [web1, db1] = doc.workloads ?? [];
  if (web1) Object.assign(web1, { node: nodeA });
  if (db1) Object.assign(db1, { node: nodeB });
  const seeded = await seedTenant(doc);
  const agents = [startAgent(nodeA, "198.18.1.11"), startAgent(nodeB, "198.18.1.12")];
  try {
    await loginAs(page, seeded.email, seeded.password);
    await openTenant(page, seeded.tenant);
    const pill = page.locator(".fabric-badge");
    const details = page.getByRole("complementary", { name: "Details" });
    await expect(pill).toContainText("Converged · 2/2 nodes", { timeout: 60_000 });

    const killedAt = Date.now();
    agents[1]?.kill("SIGKILL");
    await expect(pill).toContainText(`Not converged: ${nodeB} not reporting`, {
      timeout: HEARTBEAT_BOUND_MS,
    });
    const seconds = (Date.now() - killedAt) / 1000;
    test
      .info()
      .annotations.push({ type: "pill turned after", description: `${seconds.toFixed(1)} s` });

    // The network whose workload sits on the dead node names it; the other stays converged.
    await page.getByRole("group", { name: "network db" }).click();
    await expect(
      details.getByRole("status").filter({ hasText: `Not converged: ${nodeB} not reporting` }),
    ).toBeVisible();
    await page.getByRole("group", { name: "network web" }).click();
    await expect(
      details.getByRole("status").filter({ hasText: "Converged on every node" }),
    ).toBeVisible();
    // A draft network is "not applied", never converged.
    await page.getByRole("button", { name: "Add Network", exact: true }).click();
    const dialog = page.getByRole("dialog", { name: "New network" });
    await dialog.getByLabel("Name").fill("cache");
    await dialog.getByRole("button", { name: "Add network" }).click();
    await expect(
      page.getByRole("group", { name: "network cache" }).getByRole("img", { name: "not applied" }),
    ).toBeVisible();
    await expect(details.getByRole("status").filter({ hasText: "Not applied" })).toBeVisible();

    await screenshot(page, "20-node-killed-pill");

    // The review warns before apply which node will not receive the change.
    await page.getByRole("button", { name: "Review & apply" }).click();
    await expect(
      page.getByRole("alert").filter({ hasText: "will not receive this change" }),
    ).toContainText(nodeB);
    await screenshot(page, "21-review-stale-warning");

    // The operator's badge and node view tell the same truth.
    const operator = demoUsers.find((u) => u.role === "cloud_admin");
    if (!operator) throw new Error("the quick start printed no cloud admin");
    const context = await browser.newContext({ baseURL });
    const operatorPage = await context.newPage();
    await loginAs(operatorPage, operator.email, operator.password);
    await operatorPage.goto("/#/operator/nodes");
    await expect(operatorPage.locator(".fabric-line")).toContainText(`${nodeB} not reporting`);
    await expect(operatorPage.locator(".fabric-line")).toContainText("Not converged");
    const row = operatorPage
      .getByRole("row")
      .filter({ has: operatorPage.getByRole("rowheader", { name: nodeB }) });
    await expect(row).toContainText("not reporting");
    await operatorPage.goto("/#/operator/tenants");
    const tenantRow = operatorPage
      .getByRole("row")
      .filter({ has: operatorPage.getByRole("rowheader", { name: seeded.tenant }) });
    await expect(tenantRow).toContainText(`not converged: ${nodeB} not reporting`);
    await screenshot(operatorPage, "22-operator-tenants-health");
    await context.close();
  } finally {
    for (const agent of agents) agent.kill("SIGTERM");
  }
});
