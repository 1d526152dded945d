import { z } from "zod";
import type { Principal } from "../auth/principal";
import type { Store } from "../store/store";
import { authedProcedure, publicProcedure, router } from "../trpc";
import { emailSchema, globalRoleSchema, labelSchema, okSchema, roleSchema } from "./schemas";

const meSchema = z.object({
  id: z.string(),
  email: z.string(),
  globalRole: globalRoleSchema,
  memberships: z.array(z.object({ tenant: z.string(), role: roleSchema })),
});

const tokenSchema = z.object({
  id: z.string(),
  name: z.string(),
  createdAt: z.string(),
  lastUsedAt: z.string().nullable(),
});

const credentials = z.object({ email: emailSchema, password: z.string().min(1).max(1024) });

function meOf(principal: Principal, store: Store): z.infer<typeof meSchema> {
  const memberships = [...principal.memberships]
    .map(([tenantId, role]) => ({ tenant: store.tenantById(tenantId)?.name ?? "", role }))
    .filter((membership) => membership.tenant !== "")
    .sort((a, b) => a.tenant.localeCompare(b.tenant));
  return {
    id: principal.userId,
    email: principal.email,
    globalRole: principal.globalRole,
    memberships,
  };
}

export const authRouter = router({
  /** Password login for the browser: sets the HTTP-only session cookie. */
  login: publicProcedure
    .input(credentials)
    .output(meSchema)
    .mutation(async ({ ctx, input }) => {
      const { session, principal } = await ctx.services.auth.login(
        input.email,
        input.password,
        ctx.clientAddress,
      );
      ctx.setSession?.(session);
      return meOf(principal, ctx.services.store);
    }),
  /** Password login for the command: answers a new API token instead of a cookie. */
  loginForToken: publicProcedure
    .input(credentials.extend({ tokenName: labelSchema.default("netloom command") }))
    .output(z.object({ token: z.string(), me: meSchema }))
    .mutation(async ({ ctx, input }) => {
      const { principal, session } = await ctx.services.auth.login(
        input.email,
        input.password,
        ctx.clientAddress,
      );
      await ctx.services.auth.logout(session);
      const token = await ctx.services.auth.createToken(principal.userId, input.tokenName);
      return { token: token.token, me: meOf(principal, ctx.services.store) };
    }),
  logout: publicProcedure
    .input(z.void())
    .output(okSchema)
    .mutation(async ({ ctx }) => {
      if (ctx.session) await ctx.services.auth.logout(ctx.session);
      ctx.setSession?.(null);
      return { ok: true as const };
    }),
  me: authedProcedure
    .input(z.void())
    .output(meSchema)
    .query(({ ctx }) => meOf(ctx.principal, ctx.services.store)),
  tokens: router({
    create: authedProcedure
      .input(z.object({ name: labelSchema }))
      .output(tokenSchema.extend({ token: z.string() }))
      .mutation(({ ctx, input }) =>
        ctx.services.auth.createToken(ctx.principal.userId, input.name),
      ),
    list: authedProcedure
      .input(z.void())
      .output(z.array(tokenSchema))
      .query(({ ctx }) => ctx.services.auth.listTokens(ctx.principal.userId)),
    revoke: authedProcedure
      .input(z.object({ id: z.string().uuid() }))
      .output(okSchema)
      .mutation(async ({ ctx, input }) => {
        await ctx.services.auth.revokeToken(ctx.principal.userId, input.id);
        return { ok: true as const };
      }),
  }),
});
