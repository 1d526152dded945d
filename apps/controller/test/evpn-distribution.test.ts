import { startAgent } from "@netloom/agent";
import { createMemoryDriver } from "@netloom/dataplane";
import {
  fabricExternalNetworkSchema,
  type IntentFile,
  intentFileSchema,
  type LearnedEvpnRoute,
} from "@netloom/model";
import type { ControllerMessage } from "@netloom/protocol";
import { afterEach, describe, expect, it } from "vitest";
import { startTestController, type TestController, until } from "./distribution-harness";
import { computeNodes, evpnInternet } from "./fixtures";

/**
 * Issue 14: a learned-route change is a fabric change: a new generation, recompiled, and pushed
 * to the nodes whose config it changes (as a delta carrying the node's learned routes), where the
 * driver holds exactly them.
 */

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) {
    await cleanup().catch((error: unknown) => console.error("cleanup failed", error));
  }
});

const GATEWAY: LearnedEvpnRoute = {
  prefix: "192.0.2.0/24",
  vni: 5000,
  routerMac: "02:aa:00:00:00:01",
  nexthop: "198.18.0.254",
  routeTarget: "65000:5000",
  peer: "gateway",
};

const ACME: IntentFile = intentFileSchema.parse({
  apiVersion: "netloom/v1",
  tenant: "acme",
  networks: [{ name: "web", subnets: [{ cidr: "10.1.0.0/24" }] }],
  floatingIpPools: [{ name: "fip", network: "internet" }],
  workloads: [
    {
      name: "web-1",
      node: "compute-1",
      interfaces: [{ network: "web", floatingIp: { pool: "fip" } }],
    },
    { name: "web-2", node: "compute-2", interfaces: [{ network: "web" }] },
  ],
});

async function controller(): Promise<TestController> {
  const ctl = await startTestController({});
  cleanups.push(() => ctl.close());
  await ctl.store.applyFabric(computeNodes(2), {
    prune: false,
    mode: "upsert",
    externalNetworks: [fabricExternalNetworkSchema.parse(evpnInternet({}))],
  });
  await ctl.applyTenant(ACME);
  await ctl.distribution.settled();
  return ctl;
}

describe("learned EVPN routes through distribution", () => {
  it("reach the nodes that carry the network as a delta, and leave when withdrawn", async () => {
    const ctl = await controller();
    const agents = await Promise.all(
      ["compute-1", "compute-2"].map(async (node) => {
        const driver = createMemoryDriver();
        const messages: ControllerMessage[] = [];
        const agent = startAgent({
          controller: ctl.url,
          node,
          token: await ctl.distribution.issueNodeToken(node),
          driver,
          backoffMinMs: 20,
          backoffMaxMs: 100,
          resyncMs: 60_000,
          onMessage: (message) => messages.push(message),
        });
        cleanups.push(() => agent.stop());
        return { node, driver, messages };
      }),
    );
    const converged = async () => {
      await ctl.distribution.settled();
      await until(
        "both nodes converged",
        async () => (await ctl.distribution.status()).converged,
        30_000,
      );
    };
    await converged();
    const [one, two] = agents;
    if (!one || !two) throw new Error("two agents");
    expect(one.driver.applied?.config.learnedRoutes).toBeUndefined();

    const before = ctl.store.fabricGeneration;
    await ctl.store.replaceLearnedRoutes("speaker-1", [GATEWAY]);
    expect(ctl.store.fabricGeneration).toBeGreaterThan(before);
    await converged();
    expect(one.driver.applied?.config.learnedRoutes?.map((r) => `${r.prefix} ${r.vtep}`)).toEqual([
      "192.0.2.0/24 198.18.0.254",
    ]);
    expect(one.driver.objectKeys()).toContain("evpn:5000/192.0.2.0/24");
    expect(one.messages.at(-1)?.type).toBe("delta");
    // compute-2 holds no floating IP or NAT on the network: its config did not change.
    expect(two.driver.applied?.config.learnedRoutes).toBeUndefined();
    expect(JSON.stringify(one.driver.applied?.config)).toBe(
      JSON.stringify(ctl.distribution.nodeConfig("compute-1").config),
    );

    await ctl.store.replaceLearnedRoutes("speaker-1", []);
    await converged();
    expect(one.driver.applied?.config.learnedRoutes).toBeUndefined();
    expect(one.driver.objectKeys().some((key) => key.startsWith("evpn:"))).toBe(false);
    expect(JSON.stringify(one.driver.applied?.config)).toBe(
      JSON.stringify(ctl.distribution.nodeConfig("compute-1").config),
    );
  }, 60_000);
});
