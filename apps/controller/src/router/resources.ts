import { nameSchema, type ResourceKind, type ResourceSpecs, resourceSchemas } from "@netloom/model";
import { z } from "zod";
import { tenantFor } from "../auth/tenancy";
import {
  createResource,
  deleteResource,
  getResource,
  listResources,
  updateResource,
} from "../domain/resources";
import { idempotentRequest } from "../store/idempotency";
import { authedProcedure, router } from "../trpc";
import { api, tenantRef } from "./schemas";

const revisionSchema = z.number().int().min(1);

/**
 * list/get/create/update/delete for one kind of intent object. A change is validated as the
 * whole tenant would be after it, so problems carry whole-file paths (`networks[3].subnets[0]`).
 */
function resourceRouter<K extends ResourceKind>(kind: K) {
  const specSchema = resourceSchemas[kind] as unknown as z.ZodType<ResourceSpecs[K]>;
  const viewSchema = z.object({
    name: z.string(),
    revision: z.number().int(),
    ordinal: z.number().int(),
    spec: specSchema,
  });
  return router({
    list: authedProcedure
      .meta(api("GET", `/tenants/{tenant}/${kind}`, `List ${kind}`))
      .input(tenantRef)
      .output(z.array(viewSchema))
      .query(({ ctx, input }) => {
        const state = tenantFor(ctx.services.store, ctx.principal, input.tenant, "read");
        return listResources(ctx.services.store, state, kind);
      }),
    get: authedProcedure
      .meta(api("GET", `/tenants/{tenant}/${kind}/{name}`, `Get one of ${kind}`))
      .input(tenantRef.extend({ name: nameSchema }))
      .output(viewSchema)
      .query(({ ctx, input }) => {
        const state = tenantFor(ctx.services.store, ctx.principal, input.tenant, "read");
        return getResource(state, kind, input.name);
      }),
    create: authedProcedure
      .meta(api("POST", `/tenants/{tenant}/${kind}`, `Create one of ${kind}`))
      .input(tenantRef.extend({ spec: specSchema }))
      .output(viewSchema)
      .mutation(({ ctx, input }) => {
        const state = tenantFor(ctx.services.store, ctx.principal, input.tenant, "write");
        return createResource(
          ctx.services.store,
          state,
          kind,
          input.spec,
          ctx.principal.email,
          idempotentRequest(ctx.idempotencyKey, `${ctx.principal.userId}:${kind}.create`, input),
        );
      }),
    update: authedProcedure
      .meta(api("PUT", `/tenants/{tenant}/${kind}`, `Replace one of ${kind} (by spec.name)`))
      .input(tenantRef.extend({ spec: specSchema, revision: revisionSchema }))
      .output(viewSchema)
      .mutation(({ ctx, input }) => {
        const state = tenantFor(ctx.services.store, ctx.principal, input.tenant, "write");
        return updateResource(
          ctx.services.store,
          state,
          kind,
          input.spec,
          input.revision,
          ctx.principal.email,
        );
      }),
    delete: authedProcedure
      .meta(api("DELETE", `/tenants/{tenant}/${kind}/{name}`, `Delete one of ${kind}`))
      .input(
        tenantRef.extend({ name: nameSchema, revision: z.coerce.number().int().min(1).optional() }),
      )
      .output(z.object({ generation: z.number().int() }))
      .mutation(({ ctx, input }) => {
        const state = tenantFor(ctx.services.store, ctx.principal, input.tenant, "write");
        return deleteResource(
          ctx.services.store,
          state,
          kind,
          input.name,
          input.revision,
          ctx.principal.email,
        );
      }),
  });
}

export const networksRouter = resourceRouter("networks");
export const workloadsRouter = resourceRouter("workloads");
export const securityGroupsRouter = resourceRouter("securityGroups");
export const policiesRouter = resourceRouter("policies");
export const servicesRouter = resourceRouter("services");
export const routersRouter = resourceRouter("routers");
export const floatingIpPoolsRouter = resourceRouter("floatingIpPools");
export const assertionsRouter = resourceRouter("assertions");
