import { startAgent } from "@netloom/agent";
import { createMemoryDriver } from "@netloom/dataplane";
import type { IntentFile } from "@netloom/model";
import { describe, expect, it } from "vitest";
import { type Distribution, distributionFor } from "../src/distribution/index";
import { createServer, type NetloomServer } from "../src/server";
import { until } from "./distribution-harness";
import { computeNodes } from "./fixtures";
import { cleanupsAfterEach, freshDatabase } from "./helpers";

/**
 * Issue 8 §7 (three controllers converge as fast as one, within 1.5x): a controller follows a
 * tenant changed through another one by reading only the objects whose revision moved, and by
 * compiling only that tenant, never the whole fabric.
 */

const baseUrl = process.env.NETLOOM_TEST_DATABASE_URL;
if (!baseUrl) {
  console.warn("follow: skipped: NETLOOM_TEST_DATABASE_URL is not set (PostgreSQL needed)");
}

const cleanups = cleanupsAfterEach();

async function controller(databaseUrl: string, distribution: boolean): Promise<NetloomServer> {
  const server = await createServer({
    dataDir: "memory://",
    databaseUrl,
    host: "127.0.0.1",
    port: 0,
    bootstrapToken: "test-admin-token",
    logger: false,
    distribution,
  });
  cleanups.push(() => server.close());
  return server;
}

function distributionOf(server: NetloomServer): Distribution {
  const distribution = distributionFor(server.services.events);
  if (!distribution) throw new Error("distribution is not running");
  return distribution;
}

/** A tenant of `workloads` workloads over two nodes, all in one security group on `port`. */
function bigTenant(workloads: number, port: number, extra: string[] = []): IntentFile {
  return {
    apiVersion: "netloom/v1",
    tenant: "big",
    networks: [
      { name: "web", subnets: [{ cidr: "10.1.0.0/22" }] },
      { name: "db", subnets: [{ cidr: "10.2.0.0/24" }] },
      ...extra.map((name, index) => ({ name, subnets: [{ cidr: `10.${10 + index}.0.0/24` }] })),
    ],
    workloads: Array.from({ length: workloads }, (_, i) => ({
      name: `vm-${i}`,
      node: i % 2 === 0 ? "compute-1" : "compute-2",
      interfaces: [{ network: i % 3 === 0 ? "db" : "web", securityGroups: ["sg"] }],
    })),
    securityGroups: [
      {
        name: "sg",
        rules: [{ direction: "ingress", protocol: "tcp", ports: port, remote: "0.0.0.0/0" }],
      },
    ],
  } as IntentFile;
}

const FABRIC = computeNodes(2);

describe.skipIf(!baseUrl)("a controller following another one's changes", () => {
  it("re-reads only the objects that changed, and holds what the writer holds", async () => {
    const url = await freshDatabase(baseUrl ?? "", cleanups);
    const a = await controller(url, false);
    const b = await controller(url, false);
    await a.services.store.applyFabric(FABRIC, { prune: false, mode: "upsert" });
    const change = (intent: IntentFile) =>
      a.services.store.change({
        tenant: "big",
        actor: "test",
        createTenant: true,
        mutate: () => intent,
      });
    await change(bigTenant(40, 1000));
    const id = a.services.store.tenant("big")?.id;
    if (!id) throw new Error("tenant big missing");
    const follow = b.services.store.follow;
    const exported = (server: NetloomServer) => {
      const state = server.services.store.tenantById(id);
      if (!state) throw new Error("tenant not cached");
      return {
        generation: state.generation,
        document: server.services.store.document(state),
        vnis: state.vnis,
        natAddresses: state.natAddresses,
      };
    };

    // First sight: every object is read.
    await b.services.store.refresh({ tenantId: id });
    expect(exported(b)).toEqual(exported(a));
    expect(follow.specsParsed).toBe(43); // 2 networks, 40 workloads, 1 group
    const parsedBefore = follow.specsParsed;

    // One object changed: one object read.
    await change(bigTenant(40, 1001));
    await b.services.store.refresh({ tenantId: id });
    expect(exported(b)).toEqual(exported(a));
    expect(follow.specsParsed - parsedBefore).toBe(1);

    // Objects deleted, created and changed at once (a new network gets a VNI): exactly those.
    const parsedThen = follow.specsParsed;
    await change(bigTenant(37, 1002, ["cache"]));
    await b.services.store.refresh({ tenantId: id });
    const after = exported(b);
    expect(after).toEqual(exported(a));
    expect(after.document.workloads).toHaveLength(37);
    expect(after.vnis.cache).toBeGreaterThan(0);
    expect(follow.specsParsed - parsedThen).toBe(2); // the group and the new network

    // Deleted through A: gone from B.
    const state = a.services.store.tenantById(id);
    if (!state) throw new Error("tenant big missing on A");
    await a.services.store.deleteTenant(state);
    await b.services.store.refresh({ tenantId: id });
    expect(b.services.store.tenantById(id)).toBeUndefined();
    expect(b.services.store.tenant("big")).toBeUndefined();
  });

  it("a tenant changed on one controller reaches an agent on another, which compiles that tenant only", async () => {
    const url = await freshDatabase(baseUrl ?? "", cleanups);
    const a = await controller(url, true);
    await a.services.store.applyFabric(FABRIC, { prune: false, mode: "upsert" });
    const change = (intent: IntentFile) =>
      a.services.store.change({
        tenant: intent.tenant,
        actor: "test",
        createTenant: true,
        mutate: () => intent,
      });
    await change(bigTenant(40, 1000));
    await change({
      apiVersion: "netloom/v1",
      tenant: "other",
      networks: [{ name: "lan", subnets: [{ cidr: "10.9.0.0/24" }] }],
      workloads: [{ name: "w", node: "compute-1", interfaces: [{ network: "lan" }] }],
    } as IntentFile);
    const b = await controller(url, true);
    const bUrl = await b.listen();
    const onA = distributionOf(a);
    const onB = distributionOf(b);
    const token = await onA.issueNodeToken("compute-1");
    const driver = createMemoryDriver();
    const agent = startAgent({ controller: bUrl, node: "compute-1", token, driver });
    cleanups.push(() => agent.stop());
    const holdsDesired = (distribution: Distribution) => () =>
      agent.applied?.hash !== undefined &&
      agent.applied.hash === distribution.hub.desiredOf("compute-1")?.hash;
    await until("the agent on B applied", holdsDesired(onB), 30_000);
    await onA.settled();
    expect(onB.hub.desiredOf("compute-1")?.hash).toBe(onA.hub.desiredOf("compute-1")?.hash);

    const compiles = { ...onB.feed.compiles };
    const parsed = b.services.store.follow.specsParsed;
    await change(bigTenant(40, 2000));
    await onA.settled();
    const wanted = onA.hub.desiredOf("compute-1")?.hash;
    await until("the agent on B applied A's change", () => agent.applied?.hash === wanted, 30_000);
    expect(JSON.stringify(agent.applied?.config)).toContain('{"from":2000,"to":2000}');
    // B followed with one tenant's compile and one object's read; no full recompile.
    expect(onB.feed.compiles.full).toBe(compiles.full);
    expect(onB.feed.compiles.tenants).toBe(compiles.tenants + 1);
    expect(b.services.store.follow.specsParsed - parsed).toBe(1);
  }, 90_000);
});
