import { NetloomError } from "@netloom/model";
import { unavailableOr } from "../db";
import { emptyTenant } from "./cache";
import type { StoreCore, Tx } from "./core";
import { isForeignKeyViolation, isUniqueViolation, notFound } from "./failures";
import {
  findKeyedAnswer,
  type IdempotentRequest,
  type KeyedAnswer,
  keyRow,
  RECORD_KEY_SQL,
} from "./idempotency";
import { effectiveQuotas } from "./quota";
import { loadTenantNamed, refreshTenant } from "./reload";
import { bumpFabric } from "./sql";
import { QUOTA_NAMES, type Quotas, type TenantState } from "./types";

/** A tenant's life outside its intent: created empty, deleted whole, its quotas set. */

/** Creates an empty tenant. CONFLICT when the name is taken. */
export function createTenant(
  core: StoreCore,
  name: string,
  actor: string,
  idempotency?: IdempotentRequest,
): Promise<TenantState> {
  return core.exclusive(`tenant:${name}`, async () => {
    const replay = idempotency && (await findKeyedAnswer(core.db.sql, idempotency));
    if (replay) {
      const state = core.cache.get(replay.tenantId) ?? (await refreshTenant(core, replay.tenantId));
      if (!state) throw notFound("tenant", name, "tenant");
      return state;
    }
    return createTenantLocked(core, name, actor, idempotency);
  });
}

/** Creates the tenant; call under its lock. */
export async function createTenantLocked(
  core: StoreCore,
  name: string,
  actor: string,
  idempotency?: IdempotentRequest,
): Promise<TenantState> {
  const exists = () =>
    new NetloomError("CONFLICT", `tenant ${name} exists`, [
      { path: "tenant", message: `tenant ${name} exists` },
    ]);
  if (core.cache.named(name)) throw exists();
  const id = await core
    .transaction((tx) => insertTenant(tx, name, actor, idempotency, core.fabricGeneration))
    .catch(async (error: unknown) => {
      // Created meanwhile through another controller: the database's unique name decides.
      if (!isUniqueViolation(error)) throw error;
      await loadTenantNamed(core, name);
      throw exists();
    });
  const state = emptyTenant(name, id);
  core.cacheTenant(state);
  return state;
}

/** The rows of a new tenant at generation 0: tenant, audit, empty snapshot, its key's answer. */
async function insertTenant(
  tx: Tx,
  name: string,
  actor: string,
  idempotency: IdempotentRequest | undefined,
  fabricGeneration: number,
): Promise<string> {
  const created = await tx.tenant.create({ data: { name } });
  await tx.auditEvent.create({
    data: { tenantId: created.id, actor, action: "create", kind: "tenant", name, generation: 0 },
  });
  await tx.intentSnapshot.create({
    data: {
      tenantId: created.id,
      generation: 0,
      document: { apiVersion: "netloom/v1", tenant: name },
    },
  });
  if (idempotency) {
    const answer: KeyedAnswer = {
      tenantId: created.id,
      generation: 0,
      fabricGeneration,
      changes: [],
    };
    await tx.$executeRawUnsafe(RECORD_KEY_SQL, ...keyRow(idempotency, answer));
  }
  return created.id;
}

/** Deletes a tenant and everything it owns; its configs leave every node. */
export async function deleteTenant(core: StoreCore, state: TenantState): Promise<void> {
  await core.exclusive(`tenant:${state.name}`, async () => {
    const fabricGeneration = await core
      .transaction(async (tx) => {
        const deleted = await tx.tenant.deleteMany({ where: { id: state.id } });
        // Deleted meanwhile through another controller.
        if (deleted.count === 0) throw notFound("tenant", state.name, "tenant");
        return bumpFabric(tx);
      })
      .catch((error: unknown) => {
        if (error instanceof NetloomError && error.code === "NOT_FOUND") core.forgetTenant(state);
        throw error;
      });
    core.forgetTenant(state);
    core.fabricGeneration = Math.max(core.fabricGeneration, fabricGeneration);
    core.announce({
      tenantId: state.id,
      tenant: state.name,
      generation: state.generation + 1,
      fabricGeneration,
    });
  });
}

/** Overrides some of a tenant's quotas (others keep their defaults). */
export function setQuotas(
  core: StoreCore,
  state: TenantState,
  quotas: Partial<Quotas>,
  actor: string,
): Promise<Quotas> {
  return core.exclusive(`tenant:${state.name}`, async () => {
    const current = core.cache.get(state.id) ?? state;
    const merged: Partial<Quotas> = { ...current.quotas };
    for (const key of QUOTA_NAMES) {
      const value = quotas[key];
      if (value !== undefined) merged[key] = value;
    }
    const { prisma } = core.db;
    const [updated] = await prisma
      .$transaction([
        prisma.tenant.updateMany({ where: { id: state.id }, data: { quotas: merged } }),
        prisma.auditEvent.create({
          data: {
            tenantId: state.id,
            actor,
            action: "update",
            kind: "quotas",
            name: state.name,
            before: current.quotas,
            after: merged,
            generation: current.generation,
          },
        }),
      ])
      .catch((error: unknown) => {
        // The audit row's foreign key fails first when the tenant was deleted elsewhere.
        if (isForeignKeyViolation(error)) throw notFound("tenant", state.name, "tenant");
        throw unavailableOr(error);
      });
    if (updated.count === 0) throw notFound("tenant", state.name, "tenant");
    const next = { ...current, quotas: merged };
    core.cacheTenant(next);
    return effectiveQuotas(next);
  });
}
