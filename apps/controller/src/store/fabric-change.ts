import {
  type BgpSpec,
  type FabricExternalNetworkSpec,
  NetloomError,
  type Problem,
} from "@netloom/model";
import type { StoreCore, Tx } from "./core";
import { resourcesOf } from "./document";
import {
  checkEvpnVnis,
  learnedRoutesOf,
  loadBgp,
  parseLearnedRoutes,
  sameBgp,
  sameRoutes,
  validateFabricBgp,
  writeBgp,
  writeLearnedRoutes,
} from "./evpn";
import {
  type ExternalNetworksPlan,
  loadExternalNetworks,
  planExternalNetworks,
  writeExternalNetworks,
} from "./external";
import { planNodes } from "./fabric";
import { isUniqueViolation, notFound, staleRevision } from "./failures";
import { refreshFabricNodes, reloadFabric } from "./reload";
import { bumpFabric } from "./sql";
import type { FabricNodeView } from "./types";

/**
 * Changes to the fabric (no tenant's): its nodes, external networks and `bgp` section from a
 * Fabric file, one node's removal, a speaker's learned routes. Each runs under the "fabric"
 * lock, commits under the next fabric generation, re-reads the fabric and tells every listener.
 */

/** Forwarding nodes as a Fabric file lists them. */
export type NodeList = readonly { name: string; underlay: string }[];

/** How a Fabric file applies (see `Store.applyFabric`). */
export interface ApplyFabricOptions {
  prune: boolean;
  expectedRevision?: number | undefined;
  mode: "upsert" | "create" | "update";
  dryRun?: boolean;
  /** The Fabric file's external networks (spec 1.1); absent: left as they are. */
  externalNetworks?: readonly FabricExternalNetworkSpec[] | undefined;
  /** Whether external networks not listed go (default: `prune`), independently of nodes. */
  pruneExternalNetworks?: boolean | undefined;
  /** Issue 14: the Fabric file's `bgp` section; undefined: left as it is; null: removed. */
  bgp?: BgpSpec | null | undefined;
}

/** What a Fabric file changes, checked against the fabric as the database holds it. */
interface FabricPlan {
  changed: string[];
  external: ExternalNetworksPlan;
  removed: FabricNodeView[];
  bgpChanged: boolean;
  byName: ReadonlyMap<string, FabricNodeView>;
}

export function applyFabric(
  core: StoreCore,
  nodes: NodeList,
  options: ApplyFabricOptions,
): Promise<{ changed: string[]; fabricGeneration: number }> {
  return core.exclusive("fabric", async () => {
    const plan = await planFabric(core, nodes, options);
    if (plan.changed.length === 0 || options.dryRun) {
      return { changed: plan.changed, fabricGeneration: core.fabricGeneration };
    }
    const fabricGeneration = await commitFabric(core, (tx) =>
      writeFabric(tx, nodes, plan, options.bgp ?? null),
    ).catch((error: unknown) => {
      // Issue 14: another controller took the L3 VNI (its unique index) since the check.
      if (!isUniqueViolation(error) || !plan.external.upserts.some((network) => network.evpn)) {
        throw error;
      }
      throw new NetloomError("CONFLICT", "the fabric changed concurrently; retry", [
        { path: "externalNetworks", message: "an L3 VNI was taken concurrently; retry" },
      ]);
    });
    return { changed: plan.changed, fabricGeneration };
  });
}

/** Checks a Fabric file against the fabric re-read now; answers what it changes. */
async function planFabric(
  core: StoreCore,
  nodes: NodeList,
  options: ApplyFabricOptions,
): Promise<FabricPlan> {
  // Another controller may have changed the nodes since this one last read them.
  await refreshFabricNodes(core);
  core.externalNetworks = await loadExternalNetworks(core.db.sql);
  const external = options.externalNetworks
    ? planExternalNetworks(
        options.externalNetworks,
        core.externalNetworks,
        core.listTenants(),
        options.pruneExternalNetworks ?? options.prune,
      )
    : { upserts: [], removed: [] };
  const byName = new Map(core.nodes.map((node) => [node.name, node]));
  const removed = planNodes(nodes, core.nodes, options, (node) => hostedWorkloads(core, node));
  const bgpChanged = await checkEvpnChange(core, options.externalNetworks, options.bgp);
  const changed = [
    ...(bgpChanged ? ["bgp"] : []),
    ...nodes.filter((node) => byName.get(node.name)?.underlay !== node.underlay).map((n) => n.name),
    ...removed.map((node) => node.name),
    ...external.upserts.map((network) => network.name),
    ...external.removed,
  ];
  return { changed, external, removed, bgpChanged, byName };
}

/** Writes a planned Fabric file in the open transaction. */
async function writeFabric(
  tx: Tx,
  nodes: NodeList,
  plan: FabricPlan,
  bgp: BgpSpec | null,
): Promise<void> {
  await writeExternalNetworks(tx, plan.external);
  if (plan.bgpChanged) await writeBgp(tx, bgp);
  if (plan.removed.length > 0) {
    await tx.fabricNode.deleteMany({
      where: { name: { in: plan.removed.map((node) => node.name) } },
    });
  }
  // Two-step so that nodes may swap underlays in one file without a unique clash.
  const moved = new Set(
    nodes
      .filter((node) => {
        const existing = plan.byName.get(node.name);
        return existing !== undefined && existing.underlay !== node.underlay;
      })
      .map((node) => node.name),
  );
  for (const node of nodes) {
    if (!moved.has(node.name)) continue;
    await tx.fabricNode.update({
      where: { name: node.name },
      data: { underlay: `moving:${node.name}` },
    });
  }
  for (const node of nodes) {
    if (!plan.byName.has(node.name)) {
      await tx.fabricNode.create({ data: { name: node.name, underlay: node.underlay } });
    } else if (moved.has(node.name)) {
      await tx.fabricNode.update({
        where: { name: node.name },
        data: { underlay: node.underlay, revision: { increment: 1 } },
      });
    }
  }
}

/**
 * Issue 14: checks a Fabric file's `bgp` and `evpn` sections (INVALID naming the field) and
 * answers whether the `bgp` section changes. Call under the "fabric" lock.
 */
async function checkEvpnChange(
  core: StoreCore,
  externalNetworks: readonly FabricExternalNetworkSpec[] | undefined,
  bgp: BgpSpec | null | undefined,
): Promise<boolean> {
  core.bgp = await loadBgp(core.db.sql);
  const problems = validateFabricBgp(externalNetworks, bgp);
  if (externalNetworks) {
    problems.push(...(await checkEvpnVnis(core.db.sql, externalNetworks, core.externalNetworks)));
  }
  if (problems.length > 0) throw NetloomError.invalid(problems);
  return bgp !== undefined && !sameBgp(core.bgp, bgp ?? undefined);
}

/** Removes one node; CONFLICT listing the workloads it still hosts. */
export function deleteFabricNode(
  core: StoreCore,
  name: string,
  expectedRevision?: number,
): Promise<number> {
  return core.exclusive("fabric", async () => {
    await refreshFabricNodes(core);
    const node = core.nodes.find((candidate) => candidate.name === name);
    if (!node) throw notFound("node", name, "name");
    if (expectedRevision !== undefined && node.revision !== expectedRevision) {
      throw staleRevision("node", name, node.revision);
    }
    const hosted = hostedWorkloads(core, name);
    if (hosted.length > 0) {
      throw new NetloomError("CONFLICT", `node ${name} still hosts workloads`, hosted);
    }
    return commitFabric(core, async (tx) => {
      await tx.fabricNode.delete({ where: { name } });
    });
  });
}

/**
 * Issue 14: makes `source`'s learned routes (a speaker's whole table) exactly `routes`. A
 * change is a fabric change: a new fabric generation, recompiled and pushed like any other.
 * Bad routes are refused (INVALID, `routes[i].field`) and change nothing.
 */
export async function replaceLearnedRoutes(
  core: StoreCore,
  source: string,
  routes: readonly unknown[],
): Promise<{ changed: boolean; fabricGeneration: number }> {
  // (Async: bad routes reject the answer, as every other refusal of the store does.)
  const parsed = parseLearnedRoutes(source, routes);
  return core.exclusive("fabric", async () => {
    const current = await learnedRoutesOf(core.db.sql, source);
    if (sameRoutes(current, parsed)) {
      return { changed: false, fabricGeneration: core.fabricGeneration };
    }
    const fabricGeneration = await commitFabric(core, (tx) =>
      writeLearnedRoutes(tx, source, parsed),
    );
    return { changed: true, fabricGeneration };
  });
}

/**
 * Commits a change to the fabric under the next fabric generation, re-reads the fabric and
 * tells every listener (the change belongs to no tenant). Call under the "fabric" lock.
 */
async function commitFabric(core: StoreCore, change: (tx: Tx) => Promise<void>): Promise<number> {
  const fabricGeneration = await core.transaction(async (tx) => {
    await change(tx);
    return bumpFabric(tx);
  });
  await reloadFabric(core);
  core.fabricGeneration = fabricGeneration;
  core.announce({ tenantId: null, tenant: null, generation: 0, fabricGeneration });
  return fabricGeneration;
}

/** The workloads placed on `node`, as problems naming each (a node that hosts any stays). */
function hostedWorkloads(core: StoreCore, node: string): Problem[] {
  const problems: Problem[] = [];
  for (const tenant of core.listTenants()) {
    resourcesOf(tenant, "workloads").forEach((workload, index) => {
      if (workload.spec.node === node) {
        problems.push({
          path: `${tenant.name}: workloads[${index}].node`,
          message: `workload ${workload.name} is placed on node ${node}`,
        });
      }
    });
  }
  return problems;
}
