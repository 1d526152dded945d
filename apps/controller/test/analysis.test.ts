import { expandMatrix } from "@netloom/compiler";
import { NetloomError } from "@netloom/model";
import { describe, expect, it } from "vitest";
import {
  fabricNodes,
  makeTenant,
  QUOTA_MAX_SIZE,
  random,
} from "../../../packages/compiler/bench/fixture";
import { AnalysisPool, DEFAULT_BUDGET } from "../src/analysis/pool";
import { createServer } from "../src/server";
import { adminCaller, codeOf } from "./helpers";

const nodes = fabricNodes(QUOTA_MAX_SIZE.nodes);
const quotaMax = makeTenant(random(20261128), 0, QUOTA_MAX_SIZE, nodes);
const subject = {
  key: "quota-max",
  input: { fabric: { nodes }, tenants: [quotaMax] },
  tenant: quotaMax.intent.tenant,
};

describe("analysis workers", () => {
  it("refuses a request over its time budget with BUDGET_EXCEEDED and answers the next one", async () => {
    const pool = new AnalysisPool({ ...DEFAULT_BUDGET, workers: 1, timeoutMs: 50 });
    try {
      const error = await pool.run({ kind: "matrix", subject }).catch((caught: unknown) => caught);
      expect(error).toBeInstanceOf(NetloomError);
      expect((error as NetloomError).code).toBe("BUDGET_EXCEEDED");
      expect((error as NetloomError).message).toContain("50 ms");
      // A fresh worker takes the next request.
      const small = {
        key: "small",
        input: {
          fabric: { nodes },
          tenants: [
            makeTenant(
              random(1),
              1,
              { ...QUOTA_MAX_SIZE, workloadsPerTenant: 4, rulesPerTenant: 4, groupsPerTenant: 1 },
              nodes,
            ),
          ],
        },
        tenant: "tenant-1",
      };
      const traced = await new AnalysisPool({ ...DEFAULT_BUDGET, workers: 1 }).run({
        kind: "trace",
        subject: small,
        flow: { tenant: "tenant-1", from: "wl-0", to: "wl-1", protocol: "icmp" },
      });
      expect(["allow", "deny"]).toContain(traced.verdict);
    } finally {
      await pool.close();
    }
  }, 120_000);

  it("refuses a request over its memory budget with BUDGET_EXCEEDED", async () => {
    const pool = new AnalysisPool({
      ...DEFAULT_BUDGET,
      workers: 1,
      maxHeapMb: 48,
      timeoutMs: 300_000,
    });
    try {
      const error = await pool.run({ kind: "matrix", subject }).catch((caught: unknown) => caught);
      expect((error as NetloomError).code).toBe("BUDGET_EXCEEDED");
      expect((error as NetloomError).message).toContain("48 MB");
    } finally {
      await pool.close();
    }
  }, 300_000);

  it("runs the quota-max matrix through the controller, which stays alive and answering", async () => {
    // A generous budget: on a loaded CI machine the first matrix (compile included) is slow.
    const server = await createServer({
      dataDir: "memory://",
      databaseUrl: "",
      bootstrapToken: "test-admin-token",
      logger: false,
      distribution: false,
      analysis: { timeoutMs: 600_000 },
    });
    try {
      const admin = await adminCaller(server);
      await admin.fabric.applyFile({
        document: { apiVersion: "netloom/v1", kind: "Fabric", nodes },
      });
      await admin.intent.applyFile({ document: quotaMax.intent });
      const started = Date.now();
      const pending = admin.reach.matrix({ tenant: quotaMax.intent.tenant });
      // While the matrix runs, the controller answers other reads.
      const during = Date.now();
      const tenants = await admin.tenants.list();
      const readMs = Date.now() - during;
      const matrix = await pending;
      expect(tenants.length).toBeGreaterThan(0);
      expect(matrix.workloads.length).toBe(2000);
      expect(matrix.classes.length).toBeLessThan(2000);
      expect(matrix.classes.flat().length).toBe(2000);
      const expanded = expandMatrix(matrix);
      expect(expanded.allowed.length).toBe(2000);
      // And after it: a trace answers.
      const traced = await admin.reach.trace({
        tenant: quotaMax.intent.tenant,
        from: "wl-0",
        to: "wl-1",
        protocol: "tcp",
        port: 80,
      });
      expect(["allow", "deny"]).toContain(traced.verdict);
      console.info(
        JSON.stringify({
          matrix_through_controller_ms: Date.now() - started,
          read_during_matrix_ms: readMs,
        }),
      );
      const unknownEnd = admin.reach.trace({
        tenant: quotaMax.intent.tenant,
        from: "nobody",
        to: "wl-1",
        protocol: "icmp",
      });
      expect((await codeOf(unknownEnd)).code).toBe("INVALID");
    } finally {
      await server.close();
    }
  }, 600_000);
});
