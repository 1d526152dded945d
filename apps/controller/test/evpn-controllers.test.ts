import type { LearnedEvpnRoute } from "@netloom/model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { NetloomServer } from "../src/server";
import { evpnInternet, fabricFile } from "./fixtures";
import { adminCaller, codeOf, controllersSharingDatabase } from "./helpers";

/**
 * Issue 14: controllers on one PostgreSQL agree on learned routes (a table, not memory): the
 * union of every speaker's routes compiles on each, and the `bgp`/`evpn` sections are shared.
 */
const baseUrl = process.env.NETLOOM_TEST_DATABASE_URL;

const route = (prefix: string, peer: string): LearnedEvpnRoute => ({
  prefix,
  vni: 5000,
  routerMac: "02:aa:00:00:00:01",
  nexthop: "198.18.0.254",
  routeTarget: "65000:5000",
  peer,
});

describe.skipIf(!baseUrl)("EVPN state on two controllers sharing PostgreSQL", () => {
  let shared: Awaited<ReturnType<typeof controllersSharingDatabase>> | undefined;
  let servers: NetloomServer[] = [];

  beforeAll(async () => {
    shared = await controllersSharingDatabase(baseUrl ?? "", 2);
    servers = shared.servers;
  }, 60_000);

  afterAll(async () => {
    await shared?.close();
  });

  it("compiles the union of both speakers' routes on each, after a refresh", async () => {
    const [a, b] = servers;
    if (!a || !b) throw new Error("two controllers expected");
    const adminA = await adminCaller(a);
    await adminA.fabric.applyFile({
      document: fabricFile(1, {
        externalNetworks: [evpnInternet({})],
        bgp: { localAs: 65001, routerId: "198.18.0.1", peers: [] },
      }),
    });
    await a.services.store.replaceLearnedRoutes("speaker-a", [route("192.0.2.0/24", "gw")]);
    await b.services.store.refresh("full");
    expect(b.services.store.fabricBgp()?.localAs).toBe(65001);
    await b.services.store.replaceLearnedRoutes("speaker-b", [route("198.51.100.0/24", "gw")]);
    await a.services.store.refresh("full");
    const prefixes = (server: NetloomServer) =>
      server.services.store.compileInput().fabric.learnedRoutes?.map((r) => r.prefix);
    expect(prefixes(a)).toEqual(["192.0.2.0/24", "198.51.100.0/24"]);
    expect(prefixes(b)).toEqual(prefixes(a));
    expect(b.services.store.fabricGeneration).toBe(a.services.store.fabricGeneration);

    // The same L3 VNI for a second network is refused through the other controller too.
    const adminB = await adminCaller(b);
    const clash = await codeOf(
      adminB.fabric.applyFile({
        document: fabricFile(1, {
          externalNetworks: [
            {
              name: "partner",
              subnets: [{ cidr: "198.51.100.0/24" }],
              evpn: { vni: 5000, routeTarget: "65000:6000" },
            },
          ],
        }),
      }),
    );
    expect(clash.code).toBe("INVALID");
    expect(clash.problems[0]?.path).toBe("externalNetworks[0].evpn.vni");
  });
});
