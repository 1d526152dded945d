import type { IntentFile } from "@netloom/model";
import { formatIpv4, NetloomError, RESOURCE_KINDS } from "@netloom/model";
import type { FastifyInstance, FastifyRequest } from "fastify";
import { authorizeTenant } from "../auth/principal";
import type { AuthService } from "../auth/service";
import { fabricNetworksUsed, heldByOthers, specOf } from "../store/external";
import { KeyedMutex } from "../store/mutex";
import type { Store } from "../store/store";
import type { TenantState } from "../store/types";
import { KeystoneFault } from "./errors";
import { DEFAULT_GROUP, ensureDefaultGroup } from "./security";
import type { SideKind, SideTable } from "./side";
import { type Credentials, resolveToken } from "./tokens";
import { type ExternalNetwork, type FabricChange, Workspace } from "./workspace";

/*
 * The plumbing under every Neutron route: a request's token to its project, a read workspace,
 * and a write as one store change (intent and side rows), serialized per project.
 */

/** The lock of writes that may change the fabric's external networks (taken before a project's). */
const FABRIC_LOCK = "*fabric*";

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
export function fabricExternalNetworks(store: Store): ExternalNetwork[] {
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
/** A request's credentials, scoped to a project. */
export type ProjectCredentials = Credentials & { project: TenantState };

/** The session functions the Neutron routes share (one per registered server). */
export type NeutronSession = ReturnType<typeof neutronSession>;

export function neutronSession(app: FastifyInstance, deps: NeutronDeps) {
  const { store, auth, side } = deps;
  const locks = new KeyedMutex();

  const credentialsOf = async (request: FastifyRequest): Promise<ProjectCredentials> => {
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

  const readWorkspace = async (credentials: ProjectCredentials, kinds: SideKind[]) => {
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
    credentials: ProjectCredentials,
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

  const ensureDefault = async (credentials: ProjectCredentials) => {
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

  return { credentialsOf, current, readWorkspace, write, heldElsewhere, ensureDefault };
}
