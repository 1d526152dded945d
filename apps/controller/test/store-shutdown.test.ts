import { type IntentFile, NetloomError } from "@netloom/model";
import { afterEach, describe, expect, it, vi } from "vitest";
import { adminCaller, BACKENDS, example, freshServer } from "./helpers";

/**
 * Closing a controller while writes are in flight (bench:api's shutdown under 100 writers): it
 * stops accepting, lets the writes in flight finish (the store's commits and FabricState, the
 * distribution's node states and compiles), and only then closes the database. Nothing may
 * fail or log an error after that, and a write that comes too late is refused as UNAVAILABLE.
 */

/** A tenant's intent with `groups` security groups, so that each change adds one. */
function tenantWith(tenant: string, groups: number): IntentFile {
  return {
    apiVersion: "netloom/v1",
    tenant,
    networks: [{ name: "lan", subnets: [{ cidr: "10.1.0.0/24" }] }],
    workloads: [{ name: "vm", interfaces: [{ network: "lan" }] }],
    securityGroups: Array.from({ length: groups }, (_, index) => ({
      name: `sg-${index}`,
      rules: [{ direction: "egress" }],
    })),
  } as IntentFile;
}

afterEach(() => {
  vi.restoreAllMocks();
});

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip)(
    `closing a controller with writes in flight on ${backend.name}${backend.skip ? ` (${backend.skip})` : ""}`,
    () => {
      it("finishes the writes in flight, refuses later ones, and logs nothing after the database closed", async () => {
        const logged: string[] = [];
        const server = await freshServer(backend.databaseUrl, {
          distribution: true,
          logger: { level: "warn", stream: { write: (line) => void logged.push(line) } },
        });
        // The store logs its background failures on stderr (it opens before the logger).
        const stderr = process.stderr.write.bind(process.stderr);
        vi.spyOn(process.stderr, "write").mockImplementation((chunk, ...rest) => {
          logged.push(String(chunk));
          return stderr(chunk, ...(rest as []));
        });
        const admin = await adminCaller(server);
        await admin.fabric.applyFile({ document: example("fabric.yaml") });
        const { store, events } = server.services;
        const tenants = ["t0", "t1", "t2"];
        const writes = Array.from({ length: 12 }, (_, index) => {
          const tenant = tenants[index % tenants.length] ?? "t0";
          return store
            .change({
              tenant,
              actor: "test",
              createTenant: true,
              mutate: () => tenantWith(tenant, Math.floor(index / tenants.length) + 1),
            })
            .then(
              (outcome) => ({ committed: outcome.generation }),
              (error: unknown) => ({ error }),
            );
        });
        // Close once the first change committed: the others are mid-transaction or queued.
        await new Promise<void>((resolve) => {
          const off = events.on("changed", () => {
            off();
            resolve();
          });
        });
        const generationAtClose = store.fabricGeneration;
        await server.close();
        const closedAt = logged.length;

        const outcomes = await Promise.all(writes);
        expect(outcomes.filter((outcome) => "error" in outcome)).toEqual([]);
        // Every tenant reached its last generation: all four changes of each committed.
        for (const tenant of tenants) expect(store.tenant(tenant)?.generation).toBe(4);
        expect(store.fabricGeneration).toBeGreaterThan(generationAtClose);

        const late = await store
          .change({ tenant: "t0", actor: "test", mutate: () => tenantWith("t0", 9) })
          .then(
            () => undefined,
            (error: unknown) => error,
          );
        expect(late).toBeInstanceOf(NetloomError);
        expect((late as NetloomError).code).toBe("UNAVAILABLE");

        // Whatever the closed controller still had scheduled would fail within this window.
        await new Promise((resolve) => setTimeout(resolve, 1500));
        const problems = logged.filter((line) => /"level":(40|50|60)/.test(line));
        expect(problems).toEqual([]);
        expect(logged.length).toBe(closedAt);
      }, 120_000);
    },
  );
}
