import { describe, expect, it } from "vitest";
import { editTenant, type FixtureSize, makeFixture, type Random, random } from "../bench/fixture";
import { compile, createIncrementalCompiler, type TenantInput } from "../src";

/*
 * The patched derivation (stage 1 kept, interfaces patched per workload, groups kept per group)
 * against a compile from scratch: after every step of random edit sequences the incremental
 * result deep-equals the full compile. Besides the fixture's edits, the sequences reorder
 * workloads and networks and move interfaces between networks, the cases a patch must notice.
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

/** Swaps two workloads: every one keeps its content, the lists' order changes. */
function swapWorkloads(rng: Random, tenant: TenantInput): TenantInput {
  const intent = structuredClone(tenant.intent) as unknown as { workloads?: Plain[] };
  const workloads = intent.workloads ?? [];
  if (workloads.length < 2) return tenant;
  const a = rng.int(workloads.length);
  const b = (a + 1 + rng.int(workloads.length - 1)) % workloads.length;
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
});
