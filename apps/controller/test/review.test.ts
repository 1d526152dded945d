import { describe, expect, it } from "vitest";
import { adminCaller, example, freshServer } from "./helpers";

type Intent = {
  policies: { name: string; rules: Record<string, unknown>[] }[];
};

describe("dry-run review: field diffs and reachability delta", () => {
  it("answers the review in applyFile's dry run, and the same one for a dry-run restore", async () => {
    const server = await freshServer(undefined);
    try {
      const admin = await adminCaller(server);
      await admin.fabric.applyFile({ document: example("fabric.yaml") });
      const original = example("three-tier.yaml") as Intent;
      const first = await admin.intent.applyFile({ document: original });
      const changed = structuredClone(original);
      changed.policies[0]?.rules.unshift({
        action: "deny",
        protocol: "tcp",
        source: "10.10.1.10/32",
        destination: "app",
        ports: 8080,
        direction: ">",
      });
      const dry = await admin.intent.applyFile({ document: changed, dryRun: true });
      expect(dry.review?.objects.map((object) => `${object.action} ${object.name}`)).toEqual([
        "update web-app",
      ]);
      expect(dry.review?.objects[0]?.fields[0]).toEqual({
        path: "rules[0].action",
        before: "allow",
        after: "deny",
      });
      expect(dry.review?.reachability).toEqual({
        flippedPairs: 1,
        flips: [
          {
            from: ["web-1"],
            to: ["app-1"],
            flow: { protocol: "tcp", port: 8080, portTo: 8080 },
            before: "allow",
            after: "deny",
          },
        ],
      });
      // Nothing was stored by the dry run.
      expect((await admin.intent.export({ tenant: "shop" })).generation).toBe(first.generation);

      // Apply it, then review the restore of the first generation: the delta flips back.
      await admin.intent.applyFile({ document: changed });
      const restoreDry = await admin.intent.restore({
        tenant: "shop",
        generation: first.generation,
        dryRun: true,
      });
      expect(restoreDry.dryRun).toBe(true);
      expect(restoreDry.plan?.nodes.length).toBeGreaterThan(0);
      expect(restoreDry.review?.reachability.flips).toEqual([
        {
          from: ["web-1"],
          to: ["app-1"],
          flow: { protocol: "tcp", port: 8080, portTo: 8080 },
          before: "deny",
          after: "allow",
        },
      ]);
      // The same review as a dry-run apply of the old file.
      const applyDry = await admin.intent.applyFile({ document: original, dryRun: true });
      expect(restoreDry.review).toEqual(applyDry.review);
      expect(restoreDry.plan).toEqual(applyDry.plan);
      expect((await admin.intent.export({ tenant: "shop" })).generation).toBe(first.generation + 1);
    } finally {
      await server.close();
    }
  }, 120_000);
});
