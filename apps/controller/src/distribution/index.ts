import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { NodeConfig, RuleId } from "@netloom/compiler";
import { asNodeId, type FabricNodeSpec, fabricNodeSchema, NetloomError } from "@netloom/model";
import { AGENT_PATH, messageText, type RegisteredMessage } from "@netloom/protocol";
import type { FastifyInstance } from "fastify";
import { WebSocketServer } from "ws";
import type { Principal } from "../auth/principal";
import type { Db } from "../db";
import type { ChangedEvent } from "../events";
import { type CompileSource, FabricFeed } from "./feed";
import { DEFAULT_TIMING, DistributionHub, type HubTiming } from "./hub";
import { bindDistribution } from "./router";
import { type FabricStatus, fabricStatus, type TenantStatus, tenantStatus } from "./status";
import { createDistributionStore, readNodeRows, type StoredNodeRow } from "./store";
import { createNodeTokenVerifier, issueNodeToken } from "./tokens";
import { type CrossControllerWatch, startWatch } from "./watch";

export { type CompileSource, type FabricChange, FabricFeed } from "./feed";
export { DistributionHub, type HubObserver, type HubTiming } from "./hub";
export { registerDistributionMetrics } from "./metrics";
export {
  bindDistribution,
  distributionFor,
  distributionProcedures,
  distributionRouter,
} from "./router";
export type {
  FabricStatus,
  NodeStatus,
  TenantNodeStatus,
  TenantStatus,
} from "./status";
export { issueNodeToken, verifyNodeToken } from "./tokens";

/**
 * What the controller passes to `registerDistribution`. Everything else distribution needs it
 * reads from the database itself.
 */
export interface DistributionDeps extends CompileSource {
  db: Pick<Db, "prisma" | "sql" | "backend">;
  /** The store's `changed` events (emitted after every commit). */
  events: {
    on(event: "changed", listener: (event: ChangedEvent) => void): () => void;
    emit(event: "changed", change: ChangedEvent): void;
  };
  /** Resolves an API token; a cloud admin's token lets an agent register its node. */
  authenticate(token: string): Promise<Principal | null>;
  /**
   * Creates a fabric node for a self-registering agent, advancing the fabric generation and
   * emitting `changed` like any fabric change. Absent: distribution does it with Prisma.
   */
  registerNode?(node: FabricNodeSpec): Promise<void>;
  /** Set on PostgreSQL: changes of other controllers arrive by LISTEN/NOTIFY on it. */
  databaseUrl?: string | undefined;
  timing?: Partial<HubTiming>;
  /** Poll FabricState.generation this often (PostgreSQL only; default 2000, 0 = never). */
  pollMs?: number;
}

/** A node's current desired config, for the lab and `check --dataplane`. */
export interface NodeConfigView {
  node: string;
  generation: number;
  hash: string;
  config: NodeConfig;
}

/** A tenant as the caller's store knows it: the convergence query needs its committed generation. */
export interface TenantRef {
  id: string;
  name: string;
  generation: number;
}

/** The distribution of a running controller. */
export interface Distribution {
  readonly hub: DistributionHub;
  readonly feed: FabricFeed;
  status(): Promise<FabricStatus>;
  /** Status now, then again on every ack, heartbeat or staleness change, until `signal` aborts. */
  onStatus(signal?: AbortSignal): AsyncGenerator<FabricStatus>;
  /** One tenant's convergence (what its users may see). */
  tenantStatus(tenant: TenantRef): Promise<TenantStatus>;
  /** The same, pushed on every change; `tenant` is re-read each time (its generation moves). */
  onTenantStatus(tenant: () => TenantRef, signal?: AbortSignal): AsyncGenerator<TenantStatus>;
  /** Several tenants' convergence in one stream (the operator's and the picker's cards). */
  onTenantsStatus(tenants: () => TenantRef[], signal?: AbortSignal): AsyncGenerator<TenantStatus[]>;
  /** Failures distribution logged, by kind (compile, save-node-states...): for /metrics. */
  readonly failures: Readonly<Record<string, number>>;
  nodeConfig(node: string): NodeConfigView;
  hitCounts(node: string): Promise<Record<RuleId, number>>;
  /**
   * Packet hits per rule id of one tenant (by tenant id), summed over every node. The caller
   * checks that the principal may read the tenant.
   */
  tenantHitCounts(tenantId: string): Promise<Record<RuleId, number>>;
  /** A fresh node token for `node` (revokes the previous one). */
  issueNodeToken(node: string): Promise<string>;
  /** Resolves once every change queued so far is compiled and sent. */
  settled(): Promise<void>;
  close(): Promise<void>;
}

function bearerOf(request: IncomingMessage): string | undefined {
  const header = request.headers.authorization;
  if (!header?.startsWith("Bearer ")) return undefined;
  return header.slice("Bearer ".length).trim() || undefined;
}

function refuse(socket: Duplex, status: number, reason: string): void {
  const text = `HTTP/1.1 ${status} ${reason}\r\nConnection: close\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(reason)}\r\n\r\n${reason}`;
  socket.end(text);
}

/**
 * Serves agents at `/agent` on the controller's HTTP server and keeps their nodes converged.
 * Call inside `createServer` before `listen`; closes itself with the fastify instance. Returns
 * once the first compile is installed.
 */
export async function registerDistribution(
  app: FastifyInstance,
  deps: DistributionDeps,
): Promise<Distribution> {
  const timing: HubTiming = { ...DEFAULT_TIMING, ...deps.timing };
  const store = createDistributionStore(deps.db.sql);
  const failures: Record<string, number> = {};
  let shuttingDown = false;
  /** Every failure nobody awaits: logged with its context and counted (/metrics). */
  const fail = (kind: string, error: unknown, context: Record<string, unknown> = {}) => {
    if (shuttingDown) return;
    failures[kind] = (failures[kind] ?? 0) + 1;
    app.log.error({ err: error, kind, ...context }, `distribution: ${kind} failed`);
  };
  let feed: FabricFeed | undefined;
  const hub = new DistributionHub(
    store,
    timing,
    () => feed?.schedule("full") ?? Promise.resolve(),
    fail,
  );
  feed = new FabricFeed(hub, store, deps, (error, context) => fail("compile", error, context));
  const activeFeed = feed;

  const watch: CrossControllerWatch = await startWatch({
    sql: deps.db.sql,
    databaseUrl: deps.db.backend === "postgres" ? deps.databaseUrl : undefined,
    pollMs: deps.db.backend === "postgres" ? (deps.pollMs ?? 2000) : 0,
    knownGeneration: () => activeFeed.knownGeneration,
    onRemote: (change) => {
      // The feed reports its own compile failures; this catches anything else it throws.
      activeFeed.schedule(change, true).catch((error: unknown) => fail("schedule", error));
    },
    onFailure: fail,
  });

  const offChanged = deps.events.on("changed", (event) => {
    const change = {
      tenantId: event.tenantId,
      fabricGeneration: event.fabricGeneration,
      ...(event.tenantId !== null ? { tenantGeneration: event.generation } : {}),
    };
    // Tell the other controllers first: scheduling may start this controller's compile of the
    // change synchronously, and they should compile theirs meanwhile, not after it.
    watch.publish(change).catch((error: unknown) => fail("notify", error, { change }));
    activeFeed.schedule(change).catch((error: unknown) => fail("schedule", error));
  });

  const registerNode =
    deps.registerNode ??
    (async (node: FabricNodeSpec) => {
      const fabricGeneration = await deps.db.prisma.$transaction(async (tx) => {
        await tx.fabricNode.create({ data: { name: node.name, underlay: node.underlay } });
        const state = await tx.fabricState.upsert({
          where: { id: 1 },
          create: { id: 1, generation: 1 },
          update: { generation: { increment: 1 } },
        });
        return state.generation;
      });
      deps.events.emit("changed", {
        tenantId: null,
        tenant: null,
        generation: 0,
        fabricGeneration,
      });
      // Written behind the store's back: have it re-read everything before compiling.
      await activeFeed.schedule({ tenantId: null, fabricGeneration }, true);
    });

  const tokens = createNodeTokenVerifier(deps.db.sql);
  const issue = async (node: string): Promise<string> => {
    const token = await issueNodeToken(deps.db.prisma, node);
    tokens.invalidate();
    return token;
  };

  /** Who may connect as `node`: its own token, or a cloud admin's (self-registration). */
  const admit = async (
    request: IncomingMessage,
  ): Promise<{ node: string; registeredToken?: string } | { status: number; reason: string }> => {
    const url = new URL(request.url ?? "/", "http://agent");
    const node = url.searchParams.get("node") ?? "";
    const token = bearerOf(request);
    if (!node) return { status: 400, reason: "node query parameter required" };
    if (!token) return { status: 401, reason: "bearer token required" };
    if (await tokens.verify(node, token)) return { node };
    const principal = await deps.authenticate(token);
    if (principal?.globalRole !== "cloud_admin") return { status: 401, reason: "invalid token" };
    const exists = await deps.db.prisma.fabricNode.findUnique({ where: { name: node } });
    if (!exists) {
      const parsed = fabricNodeSchema.safeParse({
        name: node,
        underlay: url.searchParams.get("underlay"),
      });
      if (!parsed.success) {
        return { status: 400, reason: "a new node needs a valid name and underlay" };
      }
      await registerNode(parsed.data);
    }
    return { node, registeredToken: await issue(node) };
  };

  const wss = new WebSocketServer({
    noServer: true,
    perMessageDeflate: false,
    maxPayload: 64 << 20,
  });
  const onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const url = new URL(request.url ?? "/", "http://agent");
    if (url.pathname !== AGENT_PATH) return;
    admit(request)
      .then((admitted) => {
        if ("status" in admitted) {
          refuse(socket, admitted.status, admitted.reason);
          return;
        }
        wss.handleUpgrade(request, socket, head, (ws) => {
          if (admitted.registeredToken) {
            const registered: RegisteredMessage = {
              type: "registered",
              node: asNodeId(admitted.node),
              token: admitted.registeredToken,
            };
            ws.send(messageText(registered));
          }
          hub.attach(admitted.node, ws);
        });
      })
      .catch((error: unknown) => {
        fail("agent-admission", error, { url: request.url });
        refuse(socket, 500, "internal error");
      });
  };
  app.server.on("upgrade", onUpgrade);

  // The database part of the status (nodes served by other controllers) is read at most once
  // a second (half a heartbeat when shorter, so that staleness is not misjudged from old rows):
  // subscriptions recompute the status on every burst of acks.
  const rowsTtlMs = Math.min(1000, timing.heartbeatMs / 2);
  let rowsCache: { at: number; rows: Promise<[StoredNodeRow[], number]> } | undefined;
  const readRows = (): Promise<[StoredNodeRow[], number]> => {
    const now = Date.now();
    if (!rowsCache || now - rowsCache.at > rowsTtlMs) {
      const rows = Promise.all([readNodeRows(deps.db.sql), store.fabricGeneration()]);
      rowsCache = { at: now, rows };
      rows.catch(() => {
        rowsCache = undefined;
      });
    }
    return rowsCache.rows;
  };

  const inputs = async () => {
    const [rows, generation] = await readRows();
    return {
      generation,
      inputs: { hub, rows, now: Date.now(), staleAfterMs: timing.staleAfterMs },
    };
  };

  const status = async (): Promise<FabricStatus> => {
    const read = await inputs();
    return fabricStatus(read.inputs, read.generation, activeFeed.lastFailure);
  };

  const tenantStatusOf = async (tenant: TenantRef): Promise<TenantStatus> =>
    tenantStatus((await inputs()).inputs, tenant);

  /**
   * `compute` now, then again on every ack, heartbeat, staleness change or compile (and now
   * and then, for nodes other controllers serve), each time it differs, until `signal` aborts.
   */
  async function* pushes<T>(compute: () => Promise<T>, signal?: AbortSignal): AsyncGenerator<T> {
    let pending = true;
    let wake: (() => void) | undefined;
    const poke = () => {
      pending = true;
      wake?.();
    };
    const off = hub.onEvent(poke);
    // Nodes served by other controllers change only in the database; staleness only with time.
    const timer = setInterval(poke, Math.max(250, Math.min(1000, timing.heartbeatMs)));
    signal?.addEventListener("abort", poke);
    let last = "";
    try {
      while (!signal?.aborted) {
        if (!pending) {
          await new Promise<void>((resolve) => {
            wake = resolve;
          });
          wake = undefined;
          continue;
        }
        pending = false;
        const current = await compute();
        const text = JSON.stringify(current);
        if (text !== last) {
          last = text;
          yield current;
        }
        // At most ten pushes a second however many agents ack at once.
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    } finally {
      off();
      clearInterval(timer);
      signal?.removeEventListener("abort", poke);
    }
  }

  const distribution: Distribution = {
    hub,
    feed: activeFeed,
    status,
    onStatus: (signal) => pushes(status, signal),
    tenantStatus: tenantStatusOf,
    onTenantStatus: (tenant, signal) => pushes(() => tenantStatusOf(tenant()), signal),
    onTenantsStatus: (tenants, signal) =>
      pushes(() => Promise.all(tenants().map(tenantStatusOf)), signal),
    failures,
    nodeConfig(node) {
      const desired = hub.desiredOf(node);
      if (!desired) {
        throw new NetloomError("NOT_FOUND", `node ${node} not found`, [
          { path: "node", message: `node ${node} not found` },
        ]);
      }
      return { node, generation: desired.generation, hash: desired.hash, config: desired.config };
    },
    async hitCounts(node) {
      const local = hub.localState(node);
      if (local && hub.isServing(node)) return { ...local.hitCounts };
      const row = (await readNodeRows(deps.db.sql)).find((candidate) => candidate.name === node);
      if (!row) {
        throw new NetloomError("NOT_FOUND", `node ${node} not found`, [
          { path: "node", message: `node ${node} not found` },
        ]);
      }
      return row.hitCounts;
    },
    async tenantHitCounts(tenantId) {
      // Nodes this controller serves report fresher counts than the database holds.
      const perNode = new Map<string, Record<RuleId, number>>();
      for (const row of await readNodeRows(deps.db.sql)) {
        perNode.set(row.name, row.tenantHitCounts[tenantId] ?? {});
      }
      for (const node of hub.connectedNodes()) {
        const local = hub.localState(node);
        if (local) perNode.set(node, local.tenantHitCounts[tenantId] ?? {});
      }
      const totals: Record<RuleId, number> = {};
      for (const counts of perNode.values()) {
        for (const [ruleId, packets] of Object.entries(counts)) {
          totals[ruleId] = (totals[ruleId] ?? 0) + packets;
        }
      }
      return totals;
    },
    issueNodeToken: issue,
    settled: () => activeFeed.settled(),
    async close() {
      shuttingDown = true;
      unbind();
      offChanged();
      app.server.off("upgrade", onUpgrade);
      activeFeed.close();
      await watch.close();
      // A compile in flight reads the database: it ends before the database may close.
      await activeFeed.settled();
      await hub.close();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => wss.close(() => resolve()));
    },
  };

  const unbind = bindDistribution(deps.events, distribution);
  let closing: Promise<void> | undefined;
  app.addHook("preClose", async () => {
    closing ??= distribution.close();
    await closing;
  });

  await activeFeed.schedule("full");
  return distribution;
}
