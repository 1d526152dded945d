import type { IntentFile } from "@netloom/model";
import { describe, expect, it } from "vitest";
import { topologyOutline } from "../src/lib/outline";

const doc = {
  apiVersion: "netloom/v1",
  tenant: "t",
  networks: [
    { name: "web", subnets: [{ cidr: "10.1.0.0/24" }] },
    { name: "db", subnets: [{ cidr: "10.2.0.0/24" }] },
    { name: "public", external: true, subnets: [{ cidr: "203.0.113.0/24" }] },
  ],
  workloads: [
    { name: "web-1", interfaces: [{ network: "web" }] },
    { name: "db-1", interfaces: [{ network: "db" }] },
  ],
  policies: [
    {
      name: "web-db",
      attach: ["web", "db"],
      rules: [
        { action: "allow", protocol: "tcp", source: "web", destination: "db", services: ["fw1"] },
      ],
    },
  ],
  services: [
    { name: "fw1", type: "firewall", rules: [] },
    { name: "nat1", type: "nat", inside: ["web"], outside: "public" },
    { name: "dns1", type: "dns", domain: "t.internal", networks: ["web", "db"] },
  ],
  floatingIpPools: [{ name: "pool1", network: "public" }],
} as unknown as IntentFile;

describe("topology outline", () => {
  it("lists each network's workloads, policies with peers and chain, services and pools", () => {
    const outline = topologyOutline(doc);
    const web = outline.find((n) => n.name === "web");
    expect(web?.workloads).toEqual(["web-1"]);
    expect(web?.policies).toEqual([{ name: "web-db", peers: ["db"], chain: ["fw1"] }]);
    expect(web?.services).toEqual([
      { name: "nat1", type: "nat" },
      { name: "dns1", type: "dns" },
    ]);
    const db = outline.find((n) => n.name === "db");
    expect(db?.policies[0]?.peers).toEqual(["web"]);
    expect(db?.services.map((s) => s.name)).toEqual(["dns1"]);
    const pub = outline.find((n) => n.name === "public");
    expect(pub?.external).toBe(true);
    expect(pub?.services.map((s) => s.name)).toEqual(["nat1"]);
    expect(pub?.pools).toEqual(["pool1"]);
    // Firewalls sit on policies, never listed as a network's service.
    expect(outline.flatMap((n) => n.services.map((s) => s.name))).not.toContain("fw1");
  });
});
