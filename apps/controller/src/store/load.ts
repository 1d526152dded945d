import type { CompileInput, TenantInput } from "@netloom/compiler";
import type { FabricNodeSpec } from "@netloom/model";
import type { Db } from "../db";
import type { Prisma } from "../generated/prisma/client";
import { documentOf, storedResourceOf } from "./document";
import { loadLearnedRoutes } from "./evpn";
import {
  type ExternalNetworkView,
  fabricNetworksUsed,
  loadExternalNetworks,
  specOf,
} from "./external";
import type { FabricNodeView, Quotas, StoredResource, TenantState } from "./types";
import { resourceKey } from "./types";

/** Reading the store's state back from the database, and shaping it for the compiler. */

type Tx = Prisma.TransactionClient;

/** A FabricNode row (which has more columns than these) as the store keeps it. */
export function nodeView(
  row: Omit<FabricNodeView, "lastSeenAt"> & { lastSeenAt: Date | null },
): FabricNodeView {
  return {
    id: row.id,
    name: row.name,
    underlay: row.underlay,
    revision: row.revision,
    appliedGeneration: row.appliedGeneration,
    appliedHash: row.appliedHash,
    lastSeenAt: row.lastSeenAt ? row.lastSeenAt.toISOString() : null,
  };
}

export function nodeSpec(node: FabricNodeView): FabricNodeSpec {
  return { name: node.name, underlay: node.underlay } as FabricNodeSpec;
}

/**
 * A tenant as the compiler takes it. `vnis` holds the tenant's own networks' VNIs and, for each
 * fabric external network it uses (spec 1.1), that network's fabric-wide VNI.
 */
export function tenantInput(
  state: TenantState,
  external: readonly ExternalNetworkView[],
): TenantInput {
  const intent = documentOf(state);
  const vnis = { ...state.vnis };
  for (const network of fabricNetworksUsed(intent, external)) vnis[network.name] = network.vni;
  return { id: state.id, intent, vnis, natAddresses: { ...state.natAddresses } };
}

/** Reads one tenant with its objects, VNIs and nat addresses from the database. */
export async function loadTenant(
  prisma: Db["prisma"] | Tx,
  tenantId: string,
): Promise<TenantState | undefined> {
  const tenant = await prisma.tenant.findUnique({ where: { id: tenantId } });
  if (!tenant) return undefined;
  const rows = await prisma.resource.findMany({
    where: { tenantId },
    include: { vni: true },
    orderBy: [{ kind: "asc" }, { ordinal: "asc" }],
  });
  const resources = new Map<string, StoredResource>();
  const vnis: Record<string, number> = {};
  for (const row of rows) {
    const resource = storedResourceOf(row);
    if (!resource) continue;
    resources.set(resourceKey(resource.kind, resource.name), resource);
    if (row.vni) vnis[row.name] = row.vni.vni;
  }
  // By owner: a nat address on a fabric external network is held under the fabric's id.
  const nat = await prisma.ipAllocation.findMany({
    where: { owner: { tenantId }, purpose: "nat" },
    include: { owner: true },
  });
  const natAddresses: Record<string, string> = {};
  for (const row of nat) natAddresses[row.owner.name] = row.ip;
  return {
    id: tenant.id,
    name: tenant.name,
    generation: tenant.generation,
    quotas: (tenant.quotas ?? {}) as Partial<Quotas>,
    resources,
    vnis,
    natAddresses,
  };
}

/**
 * The compiler's input straight from the database: every tenant and every node. The Store
 * keeps the same value cached (`Store.compileInput`); this is for processes without one.
 */
export async function loadCompileInput(db: Db): Promise<CompileInput> {
  const tenants = await db.prisma.tenant.findMany({ orderBy: { name: "asc" } });
  const external = await loadExternalNetworks(db.sql);
  const learned = await loadLearnedRoutes(db.sql);
  const inputs: TenantInput[] = [];
  for (const tenant of tenants) {
    const state = await loadTenant(db.prisma, tenant.id);
    if (state) inputs.push(tenantInput(state, external));
  }
  const nodes = await db.prisma.fabricNode.findMany({ orderBy: { name: "asc" } });
  return {
    fabric: {
      nodes: nodes.map((node) => nodeSpec(nodeView(node))),
      externalNetworks: external.map(specOf),
      ...(learned.length > 0 ? { learnedRoutes: learned } : {}),
    },
    tenants: inputs,
  };
}
