import { newerOf } from "./cache";
import type { StoreCore } from "./core";
import { loadBgp, loadLearnedRoutes } from "./evpn";
import { loadExternalNetworks } from "./external";
import { followTenant } from "./follow";
import { loadTenant, nodeView } from "./load";
import type { FabricNodeView, TenantState } from "./types";

/**
 * Following the database: the store's in-memory copy re-read after changes committed through
 * other controllers (a whole re-read, one tenant, the fabric), and the checks a write makes
 * that its copy is not behind.
 */

/**
 * Re-reads everything into new maps and swaps them in. A tenant written here while the reload
 * ran keeps its newer state; a tenant gone from the database (deleted elsewhere) leaves.
 */
export async function reloadAll(core: StoreCore): Promise<void> {
  const startedAt = core.cache.mark;
  const rows = await core.db.prisma.tenant.findMany({
    orderBy: { name: "asc" },
    select: { id: true },
  });
  const loaded = new Map<string, TenantState>();
  for (const row of rows) {
    const state = await followTenant(core.db.sql, row.id, core.cache.get(row.id), core.follow);
    if (state) loaded.set(state.id, state);
  }
  core.cache.swap(loaded, startedAt);
  core.inputs.invalidate();
  await reloadFabric(core);
}

/** Follows one change committed through another controller (a fabric-wide one: everything). */
export async function refreshChange(
  core: StoreCore,
  change: { tenantId: string | null } | "full",
): Promise<void> {
  if (change === "full" || change.tenantId === null) return reloadAll(core);
  await refreshTenant(core, change.tenantId, "changed objects");
  const fabric = await core.db.sql.query<{ generation: number }>(
    `SELECT generation FROM "FabricState" WHERE id = 1`,
  );
  core.fabricGeneration = Math.max(core.fabricGeneration, Number(fabric[0]?.generation ?? 0));
}

/**
 * Re-reads one tenant by id; answers its state, undefined once it is gone. Following another
 * controller's change reads only the objects whose revision moved (follow.ts). The write
 * path's re-read after losing a race reads the whole tenant through Prisma: its pace spreads
 * racing writers apart (with the fast read, three writers re-planning in step lost 8 rounds
 * in a row now and then: a CONFLICT for no true conflict).
 */
export async function refreshTenant(
  core: StoreCore,
  id: string,
  read: "whole tenant" | "changed objects" = "whole tenant",
): Promise<TenantState | undefined> {
  const startedAt = core.cache.mark;
  const state =
    read === "changed objects"
      ? await followTenant(core.db.sql, id, core.cache.get(id), core.follow)
      : await loadTenant(core.db.prisma, id);
  const cached = core.cache.get(id);
  if (core.cache.writtenSince(id, startedAt)) return cached;
  if (!state) {
    if (cached) core.forgetTenant(cached);
    return undefined;
  }
  const newer = newerOf(cached, state);
  if (newer !== cached) core.cacheTenant(newer);
  return newer;
}

/** A tenant this controller has not cached yet (created through another controller). */
export async function loadTenantNamed(
  core: StoreCore,
  name: string,
): Promise<TenantState | undefined> {
  const row = await core.db.prisma.tenant.findUnique({ where: { name }, select: { id: true } });
  return row ? refreshTenant(core, row.id) : undefined;
}

/** Whether the database holds a newer generation of the tenant than the cache. */
export async function isStale(core: StoreCore, state: TenantState): Promise<boolean> {
  const rows = await core.db.sql.query<{ generation: number }>(
    `SELECT generation FROM "Tenant" WHERE id = $1`,
    [state.id],
  );
  const row = rows[0];
  return !row || row.generation !== state.generation;
}

/** Re-reads the fabric: generation, nodes, external networks, `bgp`, learned routes. */
export async function reloadFabric(core: StoreCore): Promise<void> {
  const { db } = core;
  // A crash between a commit and its FabricState write leaves the row behind the sequence;
  // a generation raised by another writer of FabricState must not be handed out again.
  await db.sql.query(
    `UPDATE "FabricState" SET generation = GREATEST(generation,
       (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM "fabric_generation_seq"))
     WHERE id = 1`,
  );
  await db.sql.query(
    `SELECT setval('"fabric_generation_seq"', generation) FROM "FabricState"
     WHERE id = 1 AND generation > (SELECT CASE WHEN is_called THEN last_value ELSE 0 END
       FROM "fabric_generation_seq")`,
  );
  const rows = await db.prisma.fabricNode.findMany({ orderBy: { name: "asc" } });
  core.nodes = rows.map(nodeView);
  core.externalNetworks = await loadExternalNetworks(db.sql);
  const fabric = await db.prisma.fabricState.findUnique({ where: { id: 1 } });
  core.fabricGeneration = fabric?.generation ?? 0;
  core.inputs.invalidate();
  // Issue 14: the `bgp` section and every speaker's learned routes (store/evpn.ts).
  core.bgp = await loadBgp(db.sql);
  core.learned = await loadLearnedRoutes(db.sql);
  core.evpnWatch.poke();
  for (const listener of core.fabricReloadListeners) listener();
}

/** Re-reads nodes after another layer (distribution) changed their status columns. */
export async function refreshFabricNodes(core: StoreCore): Promise<void> {
  const rows = await core.db.prisma.fabricNode.findMany({ orderBy: { name: "asc" } });
  const nodes = rows.map(nodeView);
  const layout = (list: FabricNodeView[]) => list.map((n) => `${n.name}@${n.underlay}`).join();
  if (layout(nodes) !== layout(core.nodes)) core.inputs.invalidate();
  core.nodes = nodes;
}
