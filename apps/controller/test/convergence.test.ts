import { type Agent, startAgent } from "@netloom/agent";
import { createMemoryDriver, type MemoryDriver } from "@netloom/dataplane";
import { parseControllerMessage } from "@netloom/protocol";
import { Registry } from "prom-client";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import { nodeConvergence, summarize } from "../src/distribution/convergence";
import { registerDistributionMetrics } from "../src/distribution/index";
import {
  helloAgent,
  startTestController,
  type TestController,
  tenantIntent,
  until,
} from "./distribution-harness";
import { computeNodes } from "./fixtures";
import { cleanupsAfterEach } from "./helpers";

describe("the definition of converged", () => {
  const now = 1_000_000;
  const node = {
    name: "compute-1",
    desiredHash: "h2",
    appliedHash: "h2",
    lastSeenAt: now - 100,
    connected: true,
  };

  it("is connected, heard from within the bound, and at its desired hash", () => {
    expect(nodeConvergence(node, now, 1000)).toBe("converged");
    expect(nodeConvergence({ ...node, appliedHash: "h1" }, now, 1000)).toBe("lagging");
    expect(nodeConvergence({ ...node, desiredHash: null }, now, 1000)).toBe("lagging");
  });

  it("never holds for a silent or disconnected node, even when its hash did not change", () => {
    expect(nodeConvergence({ ...node, lastSeenAt: now - 1001 }, now, 1000)).toBe("stale");
    expect(nodeConvergence({ ...node, connected: false }, now, 1000)).toBe("disconnected");
    expect(nodeConvergence({ ...node, lastSeenAt: null }, now, 1000)).toBe("disconnected");
  });

  it("summarizes by naming the nodes behind a negative verdict", () => {
    const summary = summarize(
      [
        { name: "a", state: "converged" },
        { name: "b", state: "stale" },
        { name: "c", state: "lagging" },
        { name: "d", state: "disconnected" },
      ],
      true,
    );
    expect(summary).toEqual({
      converged: false,
      lagging: ["c"],
      stale: ["b", "d"],
      convergedCount: 1,
      total: 4,
    });
    expect(summarize([{ name: "a", state: "converged" }], true).converged).toBe(true);
    // A compile that is not current yet holds convergence back, nodes or not.
    expect(summarize([{ name: "a", state: "converged" }], false).converged).toBe(false);
    expect(summarize([], true).converged).toBe(true);
  });
});

const FABRIC = computeNodes(2);
const TIMING = { heartbeatMs: 100, staleAfterMs: 400, flushMs: 20 };

const cleanups = cleanupsAfterEach();

async function controller(): Promise<TestController> {
  const started = await startTestController({ timing: TIMING });
  cleanups.push(() => started.close());
  await started.store.applyFabric(FABRIC, { prune: false, mode: "upsert" });
  await started.distribution.settled();
  return started;
}

async function agentOn(
  ctl: TestController,
  node: string,
  driver: MemoryDriver = createMemoryDriver(),
): Promise<{ agent: Agent; driver: MemoryDriver }> {
  const token = await ctl.distribution.issueNodeToken(node);
  const agent = startAgent({
    controller: ctl.url,
    node,
    token,
    driver,
    backoffMinMs: 20,
    backoffMaxMs: 100,
    resyncMs: 60_000,
  });
  cleanups.push(() => agent.stop());
  return { agent, driver };
}

function tenantOf(ctl: TestController, name: string) {
  const state = ctl.store.tenant(name);
  if (!state) throw new Error(`tenant ${name} missing`);
  return { id: state.id, name: state.name, generation: state.generation };
}

describe("convergence through the controller", () => {
  it("a dead agent turns the fabric and its tenants not converged within the bound, naming the node; other tenants stay converged", async () => {
    const ctl = await controller();
    await ctl.applyTenant(tenantIntent("acme", { "web-1": "compute-1" }));
    await ctl.applyTenant(tenantIntent("globex", { "db-1": "compute-2" }));
    await ctl.distribution.settled();
    await agentOn(ctl, "compute-1");
    const two = await agentOn(ctl, "compute-2");
    await until("fabric converged", async () => (await ctl.distribution.status()).converged);
    const acme = await ctl.distribution.tenantStatus(tenantOf(ctl, "acme"));
    expect(acme).toMatchObject({ converged: true, lagging: [], stale: [] });
    expect(acme.nodes.map((node) => node.name)).toEqual(["compute-1"]);
    expect(acme.appliedGeneration).toBe(tenantOf(ctl, "acme").generation);

    // The agent dies; nothing about compute-2's desired config changes.
    const desiredBefore = ctl.distribution.hub.desiredOf("compute-2")?.hash;
    const killedAt = Date.now();
    await two.agent.stop();
    await until(
      "fabric not converged",
      async () => !(await ctl.distribution.status()).converged,
      TIMING.staleAfterMs + 500,
    );
    expect(Date.now() - killedAt).toBeLessThan(TIMING.staleAfterMs + 500);
    expect(ctl.distribution.hub.desiredOf("compute-2")?.hash).toBe(desiredBefore);
    const status = await ctl.distribution.status();
    expect(status.stale).toEqual(["compute-2"]);
    expect(status.nodes.find((node) => node.name === "compute-2")).toMatchObject({
      converged: false,
      connected: false,
    });
    const globex = await ctl.distribution.tenantStatus(tenantOf(ctl, "globex"));
    expect(globex).toMatchObject({ converged: false, stale: ["compute-2"] });
    // One dead node holds back no one else.
    expect((await ctl.distribution.tenantStatus(tenantOf(ctl, "acme"))).converged).toBe(true);
  });

  it("a silent agent that acked its config (connection open, no heartbeats) turns stale, not converged", async () => {
    const ctl = await controller();
    await ctl.applyTenant(tenantIntent("acme", { "web-1": "compute-2" }));
    await agentOn(ctl, "compute-1");
    // compute-2's "agent" acks the snapshot it is sent, then falls silent with its socket open.
    const silent = await helloAgent(ctl, "compute-2", (text, socket) => {
      const message = parseControllerMessage(text);
      if (message?.type === "snapshot") {
        socket.send(
          JSON.stringify({ type: "ack", generation: message.generation, hash: message.hash }),
        );
      }
    });
    cleanups.push(async () => silent.terminate());
    await until(
      "acme converged",
      async () => (await ctl.distribution.tenantStatus(tenantOf(ctl, "acme"))).converged,
    );
    const ackedAt = Date.now();
    await until(
      "acme not converged",
      async () => !(await ctl.distribution.tenantStatus(tenantOf(ctl, "acme"))).converged,
      TIMING.staleAfterMs + 500,
    );
    expect(Date.now() - ackedAt).toBeLessThan(TIMING.staleAfterMs + 500);
    expect(silent.readyState).toBe(WebSocket.OPEN);
    const tenant = await ctl.distribution.tenantStatus(tenantOf(ctl, "acme"));
    expect(tenant.stale).toEqual(["compute-2"]);
    const node = (await ctl.distribution.status()).nodes.find((n) => n.name === "compute-2");
    // It did ack exactly its desired config: stale all the same.
    expect(node?.appliedHash).toBe(node?.desiredHash);
    expect(node).toMatchObject({ state: "stale", converged: false });
  });

  it("a lagging node is named with the tenant generation it still runs", async () => {
    const ctl = await controller();
    await ctl.applyTenant(tenantIntent("acme", { "web-1": "compute-1" }));
    const one = await agentOn(ctl, "compute-1");
    await agentOn(ctl, "compute-2");
    await until(
      "acme converged",
      async () => (await ctl.distribution.tenantStatus(tenantOf(ctl, "acme"))).converged,
    );
    const before = tenantOf(ctl, "acme").generation;
    const release = one.driver.holdApplies();
    await ctl.applyTenant(tenantIntent("acme", { "web-1": "compute-1" }, ["web", "db"]));
    await ctl.distribution.settled();
    const after = tenantOf(ctl, "acme").generation;
    expect(after).toBeGreaterThan(before);
    await until("compiled", async () => {
      const status = await ctl.distribution.tenantStatus(tenantOf(ctl, "acme"));
      return status.compiledGeneration === after;
    });
    const lagging = await ctl.distribution.tenantStatus(tenantOf(ctl, "acme"));
    expect(lagging).toMatchObject({
      converged: false,
      generation: after,
      appliedGeneration: before,
      lagging: ["compute-1"],
    });
    expect(lagging.nodes).toEqual([
      { name: "compute-1", state: "lagging", converged: false, appliedGeneration: before },
    ]);
    release();
    await until(
      "acme converged again",
      async () => (await ctl.distribution.tenantStatus(tenantOf(ctl, "acme"))).converged,
    );
    expect((await ctl.distribution.tenantStatus(tenantOf(ctl, "acme"))).appliedGeneration).toBe(
      after,
    );
  });
});

describe("what status reports besides convergence", () => {
  it("drift repaired on a node shows in fabric.status and /metrics", async () => {
    const ctl = await controller();
    await ctl.applyTenant(tenantIntent("acme", { "web-1": "compute-1" }));
    const one = await agentOn(ctl, "compute-1");
    await until(
      "acme converged",
      async () => (await ctl.distribution.tenantStatus(tenantOf(ctl, "acme"))).converged,
    );
    const [key] = one.driver.objectKeys();
    if (!key) throw new Error("compute-1 holds nothing");
    one.driver.drift({ kind: "corrupt", key });
    const repaired = await one.agent.resync();
    expect(repaired).toHaveLength(1);
    await until("drift reported", async () => {
      const node = (await ctl.distribution.status()).nodes.find((n) => n.name === "compute-1");
      return node?.drift.count === 1;
    });
    const node = (await ctl.distribution.status()).nodes.find((n) => n.name === "compute-1");
    expect(node?.drift).toMatchObject({ count: 1, lastRepaired: repaired[0] });
    const registry = new Registry();
    registerDistributionMetrics(registry, ctl.distribution);
    const text = await registry.metrics();
    expect(text).toContain('netloom_node_drift_repaired{node="compute-1"} 1');
    expect(text).toContain('netloom_node_converged{node="compute-1"} 1');
    expect(text).toContain('netloom_node_converged{node="compute-2"} 0');
  });

  it("a failed compile is logged, counted and shown in fabric.status until one succeeds", async () => {
    const ctl = await controller();
    await ctl.applyTenant(tenantIntent("acme", { "web-1": "compute-1" }));
    await ctl.distribution.settled();
    const compileInput = ctl.store.compileInput.bind(ctl.store);
    ctl.store.compileInput = () => {
      throw new Error("the store could not be read");
    };
    await ctl.distribution.feed.schedule("full");
    const failed = await ctl.distribution.status();
    expect(failed.compileError?.message).toBe("the store could not be read");
    expect(failed.converged).toBe(false);
    expect(ctl.distribution.failures.compile).toBe(1);
    const registry = new Registry();
    registerDistributionMetrics(registry, ctl.distribution);
    expect(await registry.metrics()).toContain('netloom_distribution_failures{kind="compile"} 1');

    ctl.store.compileInput = compileInput;
    await ctl.distribution.feed.schedule("full");
    expect((await ctl.distribution.status()).compileError).toBeNull();
  });
});
