import { describe, expect, it } from "vitest";
import { type FixtureSize, makeFixture } from "../bench/fixture";
import { classOfWorkload, classVerdict, compile, expandMatrix, reachClasses, trace } from "../src";
import { inputOf, intent } from "./helpers";

const SEEDS = (process.env.NETLOOM_PROPERTY_SEEDS ?? "9,10,11").split(",").map(Number);

const SIZE: FixtureSize = {
  tenants: 1,
  nodes: 5,
  networksPerTenant: 6,
  workloadsPerTenant: 30,
  rulesPerTenant: 24,
  groupsPerTenant: 4,
  nodesPerTenant: 5,
};

describe("reachClasses (the compressed matrix)", () => {
  it("equals trace on every pair and every port of every flow class", () => {
    for (const seed of SEEDS) {
      const compiled = compile(makeFixture(seed, SIZE));
      const matrix = reachClasses(compiled, "tenant-0");
      const classOf = classOfWorkload(matrix);
      expect(matrix.workloads.length).toBe(30);
      expect(matrix.flows[0]).toEqual({ protocol: "icmp" });
      // Every workload in exactly one class.
      expect(matrix.classes.flat().sort((a, b) => a - b)).toEqual(
        matrix.workloads.map((_, i) => i),
      );
      let allowed = 0;
      let denied = 0;
      matrix.workloads.forEach((from, i) => {
        matrix.workloads.forEach((to, j) => {
          if (i === j) return;
          matrix.flows.forEach((flow, k) => {
            const got = classVerdict(matrix, classOf, i, j, k);
            // Both ends of a port range (and its middle) must behave as the class says.
            const ports =
              flow.port === undefined
                ? [undefined]
                : [
                    flow.port,
                    flow.portTo ?? flow.port,
                    Math.floor((flow.port + (flow.portTo ?? flow.port)) / 2),
                  ];
            for (const port of ports) {
              const query = {
                tenant: "tenant-0",
                from,
                to,
                protocol: flow.protocol,
                ...(port === undefined ? {} : { port }),
              };
              const result = trace(compiled, "tenant-0", query);
              expect(got, `seed ${seed}: ${from} -> ${to} ${flow.protocol}/${port}`).toBe(
                result.verdict,
              );
            }
            if (got === "allow") allowed++;
            else denied++;
          });
        });
      });
      // The fixture exercises both verdicts.
      expect(allowed).toBeGreaterThan(0);
      expect(denied).toBeGreaterThan(0);
    }
  });

  it("shares a row among workloads no rule can tell apart, and expands to every pair", () => {
    const workloads = Array.from({ length: 12 }, (_, i) => ({
      name: `web-${i}`,
      interfaces: [{ network: i < 8 ? "front" : "back", securityGroups: i < 4 ? ["web"] : [] }],
    }));
    const tenant = intent({
      tenant: "acme",
      networks: [
        { name: "front", subnets: [{ cidr: "10.0.1.0/24" }] },
        { name: "back", subnets: [{ cidr: "10.0.2.0/24" }] },
      ],
      workloads,
      securityGroups: [
        {
          name: "web",
          rules: [
            { direction: "ingress", protocol: "tcp", ports: "80-90" },
            { direction: "egress" },
          ],
        },
      ],
      policies: [
        {
          name: "p",
          attach: ["front", "back"],
          rules: [
            {
              action: "allow",
              direction: ">",
              source: "front",
              destination: "back",
              protocol: "tcp",
              ports: 5432,
            },
          ],
        },
      ],
    });
    const compiled = compile(inputOf([tenant], 3));
    const matrix = reachClasses(compiled, "acme");
    // web-0..3 (front, group web), web-4..7 (front, no group), web-8..11 (back).
    expect(matrix.classes.map((members) => members.map((i) => matrix.workloads[i]))).toEqual([
      ["web-0", "web-1", "web-2", "web-3"],
      ["web-10", "web-11", "web-8", "web-9"],
      ["web-4", "web-5", "web-6", "web-7"],
    ]);
    expect(matrix.classes.length).toBe(3);
    expect(
      matrix.flows.map((flow) => `${flow.protocol}/${flow.port ?? ""}-${flow.portTo ?? ""}`),
    ).toEqual([
      "icmp/-",
      "tcp/1-79",
      "tcp/80-90",
      "tcp/91-5431",
      "tcp/5432-5432",
      "tcp/5433-65535",
      "udp/1-65535",
    ]);
    const expanded = expandMatrix(matrix);
    expect(expanded.allowed.length).toBe(12);
    const at = (from: string, to: string) =>
      (
        expanded.allowed[expanded.workloads.indexOf(from)]?.[expanded.workloads.indexOf(to)] ?? []
      ).map((k) => expanded.flows[k]);
    expect(at("web-5", "web-9")).toEqual([{ protocol: "tcp", port: 5432, portTo: 5432 }]);
    expect(at("web-9", "web-5")).toEqual([]);
    expect(at("web-5", "web-1").map((flow) => flow?.port)).toEqual([80]);
    expect(at("web-5", "web-5")).toEqual([]);
    expect(at("web-4", "web-5").length).toBe(7);
  });
});
