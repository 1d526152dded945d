import { nameSchema } from "@netloom/model";
import { z } from "zod";
import { requireCloudAdmin } from "../auth/principal";
import { tenantFor } from "../auth/tenancy";
import { authedProcedure, router } from "../trpc";
import { emailSchema, globalRoleSchema, labelSchema, okSchema, roleSchema } from "./schemas";

const userSchema = z.object({
  id: z.string(),
  email: z.string(),
  displayName: z.string(),
  globalRole: globalRoleSchema,
  memberships: z.array(z.object({ tenant: z.string(), role: roleSchema })),
});

/** Users and their roles: the cloud admin's. */
export const usersRouter = router({
  list: authedProcedure
    .input(z.void())
    .output(z.array(userSchema))
    .query(({ ctx }) => {
      requireCloudAdmin(ctx.principal);
      return ctx.services.auth.listUsers();
    }),
  create: authedProcedure
    .input(
      z.object({
        email: emailSchema,
        displayName: labelSchema,
        password: z.string().min(8).max(1024).optional(),
        globalRole: globalRoleSchema.default("none"),
      }),
    )
    .output(userSchema)
    .mutation(({ ctx, input }) => {
      requireCloudAdmin(ctx.principal);
      return ctx.services.auth.createUser(input);
    }),
  /** Gives a user a role in a tenant; `role: null` takes it away. */
  grant: authedProcedure
    .input(z.object({ email: emailSchema, tenant: nameSchema, role: roleSchema.nullable() }))
    .output(okSchema)
    .mutation(async ({ ctx, input }) => {
      const state = tenantFor(ctx.services.store, ctx.principal, input.tenant, "write");
      requireCloudAdmin(ctx.principal);
      await ctx.services.auth.grant(input.email, state.id, input.role);
      return { ok: true as const };
    }),
  /** Takes a user's role in a tenant away; their open streams of that tenant end at once. */
  revoke: authedProcedure
    .input(z.object({ email: emailSchema, tenant: nameSchema }))
    .output(okSchema)
    .mutation(async ({ ctx, input }) => {
      const state = tenantFor(ctx.services.store, ctx.principal, input.tenant, "write");
      requireCloudAdmin(ctx.principal);
      await ctx.services.auth.grant(input.email, state.id, null);
      return { ok: true as const };
    }),
  /** Sets a user's cloud-wide role (`none` takes it away). */
  setGlobalRole: authedProcedure
    .input(z.object({ email: emailSchema, globalRole: globalRoleSchema }))
    .output(userSchema)
    .mutation(({ ctx, input }) => {
      requireCloudAdmin(ctx.principal);
      return ctx.services.auth.setGlobalRole(input.email, input.globalRole);
    }),
});
