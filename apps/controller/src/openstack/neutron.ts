import type { IntentFile } from "@netloom/model";
import { formatIpv4, NetloomError, RESOURCE_KINDS } from "@netloom/model";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import { authorizeTenant } from "../auth/principal";
import type { AuthService } from "../auth/service";
import { fabricNetworksUsed, heldByOthers, specOf } from "../store/external";
import { KeyedMutex } from "../store/mutex";
import type { Store } from "../store/store";
import type { TenantState } from "../store/types";
import { faultOf, KeystoneFault, NeutronFault } from "./errors";
import {
  addInterface,
  createFloatingIp,
  createRouter,
  deleteFloatingIp,
  deleteRouter,
  findFloatingIp,
  findRouter,
  floatingIpRefs,
  floatingIpView,
  keepFloatingIp,
  removeInterface,
  routerRefs,
  routerView,
  updateFloatingIp,
  updateRouter,
} from "./l3";
import { applyListQuery, type Query } from "./list";
import {
  createNetwork,
  createSubnet,
  deleteNetwork,
  deleteSubnet,
  findNetwork,
  findSubnet,
  networkRefs,
  networkView,
  subnetRefs,
  subnetView,
  updateNetwork,
  updateSubnet,
} from "./networks";
import { createPort, deletePort, findPort, portRefs, portView, updatePort } from "./ports";
import {
  allRuleRefs,
  createGroup,
  createRule,
  DEFAULT_GROUP,
  deleteGroup,
  deleteRule,
  ensureDefaultGroup,
  findGroup,
  findRule,
  groupView,
  ruleView,
  updateGroup,
} from "./security";
import type { SideKind, SideTable } from "./side";
import { baseUrlOf, type Credentials, resolveToken } from "./tokens";
import {
  type ExternalNetwork,
  type FabricChange,
  fabricKey,
  type Json,
  stringList,
  Workspace,
} from "./workspace";

/** The lock of writes that may change the fabric's external networks (taken before a project's). */
const FABRIC_LOCK = "*fabric*";

/** One Neutron collection: its views and its changes, all on a Workspace. */
interface Collection {
  /** The URL segment (`security-groups`). */
  path: string;
  /** The body and answer key of one object (`security_group`) and of a list. */
  singular: string;
  plural: string;
  /** Side-table kinds its views read. */
  kinds: SideKind[];
  /**
   * Side-table kinds a create reads: fewer than a view's where the collection is long (a port
   * create never reads the other ports' rows).
   */
  createKinds: SideKind[];
  list(ws: Workspace): Json[];
  show(ws: Workspace, id: string): Json;
  /** The side row an id names (tags), with the name it falls back to. */
  locate(ws: Workspace, id: string): { kind: SideKind; key: string; fallback: string };
  create?(ws: Workspace, body: Json, context: WriteContext): string;
  update?(ws: Workspace, id: string, body: Json): void;
  remove?(ws: Workspace, id: string): void;
}

interface WriteContext {
  /** Floating IP addresses other projects hold in the side table (fabric-wide space). */
  reservedElsewhere: ReadonlySet<string>;
}

const ALL_KINDS: SideKind[] = [
  "network",
  "subnet",
  "port",
  "security_group",
  "security_group_rule",
  "router",
  "floatingip",
];

const COLLECTIONS: Collection[] = [
  {
    path: "networks",
    singular: "network",
    plural: "networks",
    kinds: ["network", "subnet"],
    createKinds: ["network", "subnet"],
    list: (ws) => networkRefs(ws).map((ref) => networkView(ws, ref)),
    show: (ws, id) => networkView(ws, findNetwork(ws, id, "id")),
    locate: (ws, id) => {
      const ref = findNetwork(ws, id, "id");
      return {
        kind: "network",
        key: ref.fabric ? fabricKey(ref.name) : ref.name,
        fallback: ref.name,
      };
    },
    create: (ws, body) => createNetwork(ws, body),
    update: (ws, id, body) => updateNetwork(ws, findNetwork(ws, id, "id"), body),
    remove: (ws, id) => deleteNetwork(ws, findNetwork(ws, id, "id")),
  },
  {
    path: "subnets",
    singular: "subnet",
    plural: "subnets",
    kinds: ["network", "subnet"],
    createKinds: ["network", "subnet"],
    list: (ws) => subnetRefs(ws).map((ref) => subnetView(ws, ref)),
    show: (ws, id) => subnetView(ws, findSubnet(ws, id, "id")),
    locate: (ws, id) => ({ kind: "subnet", key: findSubnet(ws, id, "id").sideKey, fallback: "" }),
    create: (ws, body) => createSubnet(ws, body),
    update: (ws, id, body) => updateSubnet(ws, findSubnet(ws, id, "id"), body),
    remove: (ws, id) => deleteSubnet(ws, findSubnet(ws, id, "id")),
  },
  {
    path: "ports",
    singular: "port",
    plural: "ports",
    kinds: ["network", "subnet", "port"],
    createKinds: ["network", "subnet", "security_group"],
    list: (ws) => portRefs(ws).map((ref) => portView(ws, ref)),
    show: (ws, id) => portView(ws, findPort(ws, id, "id")),
    locate: (ws, id) => {
      const ref = findPort(ws, id, "id");
      return { kind: "port", key: ref.key, fallback: ref.router ? "" : (ref.workload?.name ?? "") };
    },
    create: (ws, body) => createPort(ws, body),
    update: (ws, id, body) => updatePort(ws, findPort(ws, id, "id"), body),
    remove: (ws, id) => {
      const kept = deletePort(ws, findPort(ws, id, "id")).floatingIp;
      if (kept) keepFloatingIp(ws, kept.ip, kept.pool);
    },
  },
  {
    path: "security-groups",
    singular: "security_group",
    plural: "security_groups",
    kinds: ["security_group", "security_group_rule"],
    createKinds: ["security_group", "security_group_rule"],
    list: (ws) => ws.peek("securityGroups").map((group) => groupView(ws, group)),
    show: (ws, id) => groupView(ws, findGroup(ws, id, "id")),
    locate: (ws, id) => {
      const group = findGroup(ws, id, "id");
      return { kind: "security_group", key: group.name, fallback: group.name };
    },
    create: (ws, body) => createGroup(ws, body),
    update: (ws, id, body) => updateGroup(ws, findGroup(ws, id, "id"), body),
    remove: (ws, id) => deleteGroup(ws, findGroup(ws, id, "id")),
  },
  {
    path: "security-group-rules",
    singular: "security_group_rule",
    plural: "security_group_rules",
    kinds: ["security_group_rule"],
    createKinds: ["security_group", "security_group_rule"],
    list: (ws) => allRuleRefs(ws).map((ref) => ruleView(ws, ref)),
    show: (ws, id) => ruleView(ws, findRule(ws, id)),
    locate: (ws, id) => ({ kind: "security_group_rule", key: findRule(ws, id).key, fallback: "" }),
    create: (ws, body) => createRule(ws, body),
    remove: (ws, id) => deleteRule(ws, findRule(ws, id)),
  },
  {
    path: "routers",
    singular: "router",
    plural: "routers",
    kinds: ["network", "subnet", "router"],
    createKinds: ["network", "subnet", "router"],
    list: (ws) => {
      const networks = networkRefs(ws);
      return routerRefs(ws).map((ref) => routerView(ws, ref, networks));
    },
    show: (ws, id) => routerView(ws, findRouter(ws, id)),
    locate: (ws, id) => {
      const ref = findRouter(ws, id);
      return { kind: "router", key: ref.name, fallback: ref.name };
    },
    create: (ws, body) => createRouter(ws, body),
    update: (ws, id, body) => updateRouter(ws, findRouter(ws, id), body),
    remove: (ws, id) => deleteRouter(ws, findRouter(ws, id)),
  },
  {
    path: "floatingips",
    singular: "floatingip",
    plural: "floatingips",
    kinds: ["network", "subnet", "port", "router", "floatingip"],
    createKinds: ["network", "subnet", "router", "floatingip"],
    list: (ws) => {
      const networks = networkRefs(ws);
      return floatingIpRefs(ws).map((ref) => floatingIpView(ws, ref, networks));
    },
    show: (ws, id) => floatingIpView(ws, findFloatingIp(ws, id)),
    locate: (ws, id) => ({ kind: "floatingip", key: findFloatingIp(ws, id).ip, fallback: "" }),
    create: (ws, body, context) => createFloatingIp(ws, body, context.reservedElsewhere),
    update: (ws, id, body) => updateFloatingIp(ws, findFloatingIp(ws, id), body),
    remove: (ws, id) => deleteFloatingIp(ws, findFloatingIp(ws, id)),
  },
];

/** The extensions netloom implements, exactly (neutron-lib alias names). */
const EXTENSIONS: { alias: string; name: string; description: string }[] = [
  {
    alias: "security-group",
    name: "security-group",
    description: "The security groups extension.",
  },
  {
    alias: "router",
    name: "Neutron L3 Router",
    description:
      "Router abstraction for basic L3 forwarding between L2 Neutron networks and access to external networks via a NAT gateway.",
  },
  {
    alias: "external-net",
    name: "Neutron external network",
    description: "Adds external network attribute to network resource.",
  },
  {
    alias: "allowed-address-pairs",
    name: "Allowed Address Pairs",
    description: "Provides allowed address pairs",
  },
  {
    alias: "standard-attr-description",
    name: "standard-attr-description",
    description: "Extension to add descriptions to standard attributes",
  },
  {
    alias: "standard-attr-tag",
    name: "Tag support for resources with standard attribute: subnet, trunk, network_segment_range, router, network, policy, subnetpool, port, security_group, floatingip",
    description: "Enables to set tag on resources with standard attribute.",
  },
  {
    alias: "standard-attr-timestamp",
    name: "Resource timestamps",
    description:
      "Adds created_at and updated_at fields to all Neutron resources that have Neutron standard attributes.",
  },
  {
    alias: "standard-attr-revisions",
    name: "Resource revision numbers",
    description: "This extension will display the revision number of neutron resources.",
  },
  {
    alias: "revision-if-match",
    name: "If-Match constraints based on revision_number",
    description: "Extension indicating that If-Match based on revision_number is supported.",
  },
  {
    alias: "project-id",
    name: "project_id field enabled",
    description: "Extension that indicates that project_id field is enabled.",
  },
  {
    alias: "pagination",
    name: "Pagination support",
    description: "Extension that indicates that pagination is enabled.",
  },
  {
    alias: "sorting",
    name: "Sorting support",
    description: "Extension that indicates that sorting is enabled.",
  },
  {
    alias: "fields",
    name: "Fields",
    description: "Extension that indicates that fields projection is enabled.",
  },
  {
    alias: "filter-validation",
    name: "Filter parameters validation",
    description: "Provides validation on filter parameters.",
  },
  {
    alias: "binding",
    name: "Port Binding",
    description: "Expose port bindings of a virtual port to external application",
  },
  { alias: "port-security", name: "Port Security", description: "Provides port security" },
].map(
  (extension) =>
    ({ ...extension, updated: "2024-01-01T00:00:00-00:00", links: [] }) as {
      alias: string;
      name: string;
      description: string;
    },
);

export interface NeutronDeps {
  store: Store;
  auth: AuthService;
  side: SideTable;
}

/** Neutron's timestamp form: seconds, `Z`. */
function neutronTime(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/** The fabric's external networks, when the store has them (spec 1.1). */
function fabricExternalNetworks(store: Store): ExternalNetwork[] {
  const networks = store.compileInput().fabric.externalNetworks ?? [];
  return networks.map((network) => ({
    name: network.name,
    subnets: network.subnets.map((subnet) => ({ cidr: subnet.cidr, gateway: subnet.gateway })),
    owner: null,
    tenants: network.tenants,
  }));
}

/** The intent of a tenant as read-only lists (no copy: reads never change it). */
function readOnlyDocument(store: Store, state: TenantState): IntentFile {
  const document: Record<string, unknown> = { apiVersion: "netloom/v1", tenant: state.name };
  for (const kind of RESOURCE_KINDS) {
    document[kind] = store.resources(state, kind).map((resource) => resource.spec);
  }
  return document as unknown as IntentFile;
}

/** Thrown out of a store change whose plan touched only side rows: nothing to commit. */
class SideOnly extends Error {
  constructor(
    readonly workspace: Workspace,
    readonly value: unknown,
  ) {
    super("side-only change");
  }
}

/**
 * Neutron v2.0 under /network. Every request resolves its token to a principal and project;
 * reads build views from the store's intent plus one side-table query; writes plan on the
 * intent document inside the store's own change (validation, quotas, assertions, audit,
 * history), then write the side rows.
 */
export function registerNetwork(app: FastifyInstance, deps: NeutronDeps): void {
  const { store, auth, side } = deps;
  const locks = new KeyedMutex();
  const listCache = new AnswerCache(256);

  const credentialsOf = async (
    request: FastifyRequest,
  ): Promise<Credentials & { project: TenantState }> => {
    const header = request.headers["x-auth-token"];
    const authorization = request.headers.authorization;
    const token =
      typeof header === "string"
        ? header
        : authorization?.startsWith("Bearer ")
          ? authorization.slice(7).trim()
          : undefined;
    const credentials = token ? await resolveToken(store, auth, token) : null;
    if (!credentials) throw KeystoneFault.unauthorized();
    if (!credentials.project) {
      throw KeystoneFault.unauthorized("The token is not scoped to a project.");
    }
    return { ...credentials, project: credentials.project };
  };

  const current = (project: TenantState): TenantState => {
    const state = store.tenantById(project.id);
    if (!state) throw KeystoneFault.unauthorized("The project no longer exists.");
    return state;
  };

  const readWorkspace = async (
    credentials: Credentials & { project: TenantState },
    kinds: SideKind[],
  ) => {
    const state = current(credentials.project);
    authorizeTenant(credentials.principal, state, "read");
    const rows = await side.rowsOf(state.id, kinds);
    return new Workspace(
      credentials.principal,
      state,
      readOnlyDocument(store, state),
      rows,
      fabricExternalNetworks(store),
      neutronTime(new Date()),
    );
  };

  /**
   * Runs `plan` as one change: inside the store's change when it touches the intent (so the
   * store validates, allocates, checks quotas and assertions, audits and records history), else
   * only on side rows. Answers the plan's value and a workspace of the committed state to
   * answer views from.
   */
  const write = async <T>(
    credentials: Credentials & { project: TenantState },
    kinds: readonly SideKind[],
    plan: (ws: Workspace) => T,
  ): Promise<{ value: T; after: Workspace }> => {
    const project = current(credentials.project);
    authorizeTenant(credentials.principal, project, "write");
    // The cloud admin may change the fabric's external networks: one such write at a time.
    const cloudAdmin = credentials.principal.globalRole === "cloud_admin";
    const run = <R>(body: () => Promise<R>) =>
      cloudAdmin
        ? locks.run(FABRIC_LOCK, () => locks.run(project.id, body))
        : locks.run(project.id, body);
    return run(async () => {
      const rows = await side.rowsOf(project.id, kinds);
      const now = neutronTime(new Date());
      const fabric = fabricExternalNetworks(store);
      const fabricInUse = cloudAdmin ? await fabricUsage() : () => false;
      let outcome: { workspace: Workspace; value: T };
      try {
        let planned: { workspace: Workspace; value: T } | undefined;
        await store.change({
          tenant: project.name,
          actor: credentials.principal.email,
          mutate: (state, document) => {
            const workspace = new Workspace(
              credentials.principal,
              state,
              document,
              rows.clone(),
              fabric,
              now,
            );
            workspace.fabricInUse = fabricInUse;
            const value = plan(workspace);
            if (!workspace.intentTouched) throw new SideOnly(workspace, value);
            planned = { workspace, value };
            return workspace.doc;
          },
        });
        if (!planned) throw new Error("the store change did not run its plan");
        outcome = planned;
      } catch (error) {
        if (!(error instanceof SideOnly)) throw error;
        outcome = { workspace: error.workspace, value: error.value as T };
      }
      // The fabric first: a refused change (overlapping CIDRs, in use) leaves no side rows.
      if (outcome.workspace.fabricChange) {
        await applyFabricChange(outcome.workspace.fabricChange, credentials.principal.email);
      }
      await side.write(outcome.workspace.writes);
      const committed = current(project);
      const after = new Workspace(
        credentials.principal,
        committed,
        readOnlyDocument(store, committed),
        outcome.workspace.side,
        fabricExternalNetworks(store),
        now,
      );
      return { value: outcome.value, after };
    });
  };

  /** Whether any project uses a fabric external network: its intent or a floating IP row. */
  const fabricUsage = async (): Promise<(name: string) => boolean> => {
    const withFloatingIps = await side.floatingIpNetworks();
    const networks = store.fabricExternalNetworks();
    const used = new Set<string>();
    for (const tenant of store.listTenants()) {
      for (const network of fabricNetworksUsed(readOnlyDocument(store, tenant), networks)) {
        used.add(network.name);
      }
    }
    return (name) => used.has(name) || withFloatingIps.has(name);
  };

  /** The whole list of the fabric's external networks with one changed (spec 1.1). */
  const applyFabricChange = async (change: FabricChange, actor: string) => {
    const current = store.fabricExternalNetworks().map(specOf);
    const externalNetworks =
      change.kind === "upsert"
        ? [...current.filter((network) => network.name !== change.network.name), change.network]
        : current.filter((network) => network.name !== change.name);
    await store.applyFabric([], {
      prune: false,
      pruneExternalNetworks: true,
      mode: "upsert",
      externalNetworks,
    });
    app.log.info({ actor, change }, "openstack: fabric external networks changed");
  };

  /**
   * Fabric external addresses other projects hold: their floating IP rows, and what the store
   * allocated them (router gateways' nat addresses, floating IPs made elsewhere).
   */
  const heldElsewhere = async (projectId: string): Promise<Set<string>> => {
    const held = new Set(
      (await side.allOfKind("floatingip"))
        .filter((row) => row.tenantId !== projectId)
        .map((row) => row.key),
    );
    const byNetwork = heldByOthers(store.fabricExternalNetworks(), store.listTenants(), projectId);
    for (const addresses of byNetwork.values()) {
      for (const address of addresses) held.add(formatIpv4(address));
    }
    return held;
  };

  const ensureDefault = async (credentials: Credentials & { project: TenantState }) => {
    const state = current(credentials.project);
    if (state.resources.has(`securityGroups/${DEFAULT_GROUP}`)) return;
    try {
      authorizeTenant(credentials.principal, state, "write");
    } catch (error) {
      if (error instanceof NetloomError && error.code === "FORBIDDEN") return; // readers see what exists
      throw error;
    }
    await write(credentials, ["security_group"], (ws) => ensureDefaultGroup(ws));
  };

  const fail = (request: FastifyRequest, reply: FastifyReply, error: unknown) => {
    if (error instanceof KeystoneFault) return reply.status(error.status).send(error.body());
    const fault =
      error instanceof NeutronFault
        ? error
        : error instanceof NetloomError
          ? faultOf(error)
          : new NeutronFault(500, "InternalServerError", "Request Failed: internal server error");
    if (fault.status >= 500)
      request.log.error({ err: error, url: request.url }, "neutron request failed");
    return reply.status(fault.status).send(fault.body());
  };

  const handle =
    (run: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>) =>
    async (request: FastifyRequest, reply: FastifyReply) => {
      try {
        return await run(request, reply);
      } catch (error) {
        return fail(request, reply, error);
      }
    };

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

    // Tags: PUT replaces all, PUT/DELETE one, DELETE all, GET.
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

/** Serialized list answers, the oldest dropped first. */
class AnswerCache {
  private readonly answers = new Map<string, string>();

  constructor(private readonly limit: number) {}

  get(key: string): string | undefined {
    return this.answers.get(key);
  }

  set(key: string, answer: string): void {
    if (this.answers.size >= this.limit) {
      const [oldest] = this.answers.keys();
      if (oldest !== undefined) this.answers.delete(oldest);
    }
    this.answers.set(key, answer);
  }
}

function pick(view: Json, fields: string[]): Json {
  const picked: Json = {};
  for (const field of fields) if (field in view) picked[field] = view[field];
  return picked;
}

/** A body naming another project is refused: objects are made in the token's project only. */
function refuseForeignProject(body: Json, ws: Workspace): void {
  for (const field of ["project_id", "tenant_id"]) {
    const value = body[field];
    if (value !== undefined && value !== ws.projectId) {
      throw new NeutronFault(
        403,
        "PolicyNotAuthorized",
        `${field} must be the token's project (${ws.projectId}).`,
      );
    }
  }
}

/** `If-Match: revision_number=N` (a list allowed): 412 when the object's revision differs. */
function checkIfMatch(request: FastifyRequest, view: Json): void {
  const header = request.headers["if-match"];
  if (typeof header !== "string") return;
  for (const part of header.split(",")) {
    const match = /^\s*revision_number=(\d+)\s*$/.exec(part);
    if (!match) continue;
    if (Number(match[1]) !== view.revision_number) {
      throw new NeutronFault(
        412,
        "RevisionNumberConstraintFailed",
        `Constrained to ${match[1]}, but current revision is ${String(view.revision_number)}`,
      );
    }
  }
}
