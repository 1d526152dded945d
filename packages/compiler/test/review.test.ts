import { describe, expect, it } from "vitest";
import { compile, diffIntent, formatReview, reachClasses, reachDelta, review, trace } from "../src";
import { inputOf, loadIntent } from "./helpers";

const threeTier = loadIntent("/work/shared/examples/three-tier.yaml");

function withDenyWebToApp() {
  const changed = structuredClone(threeTier);
  const policy = changed.policies?.find((candidate) => candidate.name === "web-app");
  policy?.rules.unshift({
    action: "deny",
    protocol: "tcp",
    source: "10.10.1.10/32",
    destination: "app",
    ports: 8080,
    direction: ">",
  });
  return changed;
}

describe("review", () => {
  it("diffs changed objects field by field, like kubectl diff", () => {
    const after = withDenyWebToApp();
    after.workloads = after.workloads?.filter((workload) => workload.name !== "web-2");
    const diffs = diffIntent(threeTier, after);
    expect(diffs.map((diff) => `${diff.action} ${diff.kind}/${diff.name}`)).toEqual([
      "delete workloads/web-2",
      "update policies/web-app",
    ]);
    const policy = diffs.find((diff) => diff.kind === "policies");
    // The first rule is new; every later rule moved up one place, field by field.
    expect(policy?.fields).toContainEqual({
      path: "rules[0].action",
      before: "allow",
      after: "deny",
    });
    expect(policy?.fields).toContainEqual({
      path: "rules[0].source",
      before: "web",
      after: "10.10.1.10/32",
    });
    expect(policy?.fields.at(-1)?.path).toBe("rules[2]");
    expect(policy?.fields.at(-1)?.before).toBeUndefined();
  });

  it("lists exactly the workload pairs and flow classes whose verdict flips, equal to trace", () => {
    const before = compile(inputOf([threeTier], 3));
    const afterIntent = withDenyWebToApp();
    const after = compile(inputOf([afterIntent], 3));
    const delta = reachDelta(reachClasses(before, "shop"), reachClasses(after, "shop"));
    expect(delta.flips).toEqual([
      {
        from: ["web-1"],
        to: ["app-1"],
        flow: { protocol: "tcp", port: 8080, portTo: 8080 },
        before: "allow",
        after: "deny",
      },
    ]);
    expect(delta.flippedPairs).toBe(1);
    // Trace agrees on both sides, and web-2 (not named by the deny) keeps its reach.
    const flow = {
      tenant: "shop",
      from: "web-1",
      to: "app-1",
      protocol: "tcp" as const,
      port: 8080,
    };
    expect(trace(before, "shop", flow).verdict).toBe("allow");
    expect(trace(after, "shop", flow).verdict).toBe("deny");
    expect(trace(after, "shop", { ...flow, from: "web-2" }).verdict).toBe("allow");
    const text = formatReview(
      review(
        "shop",
        { intent: threeTier, compiled: before },
        { intent: afterIntent, compiled: after },
      ),
    );
    expect(text).toContain("~ policy web-app");
    expect(text).toContain('    + rules[0].action: "deny"');
    expect(text).toContain("reachability: 1 workload pair(s) x flow change verdict");
    expect(text).toContain("  - deny  web-1 -> app-1 tcp/8080 (was allow)");
  });

  it("counts a new workload's reach as flips from deny, grouped by class", () => {
    const before = compile(inputOf([threeTier], 3));
    const afterIntent = structuredClone(threeTier);
    afterIntent.workloads?.push(
      structuredClone({ ...threeTier.workloads?.[0], name: "web-3" }) as NonNullable<
        typeof threeTier.workloads
      >[number],
    );
    const web3 = afterIntent.workloads?.at(-1)?.interfaces[0];
    if (web3) web3.ip = "10.10.1.12" as typeof web3.ip;
    const after = compile(inputOf([afterIntent], 3));
    const delta = reachDelta(reachClasses(before, "shop"), reachClasses(after, "shop"));
    // Nothing that existed changes; every flip involves web-3 and goes deny -> allow.
    expect(delta.flips.length).toBeGreaterThan(0);
    for (const flip of delta.flips) {
      expect([...flip.from, ...flip.to]).toContain("web-3");
      expect(flip.before).toBe("deny");
      expect(flip.after).toBe("allow");
    }
    const toApp = delta.flips.find(
      (flip) => flip.from.includes("web-3") && flip.to.includes("app-1") && flip.flow.port === 8080,
    );
    expect(toApp?.from).toEqual(["web-3"]);
  });

  it("reviews a new tenant: every object created, every allowed flow a flip from deny", () => {
    const input = inputOf([threeTier], 3);
    const after = compile(input);
    const result = review(
      "shop",
      { intent: undefined, compiled: compile({ fabric: input.fabric, tenants: [] }) },
      { intent: threeTier, compiled: after },
    );
    expect(result.objects.every((object) => object.action === "create")).toBe(true);
    expect(result.objects.length).toBe(
      (threeTier.networks?.length ?? 0) +
        (threeTier.workloads?.length ?? 0) +
        (threeTier.securityGroups?.length ?? 0) +
        (threeTier.policies?.length ?? 0),
    );
    expect(result.reachability.flips.length).toBeGreaterThan(0);
    for (const flip of result.reachability.flips) {
      expect(flip).toMatchObject({ before: "deny", after: "allow" });
    }
    const webToApp = trace(after, "shop", {
      tenant: "shop",
      from: "web-1",
      to: "app-1",
      protocol: "tcp",
      port: 8080,
    });
    expect(webToApp.verdict).toBe("allow");
    expect(
      result.reachability.flips.some(
        (flip) =>
          flip.from.includes("web-1") && flip.to.includes("app-1") && flip.flow.port === 8080,
      ),
    ).toBe(true);
  });
});
