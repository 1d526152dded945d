import type { FastifyInstance, FastifyRequest } from "fastify";
import { authorizeTenant } from "../auth/principal";
import { ALL_KINDS, COLLECTIONS } from "./collections";
import { NeutronFault } from "./errors";
import { EXTENSIONS } from "./extensions";
import { AnswerCache, checkIfMatch, handle, pick, refuseForeignProject } from "./http";
import { addInterface, findRouter, removeInterface } from "./l3";
import { applyListQuery, type Query } from "./list";
import { fabricExternalNetworks, type NeutronDeps, neutronSession } from "./session";
import { registerTagRoutes } from "./tags";
import { baseUrlOf } from "./tokens";
import { type Json, stringList } from "./workspace";

export type { NeutronDeps } from "./session";

/**
 * Neutron v2.0 under /network. Every request resolves its token to a principal and project;
 * reads build views from the store's intent plus one side-table query; writes plan on the
 * intent document inside the store's own change (validation, quotas, assertions, audit,
 * history), then write the side rows. The resources are collections.ts's table, the plumbing
 * session.ts's; this file is the routes.
 */
export function registerNetwork(app: FastifyInstance, deps: NeutronDeps): void {
  const { store, side } = deps;
  const session = neutronSession(app, deps);
  const { credentialsOf, current, readWorkspace, write, heldElsewhere, ensureDefault } = session;
  const listCache = new AnswerCache(256);

  app.get("/network", async (request) => ({
    versions: [
      {
        id: "v2.0",
        status: "CURRENT",
        links: [{ href: `${baseUrlOf(request)}/network/v2.0/`, rel: "self" }],
      },
    ],
  }));
  app.get("/network/", async (request) => ({
    versions: [
      {
        id: "v2.0",
        status: "CURRENT",
        links: [{ href: `${baseUrlOf(request)}/network/v2.0/`, rel: "self" }],
      },
    ],
  }));
  const resources = async (request: FastifyRequest) => ({
    resources: COLLECTIONS.map((collection) => ({
      name: collection.singular,
      collection: collection.plural,
      links: [{ href: `${baseUrlOf(request)}/network/v2.0/${collection.path}`, rel: "self" }],
    })),
  });
  app.get("/network/v2.0", resources);
  app.get("/network/v2.0/", resources);
  app.get(
    "/network/v2.0/extensions",
    handle(async (request) => {
      await credentialsOf(request);
      return { extensions: EXTENSIONS };
    }),
  );
  app.get(
    "/network/v2.0/extensions/:alias",
    handle(async (request) => {
      await credentialsOf(request);
      const alias = (request.params as { alias: string }).alias;
      const extension = EXTENSIONS.find((candidate) => candidate.alias === alias);
      if (!extension)
        throw new NeutronFault(
          404,
          "ExtensionNotFound",
          `Extension with alias ${alias} does not exist`,
        );
      return { extension };
    }),
  );

  for (const collection of COLLECTIONS) {
    const base = `/network/v2.0/${collection.path}`;

    app.get(
      base,
      handle(async (request, reply) => {
        const credentials = await credentialsOf(request);
        if (collection.singular.startsWith("security_group")) await ensureDefault(credentials);
        const state = current(credentials.project);
        authorizeTenant(credentials.principal, state, "read");
        // A list answer depends on the tenant's intent (its generation), its side rows (their
        // version), the fabric's external networks and the URL: cached on exactly those.
        const version = await side.version(state.id);
        const fabric = fabricExternalNetworks(store);
        const cacheKey = `${state.id}|${state.generation}|${version}|${JSON.stringify(fabric)}|${request.url}`;
        const cached = listCache.get(cacheKey);
        if (cached !== undefined) return reply.type("application/json").send(cached);
        const ws = await readWorkspace(credentials, collection.kinds);
        const query = (request.query ?? {}) as Query;
        const answer = JSON.stringify(
          applyListQuery(
            collection.list(ws),
            query,
            collection.plural,
            `${baseUrlOf(request)}${base}`,
          ),
        );
        // Only when nothing changed while it was built (else a stale answer would be kept).
        if (current(credentials.project).generation === state.generation)
          listCache.set(cacheKey, answer);
        return reply.type("application/json").send(answer);
      }),
    );

    app.get(
      `${base}/:id`,
      handle(async (request) => {
        const credentials = await credentialsOf(request);
        if (collection.singular.startsWith("security_group")) await ensureDefault(credentials);
        const ws = await readWorkspace(credentials, collection.kinds);
        const id = (request.params as { id: string }).id;
        const view = collection.show(ws, id);
        const fields = stringList(([] as unknown[]).concat((request.query as Query).fields ?? []));
        return { [collection.singular]: fields.length > 0 ? pick(view, fields) : view };
      }),
    );

    const create = collection.create;
    if (create) {
      app.post(
        base,
        handle(async (request, reply) => {
          const credentials = await credentialsOf(request);
          const body = (request.body ?? {}) as Json;
          const bulk = Array.isArray(body[collection.plural]);
          const items = bulk ? (body[collection.plural] as unknown[]) : [body[collection.singular]];
          if (items.some((item) => typeof item !== "object" || item === null)) {
            throw NeutronFault.badRequest(`Resource body required: ${collection.singular}`);
          }
          const reservedElsewhere =
            collection.singular === "floatingip"
              ? await heldElsewhere(credentials.project.id)
              : new Set<string>();
          if (collection.singular === "port") await ensureDefault(credentials);
          // All or nothing: every item of a bulk create is planned in one change.
          const { value: ids, after } = await write(credentials, collection.createKinds, (ws) =>
            items.map((item) => {
              const fields = item as Json;
              refuseForeignProject(fields, ws);
              return create(ws, fields, { reservedElsewhere });
            }),
          );
          const views = ids.map((id) => collection.show(after, id));
          reply.status(201);
          return bulk ? { [collection.plural]: views } : { [collection.singular]: views[0] };
        }),
      );
    }

    const update = collection.update;
    if (update) {
      app.put(
        `${base}/:id`,
        handle(async (request) => {
          const credentials = await credentialsOf(request);
          const id = (request.params as { id: string }).id;
          const body = ((request.body ?? {}) as Json)[collection.singular];
          if (typeof body !== "object" || body === null) {
            throw NeutronFault.badRequest(`Resource body required: ${collection.singular}`);
          }
          const { after } = await write(credentials, ALL_KINDS, (ws) => {
            checkIfMatch(request, collection.show(ws, id));
            update(ws, id, body as Json);
          });
          return { [collection.singular]: collection.show(after, id) };
        }),
      );
    }

    const remove = collection.remove;
    if (remove) {
      app.delete(
        `${base}/:id`,
        handle(async (request, reply) => {
          const credentials = await credentialsOf(request);
          const id = (request.params as { id: string }).id;
          await write(credentials, ALL_KINDS, (ws) => {
            checkIfMatch(request, collection.show(ws, id));
            remove(ws, id);
          });
          return reply.status(204).send();
        }),
      );
    }

    registerTagRoutes(app, collection, session);
  }

  for (const action of ["add_router_interface", "remove_router_interface"] as const) {
    app.put(
      `/network/v2.0/routers/:id/${action}`,
      handle(async (request) => {
        const credentials = await credentialsOf(request);
        const id = (request.params as { id: string }).id;
        const body = (request.body ?? {}) as Json;
        const { value } = await write(credentials, ALL_KINDS, (ws) => {
          const router = findRouter(ws, id);
          return action === "add_router_interface"
            ? addInterface(ws, router, body)
            : removeInterface(ws, router, body);
        });
        return value;
      }),
    );
  }
}
