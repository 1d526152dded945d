import {
  evpnType5RouteSchema,
  fabricFileSchema,
  fabricNodeSchema,
  learnedEvpnRouteSchema,
  NetloomError,
  nameSchema,
  parseFabricFile,
} from "@netloom/model";
import { z } from "zod";
import { type Principal, requireCloudAdmin, requireCloudReader } from "../auth/principal";
import { tenantFor } from "../auth/tenancy";
import { distributionProcedures, fabricStatusSchema } from "../distribution/router";
import { decodeDocument } from "../domain/intent";
import { LiveValue } from "../live/live-value";
import { documentOf } from "../store/document";
import { tenantExternalRoutes } from "../store/evpn-tenant";
import { notFound } from "../store/store";
import { authedProcedure, router, type Services } from "../trpc";

const nodeSchema = z.object({
  id: z.string(),
  name: z.string(),
  underlay: z.string(),
  revision: z.number().int(),
  appliedGeneration: z.number().int(),
  appliedHash: z.string().nullable(),
  lastSeenAt: z.string().nullable(),
});

const applySchema = z.object({
  changed: z.array(z.string()),
  fabricGeneration: z.number().int(),
  dryRun: z.boolean(),
});

const tenantExternalRoutesSchema = z.object({
  network: z.string(),
  peers: z.array(z.object({ name: z.string() })),
  prefixes: z.array(z.object({ prefix: z.string(), peer: z.string() })),
});

/** One tenant's gateways and learned prefixes; NOT_FOUND for a tenant the caller cannot read. */
function externalRoutesOf(
  ctx: { services: Services; principal: Principal },
  tenant: string,
): z.infer<typeof tenantExternalRoutesSchema>[] {
  const { store } = ctx.services;
  const state = tenantFor(store, ctx.principal, tenant, "read");
  return tenantExternalRoutes(
    state.name,
    documentOf(state),
    store.fabricExternalNetworks(),
    store.learnedRouteViews(),
  );
}

/** The operator's forwarding nodes. Everyone signed in may read them; the cloud admin writes. */
export const fabricRouter = router({
  // onStatus (SSE), nodeConfig, hitCounts, issueNodeToken: served by distribution.
  ...distributionProcedures,
  nodes: router({
    list: authedProcedure
      .input(z.void())
      .output(z.array(nodeSchema))
      .query(({ ctx }) => ctx.services.store.fabricNodes()),
    get: authedProcedure
      .input(z.object({ name: nameSchema }))
      .output(nodeSchema)
      .query(({ ctx, input }) => {
        const node = ctx.services.store.fabricNodes().find((n) => n.name === input.name);
        if (!node) throw notFound("node", input.name, "name");
        return node;
      }),
    create: authedProcedure
      .input(z.object({ spec: fabricNodeSchema }))
      .output(nodeSchema)
      .mutation(async ({ ctx, input }) => {
        requireCloudAdmin(ctx.principal);
        await ctx.services.store.applyFabric([input.spec], { prune: false, mode: "create" });
        return nodeNamed(ctx.services.store.fabricNodes(), input.spec.name);
      }),
    update: authedProcedure
      .input(z.object({ spec: fabricNodeSchema, revision: z.number().int().min(1) }))
      .output(nodeSchema)
      .mutation(async ({ ctx, input }) => {
        requireCloudAdmin(ctx.principal);
        await ctx.services.store.applyFabric([input.spec], {
          prune: false,
          mode: "update",
          expectedRevision: input.revision,
        });
        return nodeNamed(ctx.services.store.fabricNodes(), input.spec.name);
      }),
    delete: authedProcedure
      .input(z.object({ name: nameSchema, revision: z.number().int().min(1).optional() }))
      .output(z.object({ fabricGeneration: z.number().int() }))
      .mutation(async ({ ctx, input }) => {
        requireCloudAdmin(ctx.principal);
        const fabricGeneration = await ctx.services.store.deleteFabricNode(
          input.name,
          input.revision,
        );
        return { fabricGeneration };
      }),
  }),
  /** Applies a fabric file (nodes by name); `prune` also removes nodes it does not list. */
  applyFile: authedProcedure
    .input(
      z.object({
        document: z.unknown(),
        dryRun: z.boolean().default(false),
        prune: z.boolean().default(false),
      }),
    )
    .output(applySchema)
    .mutation(async ({ ctx, input }) => {
      requireCloudAdmin(ctx.principal);
      const parsed = parseFabricFile(decodeDocument(input.document));
      if (!parsed.ok) throw NetloomError.invalid(parsed.problems);
      const result = await ctx.services.store.applyFabric(parsed.value.nodes, {
        prune: input.prune,
        mode: "upsert",
        dryRun: input.dryRun,
        externalNetworks: parsed.value.externalNetworks,
        // Issue 14: absent, the stored `bgp` section stays, unless `prune` asks for the file as is.
        bgp: parsed.value.bgp ?? (input.prune ? null : undefined),
      });
      return { ...result, dryRun: input.dryRun };
    }),
  /**
   * Issue 14: the EVPN type-5 routes the fabric exports, and every learned one with whether it is
   * programmed (and why not). Cloud readers only: routes span tenants.
   */
  evpnRoutes: authedProcedure
    .input(z.void())
    .output(
      z.object({
        exported: z.array(evpnType5RouteSchema),
        learned: z.array(
          learnedEvpnRouteSchema.extend({ imported: z.boolean(), reason: z.string().optional() }),
        ),
      }),
    )
    .query(async ({ ctx }) => {
      requireCloudReader(ctx.principal);
      const store = ctx.services.store;
      return { exported: await store.evpnExports(), learned: store.learnedRouteViews() };
    }),
  /**
   * Issue 14: the gateways and learned prefixes at each external network the tenant uses (one it
   * may use and its intent references), imported routes only. Readable by the tenant's own
   * users; names and prefixes only, nothing of the underlay. A foreign tenant answers NOT_FOUND.
   */
  tenantExternalRoutes: authedProcedure
    .input(z.object({ tenant: nameSchema }))
    .output(z.array(tenantExternalRoutesSchema))
    .query(({ ctx, input }) => externalRoutesOf(ctx, input.tenant)),
  /**
   * The same, pushed each time it changes: a gateway's session or prefixes come and go with
   * the fabric (learned routes are fabric changes), the networks with the tenant's intent.
   */
  onTenantExternalRoutes: authedProcedure
    .input(z.object({ tenant: nameSchema }))
    .subscription(async function* ({ ctx, input, signal }) {
      externalRoutesOf(ctx, input.tenant);
      const { services } = ctx;
      const live = new LiveValue({
        compute: () => externalRoutesOf(ctx, input.tenant),
        wakeOn: [
          (poke) => services.events.on("changed", poke),
          (poke) => services.store.onFabricReloaded(poke),
        ],
        intervalMs: 0,
        onError: (error) =>
          services.log?.error(
            { err: error, tenant: input.tenant },
            "tenant external routes could not be computed",
          ),
      });
      yield* live.iterate(signal);
    }),
  /** The Fabric file as stored (nodes, external networks with `evpn`, `bgp`): applies back as is. */
  export: authedProcedure
    .input(z.void())
    .output(z.object({ document: fabricFileSchema }))
    .query(({ ctx }) => {
      requireCloudReader(ctx.principal);
      return { document: ctx.services.store.fabricFile() };
    }),
  /**
   * Every node by the one definition of convergence (distribution/convergence.ts), lagging and
   * stale nodes named. Cloud readers only; tenant users read `fabric.tenantStatus`.
   */
  status: authedProcedure
    .input(z.void())
    .output(fabricStatusSchema)
    .query(async ({ ctx }) => {
      requireCloudReader(ctx.principal);
      if (ctx.services.fabricStatus) {
        return fabricStatusSchema.parse(await ctx.services.fabricStatus());
      }
      // Distribution is off (a controller without agents): nothing is connected, nothing converged.
      const generation = ctx.services.store.fabricGeneration;
      const nodes = ctx.services.store.fabricNodes().map((node) => ({
        name: node.name,
        underlay: node.underlay,
        appliedGeneration: node.appliedGeneration,
        appliedHash: node.appliedHash,
        desiredGeneration: null,
        desiredHash: null,
        state: "disconnected" as const,
        converged: false,
        stale: true,
        connected: false,
        servedHere: false,
        lastSeenAt: node.lastSeenAt,
        lastError: null,
        drift: { count: 0, lastRepaired: null, at: null },
        errors: {},
      }));
      const names = nodes.map((node) => node.name);
      return {
        generation,
        compiledGeneration: generation,
        converged: nodes.length === 0,
        compileError: null,
        counts: {
          nodes: nodes.length,
          converged: 0,
          stale: nodes.length,
          connected: 0,
          lagging: 0,
        },
        lagging: [],
        stale: names,
        nodes,
      };
    }),
});

function nodeNamed<T extends { name: string }>(nodes: T[], name: string): T {
  const node = nodes.find((candidate) => candidate.name === name);
  if (!node) throw notFound("node", name, "name");
  return node;
}
