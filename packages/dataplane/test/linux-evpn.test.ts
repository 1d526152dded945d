import { type CompiledFabric, compile, type TenantInput } from "@netloom/compiler";
import {
  type FabricExternalNetworkSpec,
  type FabricNodeSpec,
  fabricExternalNetworkSchema,
  type LearnedEvpnRoute,
  nodeOverlayMac,
} from "@netloom/model";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  createOutsideHost,
  destroyOwnedNamespaces,
  ensureOutsideNetwork,
  mustRun,
  OUTSIDE_UNDERLAY,
  sendProbe,
  tenantNamespace,
  underlayNamespace,
} from "../src/linux";
import { kernelState } from "../src/linux/kernel-state";
import { driverLab, intentOf, linuxSkipReason, testOwner, workloadNs } from "./linux-helpers";

/**
 * Issue 14: a learned EVPN type-5 route is node config like any other. The lab's outside host
 * stands in for the gateway VTEP (its VXLAN MAC is the router MAC); the route is programmed in
 * the tenant namespace holding the external network's L3 VNI device, carries real packets both
 * ways through the floating IP, and goes when withdrawn, the kernel holding exactly the intent.
 */

const skip = await linuxSkipReason();
if (skip) console.warn(`linux evpn tests skipped: ${skip}`);

const TAG = testOwner("ecevpn");
const L3VNI = 5000;
const GATEWAY_MAC = nodeOverlayMac(OUTSIDE_UNDERLAY);
const GATEWAY_HOST = "192.0.2.1";

const PUBLIC: FabricExternalNetworkSpec = fabricExternalNetworkSchema.parse({
  name: "public",
  subnets: [{ cidr: "203.0.113.0/24" }],
  evpn: { vni: L3VNI, routeTarget: "65000:5000" },
});

const tenant: TenantInput = {
  id: "t-evpn",
  intent: intentOf({
    tenant: "evpn",
    networks: [{ name: "web", subnets: [{ cidr: "10.60.1.0/24" }] }],
    floatingIpPools: [{ name: "fip", network: "public" }],
    workloads: [
      {
        name: "web-1",
        node: "compute-1",
        interfaces: [
          { network: "web", ip: "10.60.1.10", floatingIp: { pool: "fip", ip: "203.0.113.10" } },
        ],
      },
      { name: "web-3", node: "compute-1", interfaces: [{ network: "web", ip: "10.60.1.12" }] },
    ],
  }),
  vnis: { web: 8600, public: L3VNI },
  natAddresses: {},
};

const learned: LearnedEvpnRoute = {
  prefix: "192.0.2.0/24",
  vni: L3VNI,
  routerMac: GATEWAY_MAC,
  nexthop: OUTSIDE_UNDERLAY,
  routeTarget: "65000:5000",
  peer: "gateway",
};

describe.skipIf(skip !== undefined)("learned EVPN routes on a Linux node", () => {
  let lab: Awaited<ReturnType<typeof driverLab>>;
  let gatewayNs = "";
  const node1 = () => {
    const node = lab.nodes[0];
    if (!node) throw new Error("no compute-1");
    return node;
  };
  const driver1 = () => {
    const driver = lab.drivers[0];
    if (!driver) throw new Error("no driver of compute-1");
    return driver;
  };
  const compiled = (routes: LearnedEvpnRoute[]): CompiledFabric =>
    compile({
      fabric: {
        nodes: lab.nodes.map((n) => ({ name: n.name, underlay: n.underlay }) as FabricNodeSpec),
        externalNetworks: [PUBLIC],
        learnedRoutes: routes,
      },
      tenants: [tenant],
    });
  const config1 = (routes: LearnedEvpnRoute[]) => {
    const config = compiled(routes).nodes["compute-1"];
    if (!config) throw new Error("no config of compute-1");
    return config;
  };
  const tenantNs = () =>
    tenantNamespace(node1().namespace, config1([]).tenants[0]?.tenantKey ?? "");
  const learnedState = async () =>
    [...(await kernelState(tenantNs()))]
      .filter(
        ([key, value]) =>
          key.includes("192.0.2.") ||
          key.includes("169.254.0.250") ||
          key.includes(GATEWAY_MAC) ||
          value.includes("169.254.0.250"),
      )
      .map(([key, value]) => `${key} ${value}`.trim())
      .sort();
  const ping = (workload: string, host: string) =>
    sendProbe(workloadNs(node1(), tenant.id, workload), "icmp", host, 0, 2000);

  beforeAll(async () => {
    lab = await driverLab(TAG, 2);
    await createOutsideHost(underlayNamespace(TAG), TAG);
    await driver1().apply(config1([learned]), 1);
    gatewayNs = await ensureOutsideNetwork(
      {
        vni: L3VNI,
        nodeUnderlays: lab.nodes.map((node) => node.underlay),
        // web-3's own address is routed back too: only the ruleset keeps it from reaching out.
        routes: { "203.0.113.10": node1().underlay, "10.60.1.12": node1().underlay },
        addresses: [GATEWAY_HOST],
      },
      TAG,
    );
  }, 120_000);

  afterAll(async () => {
    for (const driver of lab?.drivers ?? []) await driver.teardown();
    await destroyOwnedNamespaces(TAG);
  });

  it("programs the route, neighbour and FDB entry on the L3 VNI device, and nothing else drifts", async () => {
    expect(await learnedState()).toEqual([
      `fdb vx${L3VNI} ${GATEWAY_MAC} ${OUTSIDE_UNDERLAY}`,
      `neighbour vx${L3VNI} 169.254.0.250 ${GATEWAY_MAC}`,
      `route 192.0.2.0/24 dev vx${L3VNI} via 169.254.0.250`,
    ]);
    expect((await driver1().reconcile(config1([learned]))).repaired).toEqual([]);
  });

  it("carries real packets both ways through the floating IP; a port without one may not", async () => {
    expect(await ping("web-1", GATEWAY_HOST)).toBe("allow");
    const inbound = await sendProbe(gatewayNs, "icmp", "203.0.113.10", 0, 2000, GATEWAY_HOST);
    expect(inbound).toBe("allow");
    // web-3 has no floating IP or NAT: what is routed out of the external network is outside.
    expect(await ping("web-3", GATEWAY_HOST)).toBe("deny");
  }, 60_000);

  it("repairs a learned route removed or changed behind the driver's back", async () => {
    await mustRun(["ip", "-n", tenantNs(), "route", "del", "192.0.2.0/24"]);
    await mustRun([
      "ip",
      "-n",
      tenantNs(),
      "neigh",
      "replace",
      "169.254.0.250",
      "dev",
      `vx${L3VNI}`,
      "lladdr",
      "02:00:00:00:00:99",
      "nud",
      "permanent",
    ]);
    const report = await driver1().reconcile(config1([learned]));
    expect(report.repaired.some((line) => line.includes("192.0.2.0/24"))).toBe(true);
    expect(report.repaired.some((line) => line.includes("169.254.0.250"))).toBe(true);
    expect(await learnedState()).toHaveLength(3);
    expect((await driver1().reconcile(config1([learned]))).repaired).toEqual([]);
    expect(await ping("web-1", GATEWAY_HOST)).toBe("allow");
  }, 60_000);

  it("programs a learned default route without false drift", async () => {
    const everything = { ...learned, prefix: "0.0.0.0/0" };
    await driver1().apply(config1([learned, everything]), 4);
    const state = await kernelState(tenantNs());
    expect(state.get("route default")).toBe(`dev vx${L3VNI} via 169.254.0.250`);
    expect((await driver1().reconcile(config1([learned, everything]))).repaired).toEqual([]);
    await driver1().apply(config1([learned]), 5);
    expect((await kernelState(tenantNs())).has("route default")).toBe(false);
  }, 60_000);

  it("removes all three when the route is withdrawn, and the kernel is exactly the intent", async () => {
    await driver1().apply(config1([]), 2);
    expect(await learnedState()).toEqual([]);
    expect((await driver1().reconcile(config1([]))).repaired).toEqual([]);
    expect(await ping("web-1", GATEWAY_HOST)).toBe("deny");
    // Learned again: back, and forwarding.
    await driver1().apply(config1([learned]), 3);
    expect(await learnedState()).toHaveLength(3);
    expect(await ping("web-1", GATEWAY_HOST)).toBe("allow");
  }, 60_000);
});
