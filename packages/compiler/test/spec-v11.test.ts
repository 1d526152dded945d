import { describe, expect, it } from "vitest";
import {
  type CompileInput,
  compile,
  createIncrementalCompiler,
  type TenantInput,
  trace,
} from "../src";
import { fabricOf, intent } from "./helpers";

const fabric = fabricOf(2);

/** A tenant using the fabric's `public` network by name only (a pool and a nat service). */
function tenantUsingFabricPublic(): TenantInput {
  return {
    id: "id-acme",
    intent: intent({
      tenant: "acme",
      networks: [{ name: "web", subnets: [{ cidr: "10.1.0.0/24" }] }],
      workloads: [
        {
          name: "web-1",
          node: "compute-1",
          interfaces: [
            {
              network: "web",
              ip: "10.1.0.10",
              floatingIp: { pool: "fip", ip: "203.0.113.10" },
              allowedAddresses: ["10.1.0.50/32"],
            },
          ],
        },
        { name: "web-2", node: "compute-2", interfaces: [{ network: "web", ip: "10.1.0.11" }] },
      ],
      floatingIpPools: [{ name: "fip", network: "public" }],
      services: [{ name: "out", type: "nat", inside: ["web"], outside: "public" }],
    }),
    vnis: { web: 1001, public: 5000 },
    natAddresses: { out: "203.0.113.2" },
  };
}

const withPublic: CompileInput["fabric"] = {
  nodes: fabric.nodes,
  externalNetworks: [{ name: "public", subnets: [{ cidr: "203.0.113.0/24" }] }] as NonNullable<
    CompileInput["fabric"]["externalNetworks"]
  >,
};

describe("spec 1.1: fabric external networks", () => {
  it("gives a tenant that names a fabric external network an instance of it, with its VNI", () => {
    const compiled = compile({ fabric: withPublic, tenants: [tenantUsingFabricPublic()] });
    const tenant = compiled.nodes["compute-1"]?.tenants[0];
    const publicNet = tenant?.networks.find((network) => network.name === "public");
    expect(publicNet).toMatchObject({ name: "public", vni: 5000, external: true });
    expect(publicNet?.subnets[0]?.cidr).toBe("203.0.113.0/24");
    // Outside -> floating IP and workload -> outside through NAT trace through it.
    const inbound = trace(compiled, "acme", {
      tenant: "acme",
      from: "203.0.113.99",
      to: "203.0.113.10",
      protocol: "tcp",
      port: 22,
    });
    expect(inbound.verdict).toBe("allow");
    expect(inbound.rule).toBe("fip:web-1/0");
    const outbound = trace(compiled, "acme", {
      tenant: "acme",
      from: "web-2",
      to: "203.0.113.99",
      protocol: "tcp",
      port: 443,
    });
    expect(outbound.verdict).toBe("allow");
    expect(outbound.rule).toBe("nat:out");
  });

  it("does not give it to a tenant the network is not listed for, and follows fabric changes", () => {
    const limited: CompileInput["fabric"] = {
      nodes: fabric.nodes,
      externalNetworks: [
        { name: "public", subnets: [{ cidr: "203.0.113.0/24" }], tenants: ["other"] },
      ] as NonNullable<CompileInput["fabric"]["externalNetworks"]>,
    };
    const compiler = createIncrementalCompiler({
      fabric: limited,
      tenants: [tenantUsingFabricPublic()],
    });
    const names = () =>
      compiler.current().nodes["compute-1"]?.tenants[0]?.networks.map((network) => network.name);
    expect(names()).not.toContain("public");
    compiler.update({ kind: "fabric", fabric: withPublic });
    expect(names()).toContain("public");
    expect(JSON.stringify(compiler.current())).toBe(
      JSON.stringify(compile({ fabric: withPublic, tenants: [tenantUsingFabricPublic()] })),
    );
  });
});

describe("spec 1.2: port security in trace", () => {
  const compiled = compile({ fabric: withPublic, tenants: [tenantUsingFabricPublic()] });

  it("drops a source address of a tenant network that no interface may send from", () => {
    const result = trace(compiled, "acme", {
      tenant: "acme",
      from: "10.1.0.77",
      to: "web-2",
      protocol: "tcp",
      port: 80,
    });
    expect(result.verdict).toBe("deny");
    expect(result.rule).toBe("implicit:anti-spoofing");
    expect(result.reason).toContain("anti-spoofing");
    expect(result.hops.map((hop) => hop.step)).toEqual(["anti-spoofing"]);
  });

  it("traces a source inside an interface's allowedAddresses as sent from that interface", () => {
    const result = trace(compiled, "acme", {
      tenant: "acme",
      from: "10.1.0.50",
      to: "web-2",
      protocol: "tcp",
      port: 80,
    });
    expect(result.verdict).toBe("allow");
    expect(result.hops[0]).toMatchObject({ node: "compute-1", step: "source" });
    expect(result.hops[0]?.detail).toContain("web-1");
  });
});

describe("trace hops name workloads and interfaces", () => {
  it("says `local web-2 interface 0 on web`, never a port id", () => {
    const compiled = compile({ fabric: withPublic, tenants: [tenantUsingFabricPublic()] });
    const local = compiled.nodes["compute-2"]?.tenants[0]?.localInterfaces[0];
    const result = trace(compiled, "acme", {
      tenant: "acme",
      from: "web-2",
      to: "203.0.113.10",
      protocol: "tcp",
      port: 80,
    });
    const text = JSON.stringify(result.hops);
    expect(local?.portId).toBeDefined();
    expect(text).not.toContain(local?.portId ?? "?");
    const same = trace(compiled, "acme", {
      tenant: "acme",
      from: "web-1",
      to: "web-2",
      protocol: "icmp",
    });
    expect(same.hops.map((hop) => hop.detail)).toContain(
      "vxlan vni 1001 to compute-2 (198.18.0.12)",
    );
    const deliver = trace(
      compile({
        fabric: withPublic,
        tenants: [
          {
            ...tenantUsingFabricPublic(),
            intent: {
              ...tenantUsingFabricPublic().intent,
              workloads: tenantUsingFabricPublic().intent.workloads?.map((workload) => ({
                ...workload,
                node: "compute-1" as typeof workload.node,
              })),
            },
          },
        ],
      }),
      "acme",
      { tenant: "acme", from: "web-1", to: "web-2", protocol: "icmp" },
    );
    const hop = deliver.hops.find((candidate) => candidate.step === "deliver");
    expect(hop?.detail).toBe("local web-2 interface 0 on web");
  });
});
