import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Agent, startAgent } from "@netloom/agent";
import type { NetloomServer } from "@netloom/controller";
import { createMemoryDriver, type MemoryDriver } from "@netloom/dataplane";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Outcome, runNetloom, startCliController } from "./support";

const TOKEN = "cli-status-token-0123456789";

let server: NetloomServer;
let url: string;
let work: string;
const agents = new Map<string, { agent: Agent; driver: MemoryDriver }>();

function netloom(argv: string[]): Promise<Outcome> {
  return runNetloom({ work, url, token: TOKEN }, argv);
}

function intent(tenant: string, node: string, networks: string[]): string {
  const file = path.join(work, `${tenant}.json`);
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: "netloom/v1",
      tenant,
      networks: networks.map((name, index) => ({
        name,
        subnets: [{ cidr: `10.${index + 1}.0.0/24` }],
      })),
      workloads: [
        { name: `${tenant}-w`, node, interfaces: networks.map((network) => ({ network })) },
      ],
    }),
  );
  return file;
}

async function until(what: string, predicate: () => Promise<boolean>, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), "netloom-cli-status-"));
  ({ server, url } = await startCliController({
    work,
    token: TOKEN,
    inMemory: true,
    distribution: true,
  }));
  const fabric = path.join(work, "fabric.json");
  writeFileSync(
    fabric,
    JSON.stringify({
      apiVersion: "netloom/v1",
      kind: "Fabric",
      nodes: [
        { name: "compute-1", underlay: "198.18.0.11" },
        { name: "compute-2", underlay: "198.18.0.12" },
      ],
    }),
  );
  expect((await netloom(["apply", "-f", fabric])).code).toBe(0);
  const admin = server.caller(await server.services.auth.authenticate({ token: TOKEN }));
  for (const node of ["compute-1", "compute-2"]) {
    const { token } = await admin.fabric.issueNodeToken({ node });
    const driver = createMemoryDriver();
    const agent = startAgent({ controller: url, node, token, driver, backoffMinMs: 20 });
    agents.set(node, { agent, driver });
  }
}, 60_000);

afterAll(async () => {
  for (const { agent } of agents.values()) await agent.stop();
  await server?.close();
  rmSync(work, { recursive: true, force: true });
});

describe("status and apply --wait tell the truth about convergence", () => {
  it("apply --wait returns once the tenant's nodes applied it", async () => {
    const applied = await netloom(["apply", "-f", intent("acme", "compute-1", ["web"]), "--wait"]);
    expect(applied.stderr).toBe("");
    expect(applied.code).toBe(0);
    expect(applied.stdout).toMatch(/tenant acme generation \d+ applied on 1 node/);
    expect(
      (await netloom(["apply", "-f", intent("globex", "compute-2", ["db"]), "--wait"])).code,
    ).toBe(0);
    const status = await netloom(["status", "--tenant", "acme"]);
    expect(status.code).toBe(0);
    expect(status.stdout).toMatch(/compute-1\s+\d+\s+converged/);
    expect(status.stdout).toMatch(/: converged \(1\/1 nodes\)/);
    await until("fabric converged", async () =>
      (await netloom(["status"])).stdout.includes("converged (2/2 nodes)"),
    );
  }, 60_000);

  it("a killed agent: status names it, never sums up converged, and apply --wait exits 1 naming it", async () => {
    const two = agents.get("compute-2");
    if (!two) throw new Error("no agent for compute-2");
    await two.agent.stop();
    await until("fabric not converged", async () =>
      (await netloom(["status"])).stdout.includes("not converged"),
    );
    const fabric = await netloom(["status"]);
    expect(fabric.stdout).not.toContain("converged (2/2");
    expect(fabric.stdout).toContain("not converged (1/2 nodes converged; stale: compute-2)");
    const json = JSON.parse((await netloom(["status", "--json"])).stdout) as {
      converged: boolean;
      stale: string[];
    };
    expect(json).toMatchObject({ converged: false, stale: ["compute-2"] });

    const globex = await netloom(["status", "--tenant", "globex"]);
    expect(globex.stdout).toContain("not converged (0/1 nodes converged; stale: compute-2)");
    // The tenant on the live node is not held back by the dead one.
    expect((await netloom(["status", "--tenant", "acme"])).stdout).toContain(
      ": converged (1/1 nodes)",
    );
    const waited = await netloom([
      "apply",
      "-f",
      intent("globex", "compute-2", ["db", "cache"]),
      "--wait",
      "--timeout",
      "1",
    ]);
    expect(waited.code).toBe(1);
    expect(waited.stderr).toMatch(/not applied after 1 s on: compute-2 \(disconnected\)/);
    expect(
      (await netloom(["apply", "-f", intent("acme", "compute-1", ["web", "app"]), "--wait"])).code,
    ).toBe(0);
  }, 60_000);
});
