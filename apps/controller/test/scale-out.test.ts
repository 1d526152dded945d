import { type ChildProcess, spawn } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { type Agent, startAgent } from "@netloom/agent";
import { createMemoryDriver, type MemoryDriver } from "@netloom/dataplane";
import { describe, expect, it } from "vitest";
import type { NodeStatus } from "../src/distribution/index";
import {
  startTestController,
  type TestController,
  tenantIntent,
  until,
} from "./distribution-harness";
import { computeNodes } from "./fixtures";
import { cleanupsAfterEach, freshDatabase } from "./helpers";

/**
 * Controllers as stateless peers on one PostgreSQL (issue 8 §1 node status, §2 fail-over):
 * every controller reports the same node status wherever the agent is connected, and an agent
 * leaves a dead or silent controller for another one by itself.
 */

const databaseUrl = process.env.NETLOOM_TEST_DATABASE_URL;
if (!databaseUrl) {
  console.warn(
    "scale-out: skipped: NETLOOM_TEST_DATABASE_URL is not set (a PostgreSQL URL whose user may CREATE DATABASE)",
  );
}

const FABRIC = computeNodes(2);
// Long enough that fixed costs (reconnect, snapshot, a loaded CI machine) are small against it.
const HEARTBEAT_MS = 2000;
const TIMING = { heartbeatMs: HEARTBEAT_MS, staleAfterMs: 3 * HEARTBEAT_MS, flushMs: 20 };

const cleanups = cleanupsAfterEach();

async function controllerOn(url: string): Promise<TestController> {
  const started = await startTestController({ databaseUrl: url, timing: TIMING, pollMs: 200 });
  cleanups.push(() => started.close());
  return started;
}

function agentOn(
  controllers: string[],
  node: string,
  token: string,
): { agent: Agent; driver: MemoryDriver } {
  const driver = createMemoryDriver();
  const agent = startAgent({
    controller: controllers,
    firstController: 0,
    node,
    token,
    driver,
    backoffMinMs: 20,
    backoffMaxMs: 200,
    resyncMs: 60_000,
  });
  cleanups.push(() => agent.stop());
  return { agent, driver };
}

/** What must read the same on every controller (not which one serves it, nor read times). */
function shared(node: NodeStatus | undefined) {
  if (!node) return undefined;
  return {
    name: node.name,
    state: node.state,
    converged: node.converged,
    connected: node.connected,
    appliedHash: node.appliedHash,
    desiredHash: node.desiredHash,
    drift: node.drift,
  };
}

async function nodeOn(ctl: TestController, name: string) {
  return shared((await ctl.distribution.status()).nodes.find((node) => node.name === name));
}

/** Resolves once the agent applied the config the controller wants for its node. */
async function applied(ctl: TestController, one: { driver: MemoryDriver }, node: string) {
  await ctl.distribution.settled();
  await until(
    `${node} applied its desired config`,
    () => {
      const desired = ctl.distribution.hub.desiredOf(node);
      return desired !== undefined && one.driver.applied?.config === undefined
        ? false
        : JSON.stringify(one.driver.applied?.config) === JSON.stringify(desired?.config);
    },
    15_000,
  );
}

/** A TCP proxy to `port` that can be paused: bytes are then dropped, connections stay open. */
async function blackHoleProxy(port: number) {
  let paused = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(port, "127.0.0.1");
    sockets.add(client);
    sockets.add(upstream);
    client.on("data", (data) => {
      if (!paused) upstream.write(data);
    });
    upstream.on("data", (data) => {
      if (!paused) client.write(data);
    });
    const close = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on("error", close);
    upstream.on("error", close);
    client.on("close", close);
    upstream.on("close", close);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy address");
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return {
    url: `http://127.0.0.1:${address.port}`,
    pause() {
      paused = true;
    },
  };
}

/** A controller in its own process, to be killed with SIGKILL. */
async function controllerProcess(url: string): Promise<{ url: string; child: ChildProcess }> {
  const script = path.join(__dirname, "controller-process.ts");
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    env: {
      ...process.env,
      NETLOOM_TEST_CONTROLLER_DB: url,
      NETLOOM_TEST_HEARTBEAT_MS: String(HEARTBEAT_MS),
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  cleanups.push(async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  });
  const port = await new Promise<number>((resolve, reject) => {
    let text = "";
    child.stdout?.on("data", (data: Buffer) => {
      text += data.toString();
      const line = text.split("\n").find((candidate) => candidate.startsWith("{"));
      if (line) resolve((JSON.parse(line) as { port: number }).port);
    });
    child.once("exit", (code) => reject(new Error(`controller process exited with ${code}`)));
    setTimeout(() => reject(new Error("controller process did not start")), 60_000).unref();
  });
  return { url: `http://127.0.0.1:${port}`, child };
}

describe.skipIf(!databaseUrl)("controllers on one PostgreSQL", () => {
  it("every controller reports the same node status, whichever one the agent is on", async () => {
    const url = await freshDatabase(databaseUrl ?? "", cleanups);
    const a = await controllerOn(url);
    const b = await controllerOn(url);
    const c = await controllerOn(url);
    await a.store.applyFabric(FABRIC, { prune: false, mode: "upsert" });
    await until("C saw the fabric", () => c.distribution.hub.desiredOf("compute-1") !== undefined);
    await c.applyTenant(tenantIntent("acme", { "web-1": "compute-1" }));
    const token = await a.distribution.issueNodeToken("compute-1");
    const one = agentOn([a.url], "compute-1", token);
    await applied(a, one, "compute-1");
    for (const ctl of [b, c]) {
      await until("the others see compute-1's config", () => {
        return ctl.distribution.hub.desiredOf("compute-1")?.hash === one.agent.applied?.hash;
      });
    }
    await until(
      "all three say converged",
      async () => {
        const views = await Promise.all([a, b, c].map((ctl) => nodeOn(ctl, "compute-1")));
        return views.every((view) => view?.state === "converged");
      },
      10_000,
    );
    const views = await Promise.all([a, b, c].map((ctl) => nodeOn(ctl, "compute-1")));
    expect(views[1]).toEqual(views[0]);
    expect(views[2]).toEqual(views[0]);
    expect(views[0]).toMatchObject({ connected: true, converged: true });
    // Only A serves it, and says so; the others do not call it disconnected.
    const servedBy = await Promise.all(
      [a, b, c].map(
        async (ctl) =>
          (await ctl.distribution.status()).nodes.find((node) => node.name === "compute-1")
            ?.servedHere,
      ),
    );
    expect(servedBy).toEqual([true, false, false]);

    // The agent leaves: every controller says so within the heartbeat bound.
    const leftAt = Date.now();
    await one.agent.stop();
    await until(
      "all three say not converged",
      async () => {
        const after = await Promise.all([a, b, c].map((ctl) => nodeOn(ctl, "compute-1")));
        return after.every((view) => view?.converged === false && view.connected === false);
      },
      TIMING.staleAfterMs,
    );
    expect(Date.now() - leftAt).toBeLessThan(TIMING.staleAfterMs);
    for (const ctl of [a, b, c]) {
      expect((await ctl.distribution.status()).stale).toContain("compute-1");
    }
  });

  it("kill -9 of the agent's controller: the agent converges through another within 2 heartbeats of the next change", async () => {
    const url = await freshDatabase(databaseUrl ?? "", cleanups);
    const b = await controllerOn(url);
    await b.store.applyFabric(FABRIC, { prune: false, mode: "upsert" });
    await b.applyTenant(tenantIntent("acme", { "web-1": "compute-1" }));
    const a = await controllerProcess(url);
    const token = await b.distribution.issueNodeToken("compute-1");
    const one = agentOn([a.url, b.url], "compute-1", token);
    await until("applied through A", () => one.driver.applied !== undefined, 15_000);
    expect(one.agent.controller).toBe(a.url);
    const appliesBefore = one.driver.applyCount;
    const forwarding = one.driver.applied?.config;

    a.child.kill("SIGKILL");
    await until("agent on B", () => one.agent.controller === b.url && one.agent.connected);
    // Resynced by generation: the same config is not applied again, nor flushed.
    expect(one.driver.applied?.config).toBe(forwarding);
    const changedAt = Date.now();
    await b.applyTenant(tenantIntent("acme", { "web-1": "compute-1" }, ["web", "db"]));
    await applied(b, one, "compute-1");
    const took = Date.now() - changedAt;
    expect(took).toBeLessThan(2 * HEARTBEAT_MS);
    expect(one.driver.applyCount).toBe(appliesBefore + 1);
    expect(one.driver.applied?.config.tenants[0]?.networks.map((n) => n.name)).toEqual([
      "web",
      "db",
    ]);
  });

  it("a black-holed controller: the agent notices the silence itself and converges through another within 2 heartbeats of the next change", async () => {
    const url = await freshDatabase(databaseUrl ?? "", cleanups);
    const a = await controllerOn(url);
    const b = await controllerOn(url);
    await a.store.applyFabric(FABRIC, { prune: false, mode: "upsert" });
    await a.applyTenant(tenantIntent("acme", { "web-1": "compute-1" }));
    const proxy = await blackHoleProxy(a.port);
    const token = await a.distribution.issueNodeToken("compute-1");
    const one = agentOn([proxy.url, b.url], "compute-1", token);
    await applied(a, one, "compute-1");
    expect(one.agent.controller).toBe(proxy.url);
    const appliesBefore = one.driver.applyCount;

    proxy.pause();
    const changedAt = Date.now();
    await b.applyTenant(tenantIntent("acme", { "web-1": "compute-1" }, ["web", "db"]));
    await applied(b, one, "compute-1");
    const took = Date.now() - changedAt;
    expect(one.agent.controller).toBe(b.url);
    expect(took).toBeLessThan(2 * HEARTBEAT_MS);
    expect(one.driver.applyCount).toBe(appliesBefore + 1);
  });
});
