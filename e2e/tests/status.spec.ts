import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { expect, openTenant, screenshot, test, twoTierTenant, uniqueName } from "./fixtures";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "../..");

/** One memory-driver agent per node, as separate processes (the agent's own command). */
function startAgent(node: string, underlay: string): ChildProcess {
  return spawn(
    process.execPath,
    [
      path.join(ROOT, "apps/agent/bin/netloom-agent.js"),
      "--controller",
      process.env.NETLOOM_E2E_URL ?? "",
      "--node",
      node,
      "--driver",
      "memory",
      "--underlay",
      underlay,
      "--resync-ms",
      "2000",
    ],
    {
      cwd: ROOT,
      env: { ...process.env, NETLOOM_AGENT_TOKEN: process.env.NETLOOM_E2E_ADMIN_TOKEN ?? "" },
      stdio: "ignore",
    },
  );
}

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
