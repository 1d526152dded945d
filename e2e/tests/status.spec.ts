import {
  expect,
  openTenant,
  screenshot,
  startAgent,
  test,
  twoTierTenant,
  uniqueName,
} from "./fixtures";

test("network status turns converged once agents have applied, pushed without reload", async ({
  page,
  seedTenant,
  loginAs,
}) => {
  const doc = twoTierTenant(uniqueName("conv"));
  for (const workload of doc.workloads ?? []) Object.assign(workload, { node: "compute-1" });
  const seeded = await seedTenant(doc);
  await loginAs(page, seeded.email, seeded.password);
  await openTenant(page, seeded.tenant);
  const web = page.getByRole("group", { name: "network web" });
  // compute-1 has no agent yet: its config is not applied.
  await expect(web.getByRole("img", { name: "converged" })).toHaveCount(0);
  const agents = [startAgent("compute-1", "198.18.0.11"), startAgent("compute-2", "198.18.0.12")];
  try {
    await expect(web.getByRole("img", { name: "converged" })).toBeVisible({ timeout: 60_000 });
    await expect(
      page.getByRole("group", { name: "network db" }).getByRole("img", { name: "converged" }),
    ).toBeVisible();
    await screenshot(page, "16-converged");
  } finally {
    for (const agent of agents) agent.kill("SIGTERM");
  }
});
