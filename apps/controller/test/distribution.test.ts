import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { type Agent, startAgent } from "@netloom/agent";
import { createMemoryDriver, type MemoryDriver } from "@netloom/dataplane";
import type { IntentFile } from "@netloom/model";
import type { ControllerMessage } from "@netloom/protocol";
import { describe, expect, it } from "vitest";
import WebSocket from "ws";
import {
  helloAgent,
  startTestController,
  type TestController,
  tenantIntent,
  until,
} from "./distribution-harness";
import { computeNodes } from "./fixtures";
import { cleanupsAfterEach, freshDatabase } from "./helpers";

const FABRIC = computeNodes(2);

const cleanups = cleanupsAfterEach();

async function controller(options: Parameters<typeof startTestController>[0] = {}) {
  const started = await startTestController(options);
  cleanups.push(() => started.close());
  await started.store.applyFabric(FABRIC, { prune: false, mode: "upsert" });
  await started.distribution.settled();
  return started;
}

function agent(
  on: TestController | string,
  node: string,
  token: string,
  driver: MemoryDriver = createMemoryDriver(),
  messages: ControllerMessage[] = [],
): { agent: Agent; driver: MemoryDriver; messages: ControllerMessage[] } {
  const started = startAgent({
    controller: typeof on === "string" ? on : on.url,
    node,
    token,
    driver,
    backoffMinMs: 20,
    backoffMaxMs: 100,
    resyncMs: 60_000,
    onMessage: (message) => messages.push(message),
  });
  cleanups.push(() => started.stop());
  return { agent: started, driver, messages };
}

async function convergedOn(ctl: TestController, node: string, driver: MemoryDriver) {
  await ctl.distribution.settled();
  await until(`${node} converged`, async () => {
    const desired = ctl.distribution.hub.desiredOf(node);
    const status = await ctl.distribution.status();
    const row = status.nodes.find((candidate) => candidate.name === node);
    return desired !== undefined && driver.applied?.config === undefined
      ? false
      : row?.converged === true &&
          JSON.stringify(driver.applied?.config) === JSON.stringify(desired?.config);
  });
}

const types = (messages: ControllerMessage[]) =>
  messages.filter((m) => m.type === "snapshot" || m.type === "delta").map((m) => m.type);

describe("distribution", () => {
  it("sends a snapshot on connect, then per-tenant deltas, and nothing to unchanged nodes", async () => {
    const ctl = await controller();
    await ctl.applyTenant(tenantIntent("acme", { "web-1": "compute-1", "web-2": "compute-2" }));
    const one = agent(ctl, "compute-1", await ctl.distribution.issueNodeToken("compute-1"));
    const two = agent(ctl, "compute-2", await ctl.distribution.issueNodeToken("compute-2"));
    await convergedOn(ctl, "compute-1", one.driver);
    await convergedOn(ctl, "compute-2", two.driver);
    expect(types(one.messages)).toEqual(["snapshot"]);
    const snapshot = one.messages.find((m) => m.type === "snapshot");
    expect(snapshot?.type === "snapshot" && snapshot.config.tenants.map((t) => t.tenant)).toEqual([
      "acme",
    ]);

    // A second tenant only on compute-1: compute-1 gets a delta with that tenant alone.
    await ctl.applyTenant(tenantIntent("beta", { "db-1": "compute-1" }));
    await convergedOn(ctl, "compute-1", one.driver);
    expect(types(one.messages)).toEqual(["snapshot", "delta"]);
    const delta = one.messages.at(-1);
    expect(delta?.type).toBe("delta");
    if (delta?.type !== "delta") return;
    expect(delta.replace.map((t) => t.tenant)).toEqual(["beta"]);
    expect(delta.remove).toEqual([]);
    expect(delta.baseHash).toBe(snapshot?.type === "snapshot" ? snapshot.hash : "");
    expect(delta.generation).toBeGreaterThan(
      snapshot?.type === "snapshot" ? snapshot.generation : 0,
    );
    // compute-2's config did not change: it was sent nothing.
    expect(types(two.messages)).toEqual(["snapshot"]);

    const status = await ctl.distribution.status();
    expect(status.converged).toBe(true);
    expect(status.counts).toMatchObject({ nodes: 2, converged: 2, stale: 0, connected: 2 });
    const node1 = status.nodes.find((n) => n.name === "compute-1");
    expect(node1?.appliedGeneration).toBe(status.generation);
    const node2 = status.nodes.find((n) => n.name === "compute-2");
    expect(node2?.appliedGeneration).toBeLessThan(status.generation);
    expect(ctl.distribution.nodeConfig("compute-1").config).toEqual(one.driver.applied?.config);
  });

  it("acks only after the driver applied: a slow driver holds convergence back", async () => {
    const ctl = await controller();
    const one = agent(ctl, "compute-1", await ctl.distribution.issueNodeToken("compute-1"));
    await convergedOn(ctl, "compute-1", one.driver);
    const release = one.driver.holdApplies();
    await ctl.applyTenant(tenantIntent("acme", { "web-1": "compute-1" }));
    await ctl.distribution.settled();
    await until("delta received", () => types(one.messages).length === 2);
    await new Promise((resolve) => setTimeout(resolve, 150));
    let status = await ctl.distribution.status();
    expect(status.nodes.find((n) => n.name === "compute-1")?.converged).toBe(false);
    expect(status.converged).toBe(false);
    release();
    await convergedOn(ctl, "compute-1", one.driver);
    status = await ctl.distribution.status();
    expect(status.nodes.find((n) => n.name === "compute-1")?.appliedGeneration).toBe(
      status.generation,
    );
  });

  it("removes a network deleted while the node was disconnected once it reconnects", async () => {
    const ctl = await controller();
    const token = await ctl.distribution.issueNodeToken("compute-1");
    await ctl.applyTenant(tenantIntent("acme", { "web-1": "compute-1" }, ["web", "db"]));
    const first = agent(ctl, "compute-1", token);
    await convergedOn(ctl, "compute-1", first.driver);
    expect(first.driver.objectKeys().some((key) => key.endsWith("/network:db"))).toBe(true);
    await first.agent.stop();

    await ctl.applyTenant(tenantIntent("acme", { "web-1": "compute-1" }, ["web"]));
    await ctl.distribution.settled();
    // Still forwarding on the old config while away.
    expect(first.driver.objectKeys().some((key) => key.endsWith("/network:db"))).toBe(true);

    const second = agent(ctl, "compute-1", token, first.driver);
    await convergedOn(ctl, "compute-1", second.driver);
    expect(second.driver.objectKeys().some((key) => key.endsWith("/network:db"))).toBe(false);
    expect(second.driver.objectKeys().some((key) => key.endsWith("/network:web"))).toBe(true);
  });

  it("marks a node stale after missed heartbeats", async () => {
    // Stale after six missed heartbeats: a loaded CI machine can delay one timer by a few
    // hundred milliseconds, and the live agent must never be judged stale for that.
    const ctl = await controller({ timing: { heartbeatMs: 150, staleAfterMs: 900, flushMs: 20 } });
    const token = await ctl.distribution.issueNodeToken("compute-1");
    const live = agent(ctl, "compute-1", token);
    await convergedOn(ctl, "compute-1", live.driver);
    await new Promise((resolve) => setTimeout(resolve, 1200));
    let node = (await ctl.distribution.status()).nodes.find((n) => n.name === "compute-1");
    expect(node?.stale).toBe(false);

    // An agent that connects, says hello, then falls silent (hung process, cut link).
    const silent = await helloAgent(ctl, "compute-2");
    cleanups.push(async () => silent.terminate());
    await until("compute-2 seen", async () => {
      const row = (await ctl.distribution.status()).nodes.find((n) => n.name === "compute-2");
      return row?.connected === true && row.stale === false;
    });
    const pushes: boolean[] = [];
    const abort = new AbortController();
    // Stop watching before the controller closes, even when an assertion below fails.
    cleanups.push(async () => abort.abort());
    const watching = (async () => {
      for await (const status of ctl.distribution.onStatus(abort.signal)) {
        pushes.push(status.nodes.find((n) => n.name === "compute-2")?.stale ?? false);
      }
    })();
    await until("compute-2 stale", async () => {
      const row = (await ctl.distribution.status()).nodes.find((n) => n.name === "compute-2");
      return row?.stale === true;
    });
    node = (await ctl.distribution.status()).nodes.find((n) => n.name === "compute-1");
    expect(node?.stale).toBe(false);
    await until("stale pushed", () => pushes.includes(true), 5000);
    abort.abort();
    await watching;
    expect(pushes[0]).toBe(false);
    // The silent connection is dropped after two stale periods.
    await until("silent socket closed", () => silent.readyState === WebSocket.CLOSED, 6000);
  });

  it("refuses unknown tokens and lets a cloud admin token register a new node", async () => {
    const ctl = await controller();
    const refused = await new Promise<number>((resolve) => {
      const ws = new WebSocket(`ws://127.0.0.1:${ctl.port}/agent?node=compute-1`, {
        headers: { authorization: "Bearer nln_wrong" },
      });
      ws.on("unexpected-response", (_request, response) => resolve(response.statusCode ?? 0));
      ws.on("error", () => undefined);
    });
    expect(refused).toBe(401);

    const issued: string[] = [];
    const driver = createMemoryDriver();
    const registering = startAgent({
      controller: ctl.url,
      node: "compute-9",
      underlay: "198.18.0.19",
      token: ctl.adminToken,
      driver,
      backoffMinMs: 20,
      onToken: (token) => issued.push(token),
    });
    cleanups.push(() => registering.stop());
    await until("registered and converged", async () => {
      const row = (await ctl.distribution.status()).nodes.find((n) => n.name === "compute-9");
      return row?.converged === true;
    });
    expect(issued).toHaveLength(1);
    expect(driver.applied?.config.underlay).toBe("198.18.0.19");
    expect(ctl.store.fabricNodes().map((n) => n.name)).toContain("compute-9");
    // The issued token now works on its own.
    const again = agent(ctl, "compute-9", issued[0] ?? "", driver);
    await until("reconnected with the node token", () => again.agent.connected);
  });

  it("stores the hit counts agents report", async () => {
    const ctl = await controller({ timing: { heartbeatMs: 50, staleAfterMs: 1000, flushMs: 20 } });
    const intent = {
      ...tenantIntent("acme", { "db-1": "compute-2" }, ["web"]),
      securityGroups: [
        {
          name: "web-sg",
          rules: [{ direction: "ingress", protocol: "tcp", ports: "80", remote: "0.0.0.0/0" }],
        },
      ],
    } as IntentFile;
    intent.workloads?.push({
      name: "web-1",
      node: "compute-1",
      interfaces: [{ network: "web", securityGroups: ["web-sg"] }],
    } as NonNullable<IntentFile["workloads"]>[number]);
    await ctl.applyTenant(intent);
    const one = agent(ctl, "compute-1", await ctl.distribution.issueNodeToken("compute-1"));
    await convergedOn(ctl, "compute-1", one.driver);
    expect(one.driver.countHit("sg:web-sg/0", 7)).toBe(true);
    await until("hit counts stored", async () => {
      const counts = await ctl.distribution.hitCounts("compute-1");
      return counts["sg:web-sg/0"] === 7;
    });
    await one.agent.stop();
    // Read back from the database once the agent is gone.
    await until("persisted", async () => {
      const rows = await ctl.db.prisma.fabricNode.findUnique({ where: { name: "compute-1" } });
      return JSON.stringify(rows?.hitCounts).includes('"sg:web-sg/0":7');
    });
  });

  it("shows each tenant only its own hit counts, even under the same rule ids", async () => {
    const { createServer } = await import("../src/server");
    const { distributionFor } = await import("../src/distribution/index");
    const { codeOf, userCaller } = await import("./helpers");
    const server = await createServer({
      dataDir: "memory://",
      databaseUrl: "",
      port: 0,
      logger: false,
      bootstrapToken: "nlt_hit-counts",
    });
    cleanups.push(() => server.close());
    const url = await server.listen();
    const admin = server.caller(
      await server.services.auth.authenticate({ token: "nlt_hit-counts" }),
    );
    await admin.fabric.applyFile({
      document: { apiVersion: "netloom/v1", kind: "Fabric", nodes: FABRIC },
    });
    // Both tenants have a policy web-app with a rule 0: the same rule id on the same node.
    const withPolicy = (tenant: string) =>
      ({
        ...tenantIntent(tenant, { "web-1": "compute-1" }),
        policies: [
          {
            name: "web-app",
            attach: ["web"],
            rules: [
              { action: "allow", protocol: "tcp", source: "any", destination: "web", ports: "80" },
            ],
          },
        ],
      }) as IntentFile;
    for (const tenant of ["acme", "globex"]) {
      await admin.intent.applyFile({ document: withPolicy(tenant) });
    }
    const acmeAdmin = (
      await userCaller(server, "acme-admin@x.y", { tenant: "acme", tenantRole: "tenant_admin" })
    ).caller;
    const globexAdmin = (
      await userCaller(server, "globex-admin@x.y", { tenant: "globex", tenantRole: "tenant_admin" })
    ).caller;
    const distribution = distributionFor(server.services.events);
    if (!distribution) throw new Error("distribution is not running");
    const one = agent(url, "compute-1", await distribution.issueNodeToken("compute-1"));
    await until(
      "both tenants applied",
      () => (one.driver.applied?.config.tenants.length ?? 0) === 2,
    );
    const tenantIds = (name: string) => server.services.store.tenant(name)?.id ?? "";
    expect(one.driver.countHit("policy:web-app/0", 5, tenantIds("acme"))).toBe(true);
    expect(one.driver.countHit("policy:web-app/0", 2, tenantIds("globex"))).toBe(true);

    // Heartbeats come at the server's default period (5 s, first one at a random phase).
    await until(
      "acme's counts reported",
      async () => {
        const counts = await acmeAdmin.fabric.tenantHitCounts({ tenant: "acme" });
        return counts["policy:web-app/0"] === 5;
      },
      20_000,
    );
    expect(await acmeAdmin.fabric.tenantHitCounts({ tenant: "acme" })).toEqual({
      "policy:web-app/0": 5,
    });
    expect(await globexAdmin.fabric.tenantHitCounts({ tenant: "globex" })).toEqual({
      "policy:web-app/0": 2,
    });
    // The node's sum is still there for the cloud view.
    expect(await admin.fabric.hitCounts({ node: "compute-1" })).toEqual({ "policy:web-app/0": 7 });
    // A foreign tenant answers exactly like a missing one.
    const foreign = await codeOf(globexAdmin.fabric.tenantHitCounts({ tenant: "acme" }));
    const missing = await codeOf(globexAdmin.fabric.tenantHitCounts({ tenant: "nosuch" }));
    expect(foreign.code).toBe("NOT_FOUND");
    expect(foreign.problems.map((p) => p.path)).toEqual(missing.problems.map((p) => p.path));

    // Once the agent is gone the counts come from the database, still per tenant.
    await one.agent.stop();
    await until(
      "agent disconnected",
      () => !distribution.hub.connectedNodes().includes("compute-1"),
    );
    await until(
      "persisted per tenant",
      async () => {
        const counts = await globexAdmin.fabric.tenantHitCounts({ tenant: "globex" });
        return counts["policy:web-app/0"] === 2;
      },
      20_000,
    );
    expect(await acmeAdmin.fabric.tenantHitCounts({ tenant: "acme" })).toEqual({
      "policy:web-app/0": 5,
    });
  });

  it("an agent holding a newer generation than the store (a reset store) is still converged", async () => {
    const ctl = await controller();
    await ctl.applyTenant(tenantIntent("acme", { "web-1": "compute-1" }));
    const dir = mkdtempSync(path.join(tmpdir(), "netloom-agent-state-"));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    const stateFile = path.join(dir, "state.json");
    const stale = { node: "compute-1", underlay: "198.18.0.11", tenants: [] };
    writeFileSync(
      stateFile,
      JSON.stringify({ generation: 50, hash: "from-old-store", config: stale }),
    );
    const driver = createMemoryDriver();
    const started = startAgent({
      controller: ctl.url,
      node: "compute-1",
      token: await ctl.distribution.issueNodeToken("compute-1"),
      driver,
      stateFile,
      backoffMinMs: 20,
    });
    cleanups.push(() => started.stop());
    await convergedOn(ctl, "compute-1", driver);
    // Generations only grow: the fabric generation was raised above the agent's 50.
    expect(driver.applied?.generation).toBeGreaterThan(50);
    expect((await ctl.distribution.status()).generation).toBeGreaterThan(50);
    expect(driver.applied?.config.tenants.map((t) => t.tenant)).toEqual(["acme"]);
  });

  it("controller restart: agents keep their config, reconnect and converge again", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "netloom-dist-"));
    cleanups.push(async () => rmSync(dataDir, { recursive: true, force: true }));
    const first = await startTestController({ dataDir });
    await first.store.applyFabric(FABRIC, { prune: false, mode: "upsert" });
    await first.applyTenant(tenantIntent("acme", { "web-1": "compute-1", "web-2": "compute-2" }));
    const token = await first.distribution.issueNodeToken("compute-1");
    const one = agent(first, "compute-1", token);
    await convergedOn(first, "compute-1", one.driver);
    const before = JSON.stringify(one.driver.applied?.config);
    const appliesBefore = one.driver.applyCount;
    const port = first.port;
    await first.close();

    await until("agent noticed", () => !one.agent.connected);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(JSON.stringify(one.driver.applied?.config)).toBe(before);

    const second = await startTestController({ dataDir, port });
    cleanups.push(() => second.close());
    await until("agent back", () => one.agent.connected);
    await convergedOn(second, "compute-1", one.driver);
    // Same config: nothing re-applied, the snapshot was acked after a reconcile.
    expect(one.driver.applyCount).toBe(appliesBefore);

    await second.applyTenant(tenantIntent("acme", { "web-1": "compute-1" }));
    await convergedOn(second, "compute-1", one.driver);
    expect(one.driver.applied?.config.tenants[0]?.remoteEndpoints).toEqual([]);
  });
});

const databaseUrl = process.env.NETLOOM_TEST_DATABASE_URL;

if (!databaseUrl) {
  console.warn(
    "distribution: two-controller test skipped: NETLOOM_TEST_DATABASE_URL is not set (a PostgreSQL URL whose user may CREATE DATABASE)",
  );
}

describe.skipIf(!databaseUrl)("two controllers on one PostgreSQL", () => {
  it("a change committed through controller A reaches an agent on controller B", async () => {
    const url = new URL(await freshDatabase(databaseUrl ?? "", cleanups));
    const a = await startTestController({ databaseUrl: url.href, pollMs: 60_000 });
    cleanups.push(() => a.close());
    const b = await startTestController({ databaseUrl: url.href, pollMs: 60_000 });
    cleanups.push(() => b.close());
    await a.store.applyFabric(FABRIC, { prune: false, mode: "upsert" });
    const token = await a.distribution.issueNodeToken("compute-1");
    await until("B saw the fabric", () => b.distribution.hub.desiredOf("compute-1") !== undefined);
    const one = agent(b, "compute-1", token);
    await convergedOn(b, "compute-1", one.driver);

    await a.applyTenant(tenantIntent("acme", { "web-1": "compute-1" }));
    await until(
      "agent on B has acme",
      () => one.driver.applied?.config.tenants.some((t) => t.tenant === "acme") === true,
    );
    await convergedOn(b, "compute-1", one.driver);
    // A sees B's agent as converged through the database.
    await until("A sees it converged", async () => {
      const row = (await a.distribution.status()).nodes.find((n) => n.name === "compute-1");
      return row?.converged === true && row.servedHere === false && row.connected === true;
    });
    expect(a.distribution.hub.desiredOf("compute-1")?.hash).toBe(
      b.distribution.hub.desiredOf("compute-1")?.hash,
    );
  });

  it("through createServer: a tenant applied on A via tRPC converges an agent on B", async () => {
    const { createServer } = await import("../src/server");
    const { distributionFor } = await import("../src/distribution/index");
    const url = new URL(await freshDatabase(databaseUrl ?? "", cleanups));
    const servers = [];
    for (let i = 0; i < 2; i++) {
      const server = await createServer({
        databaseUrl: url.href,
        port: 0,
        logger: false,
        bootstrapToken: "nlt_two-servers",
      });
      cleanups.push(() => server.close());
      servers.push({ server, url: await server.listen() });
    }
    const [a, b] = servers;
    if (!a || !b) throw new Error("servers");
    const adminOnA = a.server.caller(
      await a.server.services.auth.authenticate({ token: "nlt_two-servers" }),
    );
    await adminOnA.fabric.applyFile({
      document: { apiVersion: "netloom/v1", kind: "Fabric", nodes: FABRIC },
    });
    const { token } = await adminOnA.fabric.issueNodeToken({ node: "compute-2" });
    const distB = distributionFor(b.server.services.events);
    await until("B saw the fabric", () => distB?.hub.desiredOf("compute-2") !== undefined);
    const two = agent(b.url, "compute-2", token);
    await until("snapshot applied", () => two.driver.applied !== undefined);

    // Through tRPC on A, as a client would, not through A's store.
    await adminOnA.intent.applyFile({ document: tenantIntent("acme", { "db-1": "compute-2" }) });
    await until(
      "agent on B has acme",
      () => two.driver.applied?.config.tenants.some((t) => t.tenant === "acme") === true,
    );
    expect(two.driver.applied?.config.tenants.map((t) => t.tenant)).toContain("acme");
    // A sees B's agent converged through the database.
    await until("A sees compute-2 converged", async () => {
      const status = await adminOnA.fabric.status();
      return status.nodes.find((n) => n.name === "compute-2")?.converged === true;
    });
    const status = await adminOnA.fabric.status();
    expect(status.nodes.find((n) => n.name === "compute-2")?.converged).toBe(true);
  });
});
