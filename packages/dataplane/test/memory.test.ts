import type { NodeConfig, TenantConfig } from "@netloom/compiler";
import { describe, expect, it } from "vitest";
import {
  allowHttp,
  networkInstances,
  nodeConfig,
  tenantConfig,
} from "../../../test-support/configs";
import { createMemoryDriver } from "../src/index";

function tenant(id: string, networks: string[], rule = "policy:p/0"): TenantConfig {
  return tenantConfig(id, { networks: networkInstances(networks, { acl: [allowHttp(rule)] }) });
}

const config = (tenants: TenantConfig[]): NodeConfig => nodeConfig(tenants);

describe("memory driver", () => {
  it("applies a config and holds exactly its objects", async () => {
    const driver = createMemoryDriver();
    await driver.apply(config([tenant("a", ["web", "db"])]), 3);
    expect(driver.applied?.generation).toBe(3);
    expect(driver.objectKeys()).toEqual(["a/network:db", "a/network:web", "a/tenant", "node"]);
    await driver.apply(config([tenant("a", ["web"])]), 4);
    expect(driver.objectKeys()).toEqual(["a/network:web", "a/tenant", "node"]);
  });

  it("reconcile repairs removed, changed and stray objects, and reports them", async () => {
    const driver = createMemoryDriver();
    const desired = config([tenant("a", ["web", "db"])]);
    await driver.apply(desired, 1);
    expect((await driver.reconcile(desired)).repaired).toEqual([]);
    driver.drift({ kind: "remove", key: "a/network:web" });
    driver.drift({ kind: "corrupt", key: "a/network:db" });
    driver.drift({ kind: "add", key: "zz/network:rogue" });
    const report = await driver.reconcile(desired);
    expect(report.repaired.sort()).toEqual([
      "created a/network:web",
      "removed zz/network:rogue",
      "restored a/network:db",
    ]);
    expect((await driver.reconcile(desired)).repaired).toEqual([]);
  });

  it("a failed apply leaves the previous state in place", async () => {
    const driver = createMemoryDriver();
    await driver.apply(config([tenant("a", ["web"])]), 1);
    driver.failNextApply("nft: out of memory");
    await expect(driver.apply(config([tenant("b", ["x"])]), 2)).rejects.toThrow("out of memory");
    expect(driver.applied?.generation).toBe(1);
    expect(driver.objectKeys()).toContain("a/network:web");
    await driver.apply(config([tenant("b", ["x"])]), 2);
    expect(driver.objectKeys()).toContain("b/network:x");
  });

  it("held applies resolve only when released", async () => {
    const driver = createMemoryDriver();
    const release = driver.holdApplies();
    let done = false;
    const applying = driver.apply(config([]), 1).then(() => {
      done = true;
    });
    await new Promise((resolve) => setTimeout(resolve, 30));
    expect(done).toBe(false);
    expect(driver.applied).toBeUndefined();
    release();
    await applying;
    expect(done).toBe(true);
  });

  it("counts hits only on rules the applied config contains", async () => {
    const driver = createMemoryDriver();
    expect(driver.countHit("policy:p/0")).toBe(false);
    await driver.apply(config([tenant("a", ["web"], "policy:p/0")]), 1);
    expect(driver.countHit("policy:p/0", 3)).toBe(true);
    expect(driver.countHit("policy:other/1")).toBe(false);
    expect(await driver.counters()).toEqual({ "policy:p/0": 3 });
    expect(await driver.tenantCounters()).toEqual({ a: { "policy:p/0": 3 } });
  });

  it("keeps counts per tenant when two tenants share a rule id", async () => {
    const driver = createMemoryDriver();
    await driver.apply(
      config([tenant("a", ["web"], "policy:p/0"), tenant("b", ["web"], "policy:p/0")]),
      1,
    );
    expect(driver.countHit("policy:p/0", 3, "a")).toBe(true);
    expect(driver.countHit("policy:p/0", 2, "b")).toBe(true);
    expect(driver.countHit("policy:p/0", 1, "c")).toBe(false);
    expect(await driver.tenantCounters()).toEqual({
      a: { "policy:p/0": 3 },
      b: { "policy:p/0": 2 },
    });
    expect(await driver.counters()).toEqual({ "policy:p/0": 5 });
  });
});

describe("memory driver: learned EVPN routes (issue 14)", () => {
  const learned = (prefix: string) => ({
    prefix,
    network: "public",
    vni: 5000,
    routerMac: "02:aa:00:00:00:01",
    vtep: "198.18.0.254",
    via: "169.254.0.254",
    peer: "gateway",
    routeTarget: "65000:5000",
  });

  it("holds each learned route, drops a withdrawn one, and repairs a corrupted one", async () => {
    const driver = createMemoryDriver();
    const both = {
      ...config([]),
      learnedRoutes: [learned("192.0.2.0/24"), learned("10.9.0.0/16")],
    };
    await driver.apply(both, 1);
    expect(driver.objectKeys()).toEqual([
      "evpn:5000/10.9.0.0/16",
      "evpn:5000/192.0.2.0/24",
      "node",
    ]);
    await driver.apply({ ...config([]), learnedRoutes: [learned("10.9.0.0/16")] }, 2);
    expect(driver.objectKeys()).toEqual(["evpn:5000/10.9.0.0/16", "node"]);
    driver.drift({ kind: "corrupt", key: "evpn:5000/10.9.0.0/16" });
    const report = await driver.reconcile({
      ...config([]),
      learnedRoutes: [learned("10.9.0.0/16")],
    });
    expect(report.repaired).toEqual(["restored evpn:5000/10.9.0.0/16"]);
  });
});
