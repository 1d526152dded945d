import { describe, expect, it } from "vitest";
import { editTenant, type FixtureSize, makeFixture, type Random, random } from "../bench/fixture";
import { compile, createIncrementalCompiler, type TenantInput } from "../src";
import { fabricOf, intent, resolveTenant } from "./helpers";

/*
 * The patched derivation (stage 1 kept, interfaces patched per workload, groups kept per group)
 * against a compile from scratch: after every step of random edit sequences the incremental
 * result deep-equals the full compile. Besides the fixture's edits, the sequences reorder
 * workloads and networks, move interfaces between networks, swap networks' subnets and make two
 * edits in one update, the cases a patch must notice.
 */

const SEEDS = (process.env.NETLOOM_PROPERTY_SEEDS ?? "21,22,23,24").split(",").map(Number);

/** A full compile after every step: seconds on a loaded two-core machine, never minutes. */
const PROPERTY_TIMEOUT_MS = 240_000;

const SIZE: FixtureSize = {
  tenants: 3,
  nodes: 8,
  networksPerTenant: 6,
  workloadsPerTenant: 16,
  rulesPerTenant: 12,
  groupsPerTenant: 3,
  nodesPerTenant: 5,
};

type Plain = Record<string, unknown>;

/** Two distinct random indexes of a list of at least two elements. */
function twoPlaces(rng: Random, length: number): [number, number] {
  const a = rng.int(length);
  return [a, (a + 1 + rng.int(length - 1)) % length];
}

/** Swaps two workloads: every one keeps its content, the lists' order changes. */
function swapWorkloads(rng: Random, tenant: TenantInput): TenantInput {
  const intent = structuredClone(tenant.intent) as unknown as { workloads?: Plain[] };
  const workloads = intent.workloads ?? [];
  if (workloads.length < 2) return tenant;
  const [a, b] = twoPlaces(rng, workloads.length);
  const first = workloads[a];
  const second = workloads[b];
  if (first === undefined || second === undefined) return tenant;
  workloads[a] = second;
  workloads[b] = first;
  return { ...tenant, intent: intent as unknown as TenantInput["intent"] };
}

/** Moves the last internal network to the front: every network's place shifts. */
function rotateNetworks(tenant: TenantInput): TenantInput {
  const intent = structuredClone(tenant.intent) as unknown as { networks?: Plain[] };
  const networks = intent.networks ?? [];
  const internal = networks.filter((network) => network.external !== true);
  const last = internal.at(-1);
  if (last === undefined || internal.length < 2) return tenant;
  intent.networks = [last, ...networks.filter((network) => network !== last)];
  return { ...tenant, intent: intent as unknown as TenantInput["intent"] };
}

/** Drops every security group from one workload's interfaces, keeping its addresses. */
function ungroupWorkload(rng: Random, tenant: TenantInput): TenantInput {
  const intent = structuredClone(tenant.intent) as unknown as { workloads?: Plain[] };
  const workload = (intent.workloads ?? [])[rng.int(intent.workloads?.length ?? 0)];
  if (workload === undefined) return tenant;
  for (const iface of workload.interfaces as Plain[]) delete iface.securityGroups;
  return { ...tenant, intent: intent as unknown as TenantInput["intent"] };
}

/** Swaps the subnets of two internal networks: their address sets (and so their reach) change. */
function swapSubnets(rng: Random, tenant: TenantInput): TenantInput {
  const intent = structuredClone(tenant.intent) as unknown as { networks?: Plain[] };
  const internal = (intent.networks ?? []).filter((network) => network.external !== true);
  if (internal.length < 2) return tenant;
  const [a, b] = twoPlaces(rng, internal.length);
  const first = internal[a];
  const second = internal[b];
  if (first === undefined || second === undefined) return tenant;
  [first.subnets, second.subnets] = [second.subnets, first.subnets];
  return { ...tenant, intent: intent as unknown as TenantInput["intent"] };
}

describe("patched incremental derivation", () => {
  it(
    "deep-equals a compile from scratch after every step, for several seeds",
    () => {
      for (const seed of SEEDS) {
        const input = makeFixture(seed, SIZE);
        const rng = random(seed * 104729);
        const compiler = createIncrementalCompiler(input);
        const tenants = new Map(input.tenants.map((tenant) => [tenant.id, tenant]));
        for (let step = 0; step < 120; step++) {
          const tenant = rng.pick([...tenants.values()]);
          const roll = rng.next();
          let next: TenantInput;
          let what: string;
          if (roll < 0.08) {
            next = swapWorkloads(rng, tenant);
            what = "swap workloads";
          } else if (roll < 0.12) {
            next = rotateNetworks(tenant);
            what = "rotate networks";
          } else if (roll < 0.18) {
            next = ungroupWorkload(rng, tenant);
            what = "ungroup workload";
          } else if (roll < 0.3) {
            // Two edits in one update (a network removed and a policy edited, say): each patch
            // path must notice the other's change, not only its own.
            const first = editTenant(rng, tenant, input.fabric.nodes);
            const second = editTenant(rng, first.tenant, input.fabric.nodes);
            next = second.tenant;
            what = `${first.what}, then ${second.what}`;
          } else if (roll < 0.36) {
            const edit = editTenant(rng, swapSubnets(rng, tenant), input.fabric.nodes);
            next = edit.tenant;
            what = `swap subnets, then ${edit.what}`;
          } else {
            const edit = editTenant(rng, tenant, input.fabric.nodes);
            next = edit.tenant;
            what = edit.what;
          }
          tenants.set(next.id, next);
          const result = compiler.update({ kind: "tenant", tenant: next });
          const full = compile({ fabric: input.fabric, tenants: [...tenants.values()] });
          const context = `seed ${seed} step ${step}: ${what}`;
          expect(result.compiled.hashes, context).toEqual(full.hashes);
          expect(result.compiled.nodes, context).toEqual(full.nodes);
        }
      }
    },
    PROPERTY_TIMEOUT_MS,
  );

  it("an unchanged intent changes no node and keeps every config object", () => {
    const input = makeFixture(31, SIZE);
    const compiler = createIncrementalCompiler(input);
    const before = compiler.current();
    const tenant = input.tenants[0];
    if (tenant === undefined) throw new Error("fixture without tenants");
    const copy: TenantInput = { ...tenant, intent: structuredClone(tenant.intent) };
    const result = compiler.update({ kind: "tenant", tenant: copy });
    expect(result.changedNodes).toEqual([]);
    for (const [node, config] of Object.entries(before.nodes)) {
      expect(result.compiled.nodes[node], node).toBe(config);
    }
  });

  describe("a network removed together with another edit (reach kept less the removed)", () => {
    const fabric = fabricOf(3);
    /** Networks a, b, c; a rule between a's and b's ranges (by CIDR: it does not name them). */
    const tenantWith = (edit: (source: Record<string, unknown>) => void): TenantInput => {
      const source: Record<string, unknown> = {
        tenant: "reach",
        networks: [
          { name: "a", subnets: [{ cidr: "10.1.0.0/24" }] },
          { name: "b", subnets: [{ cidr: "10.2.0.0/24" }] },
          { name: "c", subnets: [{ cidr: "10.3.0.0/24" }] },
        ],
        workloads: [
          { name: "wa", node: "compute-1", interfaces: [{ network: "a" }] },
          { name: "wb", node: "compute-2", interfaces: [{ network: "b" }] },
          { name: "wc", node: "compute-3", interfaces: [{ network: "c" }] },
        ],
        policies: [
          {
            name: "ab",
            attach: ["a", "b"],
            rules: [
              {
                action: "allow",
                protocol: "tcp",
                source: "10.1.0.0/24",
                destination: "10.2.0.0/24",
                ports: 80,
              },
            ],
          },
        ],
      };
      edit(source);
      return resolveTenant(intent(source), fabric, "id-reach");
    };
    const withoutC = (source: Record<string, unknown>) => {
      source.networks = (source.networks as { name: string }[]).filter((n) => n.name !== "c");
      source.workloads = (source.workloads as { name: string }[]).filter((w) => w.name !== "wc");
    };
    const routesOf = (tenant: TenantInput, compiled = compile({ fabric, tenants: [tenant] })) =>
      compiled.nodes["compute-1"]?.tenants[0]?.routes.map((route) => route.to) ?? [];

    it.each([
      [
        "its policy's rule turned to deny",
        (source: Record<string, unknown>) => {
          const [policy] = source.policies as { rules: { action: string }[] }[];
          const [rule] = policy?.rules ?? [];
          if (rule !== undefined) rule.action = "deny";
        },
      ],
      [
        "b renumbered out of the rule's range",
        (source: Record<string, unknown>) => {
          const b = (source.networks as { name: string; subnets: unknown }[])[1];
          if (b !== undefined) b.subnets = [{ cidr: "10.9.0.0/24" }];
          const wb = (source.workloads as { interfaces: { ip?: string }[] }[])[1];
          const iface = wb?.interfaces[0];
          if (iface !== undefined) iface.ip = "10.9.0.5";
        },
      ],
    ])("drops the route a-b when c goes and %s", (_name, edit) => {
      const before = tenantWith(() => {});
      expect(routesOf(before)).toEqual(["b"]);
      const after = tenantWith((source) => {
        withoutC(source);
        edit(source);
      });
      const compiler = createIncrementalCompiler({ fabric, tenants: [before] });
      const result = compiler.update({ kind: "tenant", tenant: after });
      expect(routesOf(after, result.compiled)).toEqual([]);
      expect(result.compiled.nodes).toEqual(compile({ fabric, tenants: [after] }).nodes);
    });

    it("keeps the route a-b when only c goes", () => {
      const before = tenantWith(() => {});
      const after = tenantWith(withoutC);
      const compiler = createIncrementalCompiler({ fabric, tenants: [before] });
      const result = compiler.update({ kind: "tenant", tenant: after });
      expect(routesOf(after, result.compiled)).toEqual(["b"]);
      expect(result.compiled.nodes).toEqual(compile({ fabric, tenants: [after] }).nodes);
    });
  });
});
