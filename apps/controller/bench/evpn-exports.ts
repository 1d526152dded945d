import type { CompileInput, TenantInput } from "@netloom/compiler";
import { type FabricNodeSpec, fabricExternalNetworkSchema, intentFileSchema } from "@netloom/model";
import { computeEvpnExports, EvpnExportCompiler } from "../src/store/evpn";

/**
 * Issue 14: what the store's EVPN exports cost. NODES nodes, TENANTS tenants each with one
 * workload holding a floating IP on one evpn network: the first computation, the one after a
 * single tenant's change (the export compiler recompiles that tenant only), and a whole compile
 * of every contributing tenant for comparison. Prints one JSON line.
 * Run: npx tsx apps/controller/bench/evpn-exports.ts [NODES] [TENANTS]
 */

const NODES = Number(process.argv[2] ?? 200);
const TENANTS = Number(process.argv[3] ?? 2000);

const nodes = Array.from({ length: NODES }, (_, i) => ({
  name: `n${i}`,
  underlay: `198.18.${i >> 7}.${(i & 127) + 2}`,
})) as FabricNodeSpec[];
const publicNetwork = fabricExternalNetworkSchema.parse({
  name: "public",
  subnets: [{ cidr: "100.64.0.0/16" }],
  evpn: { vni: 5000, routeTarget: "65000:5000" },
});

function tenant(index: number, shift = 0): TenantInput {
  return {
    id: `id-${index}`,
    intent: intentFileSchema.parse({
      apiVersion: "netloom/v1",
      tenant: `t${index}`,
      networks: [{ name: "lan", subnets: [{ cidr: "10.0.0.0/24" }] }],
      floatingIpPools: [{ name: "fip", network: "public" }],
      workloads: [
        {
          name: "w",
          node: `n${(index + shift) % NODES}`,
          interfaces: [
            {
              network: "lan",
              ip: "10.0.0.10",
              floatingIp: { pool: "fip", ip: `100.64.${index >> 7}.${(index & 127) + 2}` },
            },
          ],
        },
      ],
    }),
    vnis: { lan: 4096 + index, public: 5000 },
    natAddresses: {},
  };
}

const elapsed = (work: () => unknown) => {
  const started = performance.now();
  work();
  return Math.round((performance.now() - started) * 10) / 10;
};

const tenants = Array.from({ length: TENANTS }, (_, index) => tenant(index));
const input: CompileInput = { fabric: { nodes, externalNetworks: [publicNetwork] }, tenants };
const compiler = new EvpnExportCompiler();
const firstMs = elapsed(() => compiler.exports(input));
const changed: CompileInput = {
  ...input,
  tenants: tenants.map((entry, index) => (index === 7 ? tenant(7, 1) : entry)),
};
let routes = 0;
const afterOneChangeMs = elapsed(() => {
  routes = compiler.exports(changed).length;
});
const wholeCompileMs = elapsed(() => computeEvpnExports(changed));
console.log(
  JSON.stringify({
    nodes: NODES,
    tenants: TENANTS,
    routes,
    firstMs,
    afterOneChangeMs,
    wholeCompileMs,
  }),
);
