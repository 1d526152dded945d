import { canonicalIntent, type IntentFile, NetloomError, type Problem } from "@netloom/model";
import type { SqlRunner } from "../migrate";
import { allocateAddresses, type Prepared } from "./allocate";
import { objectsOf } from "./document";
import {
  type ExternalNetworkView,
  fabricNetworksUsed,
  foreignExternalSubnets,
  heldByOthers,
  heldInDatabase,
  usableBy,
} from "./external";
import { validateTenantIntent } from "./model";
import { checkQuotas, effectiveQuotas } from "./quota";
import { carryOverAllocations, scheduleWorkloads } from "./schedule";
import type { TenantState } from "./types";

/**
 * The candidate stage of a change: the desired document becomes a candidate tenant with every
 * allocation made, or is refused. In order: validate (spec section 3 and 1.1), schedule
 * workloads on nodes, allocate addresses, check quotas, check the tenant's assertions.
 */

/** What the candidate stage needs to know about the rest of the fabric. */
export interface FabricContext {
  nodeNames: readonly string[];
  externalNetworks: readonly ExternalNetworkView[];
  /** Every cached tenant (the one changing included). */
  tenants(): Iterable<TenantState>;
  /** The assertions of the tenant that the candidate breaks. */
  brokenAssertions(state: TenantState, candidate: Prepared): Problem[];
}

/** A candidate with its allocations, and the assertions it breaks (a dry run shows them). */
export interface Candidate extends Prepared {
  broken: Problem[];
}

export function prepareCandidate(
  fabric: FabricContext,
  state: TenantState,
  before: IntentFile,
  desired: IntentFile,
  held: ReadonlyMap<string, ReadonlySet<number>>,
): Candidate {
  if (desired.tenant !== state.name) {
    throw NetloomError.invalid([
      { path: "tenant", message: `is ${desired.tenant}, the call is for tenant ${state.name}` },
    ]);
  }
  const candidate = carryOverAllocations(before, desired);
  const usable = usableBy(fabric.externalNetworks, state.name);
  const problems = validateTenantIntent(candidate, fabric.nodeNames, {
    fabricExternalNetworks: usable,
    // (Only for tenants with external networks of their own: the scan covers every tenant.)
    foreignExternalSubnets: objectsOf(candidate, "networks").some((network) => network.external)
      ? foreignExternalSubnets(fabric.externalNetworks, fabric.tenants(), state.id)
      : [],
  });
  if (problems.length > 0) throw NetloomError.invalid(problems);
  const scheduling = scheduleWorkloads(candidate, {
    nodes: fabric.nodeNames,
    otherLoad: loadExcept(fabric.tenants(), state.id),
  });
  if (scheduling.length > 0) throw NetloomError.invalid(scheduling);
  const externalPools = new Map(
    usable.map((network) => [
      network.name,
      { subnets: network.subnets, held: held.get(network.name) ?? new Set<number>() },
    ]),
  );
  const allocated = allocateAddresses(candidate, state.natAddresses, externalPools);
  // Stored specs are canonical (schema key order, empty optional lists dropped), so that a
  // spec compares equal to its own export.
  const prepared = { ...allocated, intent: canonicalIntent(allocated.intent) };
  checkQuotas(before, prepared.intent, effectiveQuotas(state));
  const broken =
    (prepared.intent.assertions?.length ?? 0) > 0 ? fabric.brokenAssertions(state, prepared) : [];
  return { ...prepared, broken };
}

/**
 * Outside addresses other tenants hold on the fabric external networks `desired` uses: from
 * the caches on a first attempt; after a clash (`attempt` > 1), the database's word too.
 */
export async function outsideAddressesHeld(
  fabric: FabricContext,
  sql: SqlRunner,
  state: TenantState,
  desired: IntentFile,
  attempt: number,
): Promise<Map<string, Set<number>>> {
  // (Only for tenants that use fabric external networks: the scan covers every tenant.)
  if (fabricNetworksUsed(desired, fabric.externalNetworks).length === 0) return new Map();
  const held = heldByOthers(fabric.externalNetworks, fabric.tenants(), state.id);
  if (attempt > 1) {
    for (const [network, addresses] of await heldInDatabase(sql, state.id)) {
      const set = held.get(network);
      if (set) for (const address of addresses) set.add(address);
    }
  }
  return held;
}

/** Workloads per node of every tenant but one (the scheduler's view of the others). */
function loadExcept(tenants: Iterable<TenantState>, tenantId: string): Map<string, number> {
  const load = new Map<string, number>();
  for (const tenant of tenants) {
    if (tenant.id === tenantId) continue;
    for (const resource of tenant.resources.values()) {
      if (resource.kind !== "workloads") continue;
      const node = (resource.spec as { node?: string }).node;
      if (node) load.set(node, (load.get(node) ?? 0) + 1);
    }
  }
  return load;
}
