import { assertionSchema, expectFileSchema } from "@netloom/model";
import { describe, expect, it } from "vitest";
import { SHARED_EXAMPLES } from "../../../test-support/shared";
import { check, checkAssertions, compile, trace } from "../src";
import { fabricOf, loadIntent, readYaml, resolveTenant } from "./helpers";

const examples = SHARED_EXAMPLES;

describe("three-tier example", () => {
  const fabric = fabricOf(3);
  const tenant = resolveTenant(loadIntent(`${examples}/three-tier.yaml`), fabric, "t-shop");
  const compiled = compile({ fabric, tenants: [tenant] });
  const expectations = expectFileSchema.parse(
    readYaml(`${examples}/three-tier.expect.yaml`),
  ).expect;

  it("agrees with every hand-worked verdict", () => {
    const result = check(compiled, "shop", expectations);
    expect(result.total).toBe(expectations.length);
    expect(result.mismatches).toEqual([]);
  });

  it("explains a deny by the missing allow", () => {
    const result = trace(compiled, "shop", {
      tenant: "shop",
      from: "web-1",
      to: "db-1",
      protocol: "icmp",
    });
    expect(result.verdict).toBe("deny");
    expect(result.rule).toBe("implicit:no-match:web");
    expect(result.hops.at(-1)?.rule).toBe("implicit:no-match:web");
  });

  it("names each deciding rule on an allowed flow", () => {
    const result = trace(compiled, "shop", {
      tenant: "shop",
      from: "app-1",
      to: "10.10.3.10",
      protocol: "tcp",
      port: 5432,
    });
    expect(result.verdict).toBe("allow");
    const rules = result.hops.map((hop) => hop.rule).filter((rule) => rule !== undefined);
    expect(rules).toEqual(["policy:app-db/0", "policy:app-db/0", "sg:db-sg/0"]);
    expect(result.hops.some((hop) => hop.step === "forward" && hop.node === "compute-2")).toBe(
      true,
    );
  });

  it("reports the broken assertions with the trace's reason", () => {
    const assertions = assertionSchema.array().parse([
      { name: "app-db", from: "app-1", to: "db-1", protocol: "tcp", port: 5432, verdict: "allow" },
      { name: "web-db", from: "web-1", to: "db-1", protocol: "tcp", port: 5432, verdict: "allow" },
    ]);
    const broken = checkAssertions(compiled, "shop", assertions);
    expect(broken.map((entry) => entry.assertion.name)).toEqual(["web-db"]);
    expect(broken[0]?.got).toBe("deny");
    expect(broken[0]?.rule).toBe("implicit:no-match:web");
    expect(broken[0]?.reason).toContain("web");
  });

  it("counts a flipped expectation as a mismatch", () => {
    const flipped = expectations.map((expectation) => ({
      ...expectation,
      verdict: expectation.verdict === "allow" ? ("deny" as const) : ("allow" as const),
    }));
    const result = check(compiled, "shop", flipped);
    expect(result.mismatches).toHaveLength(expectations.length);
    expect(result.mismatches[0]).toEqual({
      from: "web-1",
      to: "web-2",
      protocol: "tcp",
      port: 22,
      expected: "deny",
      got: "allow",
    });
  });

  it("leaves compute-3, which hosts nothing of the tenant, empty", () => {
    expect(compiled.nodes["compute-3"]?.tenants).toEqual([]);
  });
});
