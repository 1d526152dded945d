import type { IntentFile } from "@netloom/model";
import { describe, expect, it } from "vitest";
import {
  attachPolicy,
  chainService,
  connectionPolicy,
  freeName,
  moveItem,
  normalizeDocument,
  removeObject,
  replaceObject,
} from "../src/draft/ops";

const doc = {
  apiVersion: "netloom/v1",
  tenant: "t",
  networks: [
    { name: "web", subnets: [{ cidr: "10.1.0.0/24" }] },
    { name: "db", subnets: [{ cidr: "10.2.0.0/24" }] },
  ],
  workloads: [
    { name: "web-1", interfaces: [{ network: "web", securityGroups: ["sg"] }] },
    { name: "both", interfaces: [{ network: "web" }, { network: "db" }] },
  ],
  securityGroups: [{ name: "sg", rules: [] }],
  policies: [
    {
      name: "web-db",
      attach: ["web", "db"],
      rules: [
        { action: "allow", source: "web", destination: "db", services: ["fw"] },
        { action: "deny", source: "any", destination: "any" },
      ],
    },
  ],
  services: [{ name: "fw", type: "firewall", rules: [] }],
  routers: [{ name: "r1", networks: ["web", "db"] }],
} as unknown as IntentFile;

describe("draft edits", () => {
  it("renaming a network follows every reference", () => {
    const web = doc.networks?.[0];
    if (!web) throw new Error("fixture");
    const next = replaceObject(doc, "networks", "web", {
      ...web,
      name: "front" as typeof web.name,
    });
    expect(next.networks?.map((n) => n.name)).toEqual(["front", "db"]);
    expect(next.workloads?.[0]?.interfaces[0]?.network).toBe("front");
    expect(next.policies?.[0]?.attach).toEqual(["front", "db"]);
    expect(next.policies?.[0]?.rules[0]?.source).toBe("front");
    expect(next.routers?.[0]?.networks).toEqual(["front", "db"]);
    // The original is untouched (undo relies on it).
    expect(doc.networks?.[0]?.name).toBe("web");
  });

  it("removing a network drops its interfaces, legs and attachments, and emptied workloads", () => {
    const next = removeObject(doc, "networks", "web");
    expect(next.workloads?.map((w) => w.name)).toEqual(["both"]);
    expect(next.workloads?.[0]?.interfaces.map((i) => i.network)).toEqual(["db"]);
    expect(next.policies?.[0]?.attach).toEqual(["db"]);
    expect(next.routers?.[0]?.networks).toEqual(["db"]);
  });

  it("removing a service takes it out of service chains", () => {
    const next = removeObject(doc, "services", "fw");
    expect(next.policies?.[0]?.rules[0]).not.toHaveProperty("services");
  });

  it("chaining a service touches allow rules only, once", () => {
    const once = chainService(doc, "web-db", "lb");
    const twice = chainService(once, "web-db", "lb");
    expect(twice.policies?.[0]?.rules[0]?.services).toEqual(["fw", "lb"]);
    expect(twice.policies?.[0]?.rules[1]?.services).toBeUndefined();
  });

  it("attaching a policy adds the network once", () => {
    const withNet = {
      ...doc,
      networks: [...(doc.networks ?? []), { name: "app", subnets: [{ cidr: "10.3.0.0/24" }] }],
    } as IntentFile;
    const next = attachPolicy(attachPolicy(withNet, "web-db", "app"), "web-db", "app");
    expect(next.policies?.[0]?.attach).toEqual(["web", "db", "app"]);
  });

  it("a connection policy gets a free name and a default tcp allow both ways", () => {
    const policy = connectionPolicy(doc, "web", "db");
    expect(policy.name).toBe("web-db-2");
    expect(policy.attach).toEqual(["web", "db"]);
    expect(policy.rules).toEqual([
      { action: "allow", protocol: "tcp", source: "web", destination: "db", direction: "<>" },
    ]);
    expect(freeName(doc, "networks", "app")).toBe("app");
  });

  it("moves rules (order is semantic)", () => {
    expect(moveItem(["a", "b", "c"], 0, 2)).toEqual(["b", "c", "a"]);
    expect(moveItem(["a", "b", "c"], 2, 0)).toEqual(["c", "a", "b"]);
  });

  it("normalizes away empty lists so an untouched draft equals the stored file", () => {
    const out = normalizeDocument({ ...doc, assertions: [], floatingIpPools: [] });
    expect(Object.keys(out)).not.toContain("assertions");
    expect(Object.keys(out)).not.toContain("floatingIpPools");
  });
});
