import type { AddressInfo } from "node:net";
import type { NodeConfig } from "@netloom/compiler";
import { createMemoryDriver } from "@netloom/dataplane";
import {
  type AgentMessage,
  parseAgentMessage,
  type WireControllerMessage,
} from "@netloom/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { type WebSocket, WebSocketServer } from "ws";
import { networkInstances, nodeConfig, tenantConfig } from "../../../test-support/configs";
import { type Agent, startAgent } from "../src/index";

/** A scripted controller: records what the agent sends, sends what the test says. */
async function fakeController() {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const received: AgentMessage[] = [];
  const sockets: WebSocket[] = [];
  const requests: string[] = [];
  server.on("connection", (socket, request) => {
    requests.push(`${request.url} ${request.headers.authorization}`);
    sockets.push(socket);
    socket.on("message", (data) => {
      const message = parseAgentMessage(data.toString());
      if (message) received.push(message);
    });
    const welcome: WireControllerMessage = {
      type: "welcome",
      node: "compute-1",
      controllerId: "fake",
      heartbeatMs: 60_000,
    };
    socket.send(JSON.stringify(welcome));
  });
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    requests,
    send(message: WireControllerMessage) {
      for (const socket of sockets) socket.send(JSON.stringify(message));
    },
    dropAll() {
      for (const socket of sockets.splice(0)) socket.terminate();
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.terminate();
        server.close(() => resolve());
      }),
  };
}

const config = (networks: string[]): NodeConfig =>
  nodeConfig([
    tenantConfig("t1", {
      tenant: "acme",
      networks: networkInstances(networks, { firstVni: 4096 }),
    }),
  ]);

async function until(what: string, predicate: () => boolean, timeoutMs = 5000) {
  const deadline = Date.now() + timeoutMs;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function setup(
  options: { resyncMs?: number; stateFile?: string; heartbeatMs?: number } = {},
) {
  const controller = await fakeController();
  cleanups.push(controller.close);
  const driver = createMemoryDriver();
  const agent: Agent = startAgent({
    controller: controller.url,
    node: "compute-1",
    token: "nln_secret",
    driver,
    backoffMinMs: 20,
    backoffMaxMs: 50,
    resyncMs: options.resyncMs ?? 60_000,
    ...(options.stateFile ? { stateFile: options.stateFile } : {}),
  });
  cleanups.push(() => agent.stop());
  await until("hello", () => controller.received.some((m) => m.type === "hello"));
  return { controller, driver, agent };
}

const acks = (received: AgentMessage[]) =>
  received
    .filter((m) => m.type === "ack")
    .map((m): number => (m.type === "ack" ? m.generation : -1));

describe("agent", () => {
  it("connects to /agent with its node name and token and says what it holds", async () => {
    const { controller } = await setup();
    expect(controller.requests[0]).toBe("/agent?node=compute-1 Bearer nln_secret");
    expect(controller.received[0]).toMatchObject({
      type: "hello",
      appliedGeneration: 0,
      appliedHash: null,
    });
  });

  it("acks a generation only after the driver's apply resolved", async () => {
    const { controller, driver } = await setup();
    const release = driver.holdApplies();
    controller.send({ type: "snapshot", generation: 4, hash: "h4", config: config(["web"]) });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(acks(controller.received)).toEqual([]);
    expect(driver.applied).toBeUndefined();
    release();
    await until("ack", () => acks(controller.received).length === 1);
    expect(acks(controller.received)).toEqual([4]);
    expect(driver.applied?.generation).toBe(4);
  });

  it("applies a delta against what it holds and refuses a replayed older generation", async () => {
    const { controller, driver } = await setup();
    controller.send({ type: "snapshot", generation: 5, hash: "h5", config: config(["web"]) });
    await until("ack 5", () => acks(controller.received).includes(5));
    const withDb = config(["web", "db"]).tenants[0];
    if (!withDb) throw new Error("fixture");
    controller.send({
      type: "delta",
      generation: 6,
      baseHash: "h5",
      hash: "h6",
      replace: [withDb],
      remove: [],
    });
    await until("ack 6", () => acks(controller.received).includes(6));
    expect(driver.objectKeys()).toContain("t1/network:db");

    // A replay of generation 5 (and a forged 6 with other content) is refused, nothing applied.
    const appliesBefore = driver.applyCount;
    controller.send({ type: "snapshot", generation: 5, hash: "h5", config: config(["web"]) });
    controller.send({ type: "snapshot", generation: 6, hash: "other", config: config([]) });
    await until(
      "two nacks",
      () => controller.received.filter((m) => m.type === "nack").length === 2,
    );
    const nacks = controller.received.filter((m) => m.type === "nack");
    expect(
      nacks.map((m) => m.type === "nack" && [m.generation, m.reason, m.appliedGeneration]),
    ).toEqual([
      [5, "stale-generation", 6],
      [6, "stale-generation", 6],
    ]);
    expect(driver.applyCount).toBe(appliesBefore);
    expect(driver.applied?.generation).toBe(6);
    expect(driver.objectKeys()).toContain("t1/network:db");

    // A delta against a base it does not hold is not guessed at.
    controller.send({
      type: "delta",
      generation: 7,
      baseHash: "nope",
      hash: "h7",
      replace: [],
      remove: ["t1"],
    });
    await until("base mismatch", () =>
      controller.received.some((m) => m.type === "nack" && m.reason === "base-mismatch"),
    );
    expect(driver.applied?.generation).toBe(6);
  });

  it("reports a failed apply, keeps forwarding the old config and retries on resync", async () => {
    const { controller, driver } = await setup({ resyncMs: 100 });
    controller.send({ type: "snapshot", generation: 1, hash: "h1", config: config(["web"]) });
    await until("ack 1", () => acks(controller.received).includes(1));
    driver.failNextApply("nft: busy");
    controller.send({ type: "snapshot", generation: 2, hash: "h2", config: config(["web", "db"]) });
    await until("nack", () =>
      controller.received.some((m) => m.type === "nack" && m.reason === "apply-failed"),
    );
    expect(driver.applied?.generation).toBe(1);
    await until("retried and acked", () => acks(controller.received).includes(2));
    expect(driver.objectKeys()).toContain("t1/network:db");
  });

  it("repairs drift periodically and keeps forwarding while the controller is away", async () => {
    const { controller, driver, agent } = await setup({ resyncMs: 50 });
    controller.send({ type: "snapshot", generation: 1, hash: "h1", config: config(["web"]) });
    await until("ack", () => acks(controller.received).includes(1));
    controller.dropAll();
    await until("disconnected", () => !agent.connected);
    driver.drift({ kind: "remove", key: "t1/network:web" });
    driver.drift({ kind: "add", key: "t9/network:stray" });
    await until(
      "repaired while headless",
      () =>
        driver.objectKeys().includes("t1/network:web") &&
        !driver.objectKeys().includes("t9/network:stray"),
    );
    expect(driver.applied?.generation).toBe(1);
    // Reconnects by itself and says what it holds.
    await until(
      "reconnected",
      () => controller.received.filter((m) => m.type === "hello").length === 2,
    );
    expect(controller.received.filter((m) => m.type === "hello").at(-1)).toMatchObject({
      appliedGeneration: 1,
      appliedHash: "h1",
    });
  });

  it("a state file it cannot write is logged and counted, and the applied config is still acked", async () => {
    const { controller, agent } = await setup({
      stateFile: "/nonexistent-netloom-dir/state.json",
    });
    controller.send({ type: "snapshot", generation: 3, hash: "h3", config: config(["web"]) });
    await until("ack 3", () => acks(controller.received).includes(3));
    expect(agent.errors).toEqual({ "state-file": 1 });
  });

  it("reports drift its reconcile repaired in heartbeats: count, last object, when", async () => {
    const { controller, driver, agent } = await setup();
    controller.send({ type: "snapshot", generation: 2, hash: "h2", config: config(["web", "db"]) });
    await until("ack 2", () => acks(controller.received).includes(2));
    expect(agent.drift).toEqual({ count: 0, lastRepaired: null, at: null });
    const [first, second] = driver.objectKeys();
    if (!first || !second) throw new Error("fixture holds too few objects");
    driver.drift({ kind: "corrupt", key: first });
    driver.drift({ kind: "remove", key: second });
    const repaired = await agent.resync();
    expect(repaired).toHaveLength(2);
    expect(agent.drift).toMatchObject({ count: 2, lastRepaired: repaired[1] });
    expect(Date.parse(agent.drift.at ?? "")).toBeGreaterThan(Date.now() - 10_000);
    // The next heartbeat carries it to the controller.
    controller.send({
      type: "welcome",
      node: "compute-1",
      controllerId: "fake",
      heartbeatMs: 50,
    });
    await until("heartbeat with drift", () =>
      controller.received.some((m) => m.type === "heartbeat" && m.drift?.count === 2),
    );
  });
});
