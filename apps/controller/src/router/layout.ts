import { nameSchema } from "@netloom/model";
import { z } from "zod";
import { tenantFor } from "../auth/tenancy";
import { authedProcedure, router } from "../trpc";

/**
 * The canvas layout document: where each canvas node of a tenant is drawn, one document per
 * tenant shared by every user (a view of the intent, not part of it). Tenant viewers read it,
 * tenant admins (and the cloud admin) write it; writing never bumps the tenant's generation.
 *
 * Saves merge by node id in one SQL statement (jsonb `||`), so two admins dragging different
 * nodes at once both keep their moves; `replace` (an auto-layout) swaps the whole document.
 */

/** Canvas node ids as the web canvas makes them (apps/web/src/canvas/graph.ts `nodeId`). */
const nodeIdSchema = z
  .string()
  .max(200)
  // gw: the read-only gateway node at an external network (issue 14), placed like the others.
  .regex(/^(net|wl|svc|rtr|pool|fip|gw):[^\s\p{Cc}\p{Cf}]+$/u, {
    message: "is not a canvas node id (net:, wl:, svc:, rtr:, pool:, fip: or gw: and a name)",
  });

/** Far beyond any drawing, near enough that float noise stays harmless. */
const COORDINATE_LIMIT = 10_000_000;
const coordinateSchema = z.number().finite().min(-COORDINATE_LIMIT).max(COORDINATE_LIMIT);
const positionSchema = z.strictObject({ x: coordinateSchema, y: coordinateSchema });

/** The canvas is benchmarked at 10,000 nodes; leave room above that. */
export const MAX_LAYOUT_NODES = 50_000;

const positionsSchema = z
  .record(nodeIdSchema, positionSchema)
  .refine((positions) => Object.keys(positions).length <= MAX_LAYOUT_NODES, {
    message: `at most ${MAX_LAYOUT_NODES} positions`,
  });

const layoutSchema = z.object({
  positions: z.record(z.string(), z.object({ x: z.number(), y: z.number() })),
  /** 0 while nobody has saved a layout for the tenant. */
  revision: z.number().int(),
  updatedBy: z.string().nullable(),
  updatedAt: z.string().nullable(),
});

export type LayoutDocument = z.infer<typeof layoutSchema>;

interface LayoutRow {
  positions: unknown;
  revision: number;
  updatedBy: string;
  updatedAt: Date | string;
}

const SAVE_SQL = `
INSERT INTO "TenantLayout" ("tenantId", "positions", "revision", "updatedBy", "updatedAt")
VALUES ($1, $2::jsonb, 1, $3, CURRENT_TIMESTAMP)
ON CONFLICT ("tenantId") DO UPDATE SET
  "positions" = CASE WHEN $4::boolean THEN $2::jsonb
                     ELSE ("TenantLayout"."positions" - $5::text[]) || $2::jsonb END,
  "revision" = "TenantLayout"."revision" + 1,
  "updatedBy" = $3,
  "updatedAt" = CURRENT_TIMESTAMP
RETURNING "revision"`;

export const layoutRouter = router({
  get: authedProcedure
    .input(z.object({ tenant: nameSchema }))
    .output(layoutSchema)
    .query(async ({ ctx, input }) => {
      const state = tenantFor(ctx.services.store, ctx.principal, input.tenant, "read");
      const [row] = await ctx.services.store.db.sql.query<LayoutRow>(
        `SELECT "positions", "revision", "updatedBy", "updatedAt" FROM "TenantLayout" WHERE "tenantId" = $1`,
        [state.id],
      );
      if (!row) return { positions: {}, revision: 0, updatedBy: null, updatedAt: null };
      const positions =
        typeof row.positions === "string" ? JSON.parse(row.positions) : row.positions;
      return {
        positions: storedPositions(positions),
        revision: row.revision,
        updatedBy: row.updatedBy,
        updatedAt: new Date(row.updatedAt).toISOString(),
      };
    }),
  save: authedProcedure
    .input(
      z.object({
        tenant: nameSchema,
        positions: positionsSchema,
        /** Node ids to drop (objects deleted from the tenant). */
        remove: z.array(nodeIdSchema).max(MAX_LAYOUT_NODES).default([]),
        /** Replace the whole document instead of merging (auto-layout). */
        replace: z.boolean().default(false),
      }),
    )
    .output(z.object({ revision: z.number().int() }))
    .mutation(async ({ ctx, input }) => {
      const state = tenantFor(ctx.services.store, ctx.principal, input.tenant, "write");
      const [row] = await ctx.services.store.db.sql.query<{ revision: number }>(SAVE_SQL, [
        state.id,
        JSON.stringify(input.positions),
        ctx.principal.email,
        input.replace,
        input.remove,
      ]);
      return { revision: row?.revision ?? 0 };
    }),
});

/** The stored document, keeping only well-formed entries (it is only ever written validated). */
function storedPositions(value: unknown): Record<string, { x: number; y: number }> {
  const out: Record<string, { x: number; y: number }> = {};
  if (!value || typeof value !== "object") return out;
  for (const [id, position] of Object.entries(value as Record<string, unknown>)) {
    const parsed = positionSchema.safeParse(position);
    if (parsed.success) out[id] = parsed.data;
  }
  return out;
}
