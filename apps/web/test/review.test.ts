import type { IntentFile } from "@netloom/model";
import { describe, expect, it } from "vitest";
import { readIntentFile } from "../src/app/Toolbar";
import { failureOf, pathOf } from "../src/errors";
import { suggestCidr } from "../src/forms/network";
import { flowClass, valueText, workloadsText } from "../src/lib/reachDelta";

const base = {
  apiVersion: "netloom/v1",
  tenant: "t",
  networks: [
    { name: "web", subnets: [{ cidr: "10.1.0.0/24" }] },
    { name: "db", subnets: [{ cidr: "10.2.0.0/24" }] },
  ],
  policies: [
    {
      name: "web-db",
      attach: ["web", "db"],
      rules: [{ action: "allow", protocol: "tcp", source: "web", destination: "db", ports: 5432 }],
    },
  ],
} as unknown as IntentFile;

describe("review wording", () => {
  it("prints flow classes and workload classes as the review lists them", () => {
    expect(flowClass({ flow: { protocol: "tcp", port: 5432 } })).toBe("tcp/5432");
    expect(flowClass({ flow: { protocol: "udp", port: 53, portTo: 60 } })).toBe("udp/53-60");
    expect(flowClass({ flow: { protocol: "icmp" } })).toBe("icmp");
    expect(workloadsText(["a", "b"])).toBe("a, b");
    expect(workloadsText(["a", "b", "c", "d", "e"])).toBe("a, b, c and 2 more");
    expect(valueText("deny")).toBe('"deny"');
    expect(valueText(undefined)).toBeUndefined();
  });
});

describe("import, errors, defaults", () => {
  it("imports YAML (the CLI's format) and JSON, and names the bad field", () => {
    const yaml =
      "apiVersion: netloom/v1\ntenant: t\nnetworks:\n  - name: web\n    subnets: [{ cidr: 10.1.0.0/24 }]\n";
    const fromYaml = readIntentFile(yaml, "t");
    expect(fromYaml.ok && fromYaml.doc.networks?.[0]?.name).toBe("web");
    const fromJson = readIntentFile(JSON.stringify(base), "t");
    expect(fromJson.ok).toBe(true);
    const bad = readIntentFile(yaml.replace("10.1.0.0/24", "10.1.0.0/99"), "t");
    expect(bad.ok).toBe(false);
    expect(!bad.ok && bad.message).toContain("networks[0].subnets[0].cidr");
    const other = readIntentFile(yaml, "u");
    expect(!other.ok && other.message).toContain("for tenant t, not u");
    expect(readIntentFile("a: [", "t").ok).toBe(false);
  });

  it("parses wire errors through the model, keeping the code and problems", () => {
    const failure = failureOf({
      message: "invalid",
      data: {
        code: "BAD_REQUEST",
        netloom: { code: "INVALID", problems: [{ path: "name", message: "bad" }] },
      },
    });
    expect(failure.code).toBe("INVALID");
    expect(failure.problems).toEqual([{ path: "name", message: "bad" }]);
    expect(failureOf({ message: "x", data: { code: "UNAUTHORIZED" } }).code).toBe(
      "UNAUTHENTICATED",
    );
    expect(pathOf(["subnets", 0, "cidr"])).toBe("subnets[0].cidr");
  });

  it("suggests a /24 that overlaps no subnet of the tenant", () => {
    expect(suggestCidr(base)).toBe("10.3.0.0/24");
    const wide = {
      ...base,
      networks: [{ name: "all", subnets: [{ cidr: "10.0.0.0/9" }] }],
    } as unknown as IntentFile;
    expect(suggestCidr(wide)).toBe("10.128.0.0/24");
  });
});
