import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppCaller, NetloomServer } from "../src/server";
import { fabricFile, internet } from "./fixtures";
import { adminCaller, freshServer } from "./helpers";

/**
 * Spec sections 1.1 and 1.2 end to end through the controller: the store allocates outside
 * addresses fabric-wide and hands the fabric's external networks to the compiler, and the trace
 * answers from the compiled configs, for two tenants sharing one operator network.
 */
const FABRIC = fabricFile(2, { externalNetworks: [internet()] });

function tenantFile(tenant: string) {
  return {
    apiVersion: "netloom/v1",
    tenant,
    networks: [{ name: "lan", subnets: [{ cidr: "10.0.0.0/24" }] }],
    securityGroups: [
      {
        name: "web-sg",
        rules: [
          { direction: "ingress", protocol: "tcp", ports: 443 },
          { direction: "egress", protocol: "any" },
        ],
      },
    ],
    floatingIpPools: [{ name: "public", network: "internet" }],
    workloads: [
      {
        name: "web",
        interfaces: [
          {
            network: "lan",
            ip: "10.0.0.10",
            securityGroups: ["web-sg"],
            floatingIp: { pool: "public" },
            allowedAddresses: ["10.0.0.50/32"],
          },
        ],
      },
      { name: "app", interfaces: [{ network: "lan", ip: "10.0.0.20" }] },
    ],
  };
}

describe("outside addresses are one space, ports cannot spoof (spec 1.1, 1.2)", () => {
  let server: NetloomServer;
  let admin: AppCaller;
  beforeAll(async () => {
    server = await freshServer();
    admin = await adminCaller(server);
    await admin.fabric.applyFile({ document: FABRIC });
    await admin.intent.applyFile({ document: tenantFile("alpha") });
    await admin.intent.applyFile({ document: tenantFile("beta") });
  }, 60_000);
  afterAll(async () => {
    await server.close();
  });

  const floatingIpOf = async (tenant: string) =>
    (await admin.workloads.get({ tenant, name: "web" })).spec.interfaces[0]?.floatingIp?.ip ?? "";

  it("each tenant's floating IP on the fabric network is its own and reachable from outside", async () => {
    const alpha = await floatingIpOf("alpha");
    const beta = await floatingIpOf("beta");
    expect(alpha).toMatch(/^203\.0\.113\.\d+$/);
    expect(beta).toMatch(/^203\.0\.113\.\d+$/);
    expect(alpha).not.toBe(beta);
    for (const [tenant, ip] of [
      ["alpha", alpha],
      ["beta", beta],
    ] as const) {
      const allowed = await admin.reach.trace({
        tenant,
        from: "203.0.113.250",
        to: ip,
        protocol: "tcp",
        port: 443,
      });
      expect(allowed.verdict).toBe("allow");
      const blocked = await admin.reach.trace({
        tenant,
        from: "203.0.113.250",
        to: ip,
        protocol: "tcp",
        port: 22,
      });
      expect(blocked.verdict).toBe("deny");
    }
  });

  it("a source no port owns is dropped as spoofed; an allowed address is sent", async () => {
    const spoofed = await admin.reach.trace({
      tenant: "alpha",
      from: "10.0.0.99",
      to: "app",
      protocol: "tcp",
      port: 80,
    });
    expect(spoofed.verdict).toBe("deny");
    expect(spoofed.hops.map((hop) => hop.rule)).toContain("implicit:anti-spoofing");
    const allowed = await admin.reach.trace({
      tenant: "alpha",
      from: "10.0.0.50",
      to: "app",
      protocol: "tcp",
      port: 80,
    });
    expect(allowed.verdict).toBe("allow");
  });
});
