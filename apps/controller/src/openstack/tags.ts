import type { FastifyInstance, FastifyRequest } from "fastify";
import { ALL_KINDS, type Collection } from "./collections";
import { NeutronFault } from "./errors";
import { handle } from "./http";
import type { NeutronSession } from "./session";
import { type Json, stringList } from "./workspace";

/** A collection's tag routes: PUT replaces all, PUT/DELETE one, DELETE all, GET. */
export function registerTagRoutes(
  app: FastifyInstance,
  collection: Collection,
  session: NeutronSession,
): void {
  const { credentialsOf, readWorkspace, write } = session;
  const base = `/network/v2.0/${collection.path}`;
  const tagWrite = (
    change: (tags: string[], request: FastifyRequest) => string[],
    status: number,
  ) =>
    handle(async (request, reply) => {
      const credentials = await credentialsOf(request);
      const id = (request.params as { id: string }).id;
      const { value: tags } = await write(credentials, ALL_KINDS, (ws) => {
        const { kind, key, fallback } = collection.locate(ws, id);
        const next = change(ws.side.get(kind, key)?.tags ?? [], request);
        ws.touch(kind, key, { tags: next }, fallback);
        return next;
      });
      reply.status(status);
      return status === 204 ? reply.send() : { tags };
    });
  app.get(
    `${base}/:id/tags`,
    handle(async (request) => {
      const credentials = await credentialsOf(request);
      const ws = await readWorkspace(credentials, collection.kinds);
      const view = collection.show(ws, (request.params as { id: string }).id);
      return { tags: view.tags };
    }),
  );
  app.put(
    `${base}/:id/tags`,
    tagWrite((_tags, request) => stringList(((request.body ?? {}) as Json).tags), 200),
  );
  app.delete(
    `${base}/:id/tags`,
    tagWrite(() => [], 204),
  );
  app.put(
    `${base}/:id/tags/:tag`,
    tagWrite((tags, request) => {
      const tag = (request.params as { tag: string }).tag;
      return tags.includes(tag) ? tags : [...tags, tag];
    }, 201),
  );
  app.delete(
    `${base}/:id/tags/:tag`,
    tagWrite((tags, request) => {
      const tag = (request.params as { tag: string }).tag;
      if (!tags.includes(tag))
        throw new NeutronFault(404, "TagNotFound", `Tag ${tag} could not be found.`);
      return tags.filter((candidate) => candidate !== tag);
    }, 204),
  );
  app.get(
    `${base}/:id/tags/:tag`,
    handle(async (request, reply) => {
      const credentials = await credentialsOf(request);
      const ws = await readWorkspace(credentials, collection.kinds);
      const params = request.params as { id: string; tag: string };
      const tags = stringList(collection.show(ws, params.id).tags);
      if (!tags.includes(params.tag))
        throw new NeutronFault(404, "TagNotFound", `Tag ${params.tag} could not be found.`);
      return reply.status(204).send();
    }),
  );
}
