import { randomUUID } from "node:crypto";
import type { CompiledFabric, NodeConfig, RuleId } from "@netloom/compiler";
import { asNodeId, assertNever } from "@netloom/model";
import {
  type AgentMessage,
  messageText,
  PROTOCOL_VERSION,
  parseAgentMessage,
  type WelcomeMessage,
} from "@netloom/protocol";
import type { WebSocket } from "ws";
import { deltaText, diffTenants, snapshotText } from "./messages";

/** One node's desired state: its compiled config, hash, and the generation that produced it. */
export interface DesiredNode {
  config: NodeConfig;
  hash: string;
  /** Fabric generation at which this node's hash last changed. */
  generation: number;
  /** Tenant generation compiled into this config, per tenant id on the node. */
  tenantGenerations: Record<string, number>;
}

/** Drift the agent's reconcile found and repaired on its node, as it reported. */
export interface DriftState {
  /** Objects repaired since the agent started. */
  count: number;
  /** The last object repaired (`kind name`), null when none yet. */
  lastRepaired: string | null;
  /** When it was repaired (ISO time), null when none yet. */
  at: string | null;
}

/** Desired configs remembered per node, to tell which tenant generations an applied hash holds. */
const HISTORY_PER_NODE = 8;

/** What the hub needs from the database; implemented over Prisma/SQL in store.ts. */
export interface DistributionStore {
  /** FabricState.generation now. */
  fabricGeneration(): Promise<number>;
  /** Raises FabricState.generation to at least `generation` (never lowers it); returns it. */
  raiseFabricGeneration(generation: number): Promise<number>;
  /** Every tenant's committed generation, by tenant id. */
  tenantGenerations(): Promise<Map<string, number>>;
  /** Persists applied state, last-seen times and hit counts of nodes, in one round trip. */
  saveNodeStates(states: NodeStateRow[]): Promise<void>;
}

/** One node's reported state, as persisted in FabricNode. */
export interface NodeStateRow {
  name: string;
  appliedGeneration: number;
  appliedHash: string | null;
  lastSeenAt: Date;
  /** Only when changed since the last save. */
  hitCounts?: Record<RuleId, number>;
  /** With `hitCounts`: the same counts per tenant id (absent from agents that do not send them). */
  tenantHitCounts?: Record<string, Record<RuleId, number>>;
  /** What other controllers show of this node: whether its agent is connected, and its reports. */
  report: NodeReport;
}

/** A node's agent-reported state beyond generations, shared through the database. */
export interface NodeReport {
  /** False once the agent's connection closed (until a controller hears from it again). */
  connected: boolean;
  lastError: string | null;
  drift: DriftState;
  errors: Record<string, number>;
}

/** Where the hub reports failures it cannot hand to a caller: logged with context, counted. */
export type FailureSink = (kind: string, error: unknown, context: Record<string, unknown>) => void;

/** Per node, what this controller knows from its own agent connection. */
export interface LocalNodeState {
  appliedGeneration: number;
  appliedHash: string | null;
  lastSeen: number;
  stale: boolean;
  connected: boolean;
  hitCounts: Record<RuleId, number>;
  /** Per tenant id, then rule id: the only counts that may be shown to a tenant. */
  tenantHitCounts: Record<string, Record<RuleId, number>>;
  lastError: string | null;
  repaired: string[];
  drift: DriftState;
  /** Failures the agent counted since it started, by kind. */
  errors: Record<string, number>;
}

/** Timing of liveness checks. */
export interface HubTiming {
  /** Agents send a heartbeat this often. */
  heartbeatMs: number;
  /** A node not heard from for this long is stale. */
  staleAfterMs: number;
  /** Applied state is written to the database at most this often. */
  flushMs: number;
}

/** No message for this long: acks have stopped streaming in. */
const QUIET_MS = 50;
/** Node states written per statement. */
const FLUSH_SLICE = 100;

export const DEFAULT_TIMING: HubTiming = { heartbeatMs: 5000, staleAfterMs: 15000, flushMs: 1000 };

interface Session {
  node: string;
  socket: WebSocket;
  /** Hello received: the agent said what it holds. */
  ready: boolean;
  /** Hash and config the agent holds once it has processed everything sent. */
  sentHash: string | null;
  sentConfig: NodeConfig | undefined;
  /** Highest generation the agent has accepted or will have accepted. */
  sentGeneration: number;
  /** Hash of the config the agent accepted last, as it reported (hello, nack). */
  agentHash: string | null;
}

type HubEvent = "status";

/** Observers of the wire, for benchmarks and diagnostics; free when none is registered. */
export interface HubObserver {
  /** A message text was sent to the node's agent. */
  sent?(node: string, text: string): void;
  /** The node's agent acked `hash` at `generation`. */
  acked?(node: string, generation: number, hash: string): void;
}

/**
 * The distribution core: desired configs per node, one session per connected agent, and what
 * each agent reported. Sends a node something only when its hash changed; per change, work is
 * proportional to the nodes whose hash changed.
 */
export class DistributionHub {
  readonly controllerId = randomUUID();
  private readonly desired = new Map<string, DesiredNode>();
  /** Per node, tenant generations of its recent desired configs by hash (newest last). */
  private readonly history = new Map<string, Map<string, Record<string, number>>>();
  /** Per tenant id, the nodes whose desired config holds it. */
  private readonly tenantNodes = new Map<string, Set<string>>();
  /** Per tenant id, the tenant generation the installed compile holds. */
  private readonly tenantCompiled = new Map<string, number>();
  private readonly sessions = new Map<string, Session>();
  private readonly local = new Map<string, LocalNodeState>();
  private readonly dirty = new Set<string>();
  private readonly dirtyCounts = new Set<string>();
  private readonly listeners = new Set<(event: HubEvent) => void>();
  private readonly observers = new Set<HubObserver>();
  private generation = 0;
  /** Whether the last install came from a full compile (new objects for unchanged tenants). */
  private compareContent = true;
  private flushTimer: NodeJS.Timeout | undefined;
  private lastReceived = 0;
  private firstUnsaved: number | undefined;
  private staleTimer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> = Promise.resolve();
  private raising: Promise<void> | undefined;
  private closed = false;
  /** Bumped on every change of what `status` would show; subscriptions compare it. */
  statusVersion = 0;

  constructor(
    private readonly store: DistributionStore,
    readonly timing: HubTiming,
    /** Asks the owner to recompile from the database (after raising the generation). */
    private readonly requestRefresh: () => Promise<void>,
    private readonly onFailure: FailureSink = () => {},
  ) {
    this.staleTimer = setInterval(() => this.checkStaleness(), Math.min(timing.heartbeatMs, 1000));
    this.staleTimer.unref();
  }

  /** Newest fabric generation this controller has compiled. */
  get newestGeneration(): number {
    return this.generation;
  }

  desiredOf(node: string): DesiredNode | undefined {
    return this.desired.get(node);
  }

  desiredNodes(): ReadonlyMap<string, DesiredNode> {
    return this.desired;
  }

  /** Nodes whose desired config holds the tenant (by id). */
  nodesOfTenant(tenantId: string): ReadonlySet<string> {
    return this.tenantNodes.get(tenantId) ?? new Set();
  }

  /** The tenant generation the installed compile holds (0 when unknown or absent). */
  compiledTenantGeneration(tenantId: string): number {
    return this.tenantCompiled.get(tenantId) ?? 0;
  }

  /**
   * Tenant generations held by the node's config with `hash`, when it is one of the node's
   * recent desired configs (compiles are deterministic, so hashes agree across controllers).
   */
  tenantGenerationsOf(node: string, hash: string | null): Record<string, number> | undefined {
    if (hash === null) return undefined;
    return this.history.get(node)?.get(hash);
  }

  localState(node: string): LocalNodeState | undefined {
    return this.local.get(node);
  }

  /** Nodes with an agent connected to this controller. */
  connectedNodes(): string[] {
    return [...this.sessions.keys()];
  }

  /** Whether an agent for `node` is connected to this controller. */
  isServing(node: string): boolean {
    return this.sessions.has(node);
  }

  onEvent(listener: (event: HubEvent) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Watches messages sent and acks received; returns the function that stops watching. */
  observe(observer: HubObserver): () => void {
    this.observers.add(observer);
    return () => this.observers.delete(observer);
  }

  /**
   * Drops every agent connection (as a restart would): agents keep forwarding, reconnect, and
   * resync from a snapshot.
   */
  dropAll(): void {
    for (const session of this.sessions.values()) session.socket.close(1012, "service restart");
  }

  private changed(): void {
    this.statusVersion += 1;
    for (const listener of this.listeners) listener("status");
  }

  /**
   * Installs a compile made at fabric `generation`: nodes whose hash changed get the new
   * generation and are sent a delta; nodes no longer in the fabric are disconnected.
   * `incremental`: made by an incremental update, so unchanged tenants are the same objects.
   */
  install(
    compiled: CompiledFabric,
    generation: number,
    incremental = false,
    tenantGenerations: ReadonlyMap<string, number> = new Map(),
  ): void {
    this.compareContent = !incremental;
    if (generation < this.generation) generation = this.generation;
    this.generation = generation;
    for (const [tenantId, tenantGeneration] of tenantGenerations) {
      const known = this.tenantCompiled.get(tenantId) ?? 0;
      if (tenantGeneration > known) this.tenantCompiled.set(tenantId, tenantGeneration);
    }
    for (const [node, config] of Object.entries(compiled.nodes)) {
      const hash = compiled.hashes[node];
      if (hash === undefined) continue;
      const previous = this.desired.get(node);
      if (previous && previous.hash === hash) continue;
      const held: Record<string, number> = {};
      for (const tenant of config.tenants) {
        held[tenant.tenantId] = this.tenantCompiled.get(tenant.tenantId) ?? 0;
      }
      this.indexTenants(node, previous?.config, config);
      this.remember(node, hash, held);
      this.desired.set(node, { config, hash, generation, tenantGenerations: held });
      const session = this.sessions.get(node);
      if (session?.ready) this.sendUpdate(session);
    }
    for (const [node, desired] of [...this.desired]) {
      if (compiled.nodes[node]) continue;
      this.indexTenants(node, desired.config, undefined);
      this.history.delete(node);
      this.desired.delete(node);
      this.sessions.get(node)?.socket.close(4404, "node removed from the fabric");
    }
    this.changed();
  }

  /** Keeps the tenant index in step with one node's desired config. */
  private indexTenants(
    node: string,
    before: NodeConfig | undefined,
    after: NodeConfig | undefined,
  ) {
    const kept = new Set(after?.tenants.map((tenant) => tenant.tenantId));
    for (const tenant of before?.tenants ?? []) {
      if (kept.has(tenant.tenantId)) continue;
      const nodes = this.tenantNodes.get(tenant.tenantId);
      nodes?.delete(node);
      if (nodes?.size === 0) this.tenantNodes.delete(tenant.tenantId);
    }
    for (const tenantId of kept) {
      let nodes = this.tenantNodes.get(tenantId);
      if (!nodes) {
        nodes = new Set();
        this.tenantNodes.set(tenantId, nodes);
      }
      nodes.add(node);
    }
  }

  private remember(node: string, hash: string, tenantGenerations: Record<string, number>): void {
    let recent = this.history.get(node);
    if (!recent) {
      recent = new Map();
      this.history.set(node, recent);
    }
    recent.delete(hash);
    recent.set(hash, tenantGenerations);
    while (recent.size > HISTORY_PER_NODE) {
      const oldest = recent.keys().next();
      if (oldest.done) break;
      recent.delete(oldest.value);
    }
  }

  /** Sends the agent what it lacks: a snapshot when it holds nothing known, else a delta. */
  private sendUpdate(session: Session): void {
    const desired = this.desired.get(session.node);
    if (!desired || session.sentHash === desired.hash) return;
    let tag = desired.generation;
    if (tag <= session.sentGeneration) {
      if (desired.hash === session.agentHash) {
        // The agent holds this very config under a newer tag (from another controller): the
        // snapshot under its own tag is accepted as a repeat.
        tag = session.sentGeneration;
      } else if (this.generation > session.sentGeneration) {
        // It accepted a generation as new as this node's elsewhere: tag with the newest.
        tag = this.generation;
      } else {
        // It holds a generation newer than any here (another controller ahead, or a store that
        // was reset): raise the fabric generation above it first; generations only grow.
        this.raiseAbove(session.sentGeneration);
        return;
      }
    }
    let text: string;
    if (session.sentConfig === undefined || session.sentHash === null) {
      text = snapshotText(tag, desired.hash, desired.config);
    } else {
      // A delta carries the node's learned EVPN routes too when they changed (issue 14).
      const diff = diffTenants(session.sentConfig, desired.config, this.compareContent);
      text = deltaText(tag, session.sentHash, desired.hash, desired.config, diff);
    }
    session.socket.send(text);
    for (const observer of this.observers) observer.sent?.(session.node, text);
    session.sentHash = desired.hash;
    session.sentConfig = desired.config;
    session.sentGeneration = tag;
    session.agentHash = desired.hash;
  }

  private raiseAbove(generation: number): void {
    if (this.raising || this.closed) return;
    this.raising = (async () => {
      try {
        await this.store.raiseFabricGeneration(generation + 1);
        await this.requestRefresh();
      } finally {
        this.raising = undefined;
      }
      for (const session of this.sessions.values()) if (session.ready) this.sendUpdate(session);
    })().catch((error: unknown) => {
      this.onFailure("raise-generation", error, { above: generation });
    });
  }

  /** Takes over an authenticated agent connection for `node`. */
  attach(node: string, socket: WebSocket): void {
    const existing = this.sessions.get(node);
    // One agent per node: the newer connection wins (the old one is usually a dead socket).
    if (existing) existing.socket.close(4409, "replaced by a newer connection");
    const session: Session = {
      node,
      socket,
      ready: false,
      sentHash: null,
      sentConfig: undefined,
      sentGeneration: 0,
      agentHash: null,
    };
    this.sessions.set(node, session);
    const welcome: WelcomeMessage = {
      type: "welcome",
      node: asNodeId(node),
      controllerId: this.controllerId,
      heartbeatMs: this.timing.heartbeatMs,
    };
    socket.send(messageText(welcome));
    socket.on("message", (data, isBinary) => {
      if (isBinary) return;
      const message = parseAgentMessage(data.toString());
      if (!message) {
        socket.close(4400, "malformed message");
        return;
      }
      this.receive(session, message);
    });
    socket.on("close", () => {
      if (this.sessions.get(node) !== session) return;
      this.sessions.delete(node);
      const state = this.local.get(node);
      if (state) {
        state.connected = false;
        // Other controllers learn of the disconnect through the database, now.
        this.dirty.add(node);
        this.scheduleFlush(true);
      }
      this.changed();
    });
    socket.on("error", (error) => {
      // The close that follows ends the session; the cause is worth a log line.
      this.onFailure("agent-socket", error, { node });
    });
  }

  private stateOf(node: string): LocalNodeState {
    let state = this.local.get(node);
    if (!state) {
      state = {
        appliedGeneration: 0,
        appliedHash: null,
        lastSeen: Date.now(),
        stale: false,
        connected: true,
        hitCounts: {},
        tenantHitCounts: {},
        lastError: null,
        repaired: [],
        drift: { count: 0, lastRepaired: null, at: null },
        errors: {},
      };
      this.local.set(node, state);
    }
    return state;
  }

  /**
   * Starts a session over from what the agent holds: the next update it gets is a full
   * snapshot tagged after `generation`, never a delta against what was sent before.
   */
  private resync(session: Session, generation: number, agentHash: string | null): void {
    session.sentGeneration = generation;
    session.agentHash = agentHash;
    session.sentHash = null;
    session.sentConfig = undefined;
    this.sendUpdate(session);
  }

  private receive(session: Session, message: AgentMessage): void {
    const state = this.stateOf(session.node);
    state.lastSeen = Date.now();
    state.stale = false;
    state.connected = true;
    switch (message.type) {
      case "hello":
        if (message.protocol !== PROTOCOL_VERSION) {
          session.socket.close(4426, `protocol ${PROTOCOL_VERSION} required`);
          return;
        }
        state.appliedGeneration = message.appliedGeneration;
        state.appliedHash = message.appliedHash;
        session.ready = true;
        // A (re)connected agent always starts from a full snapshot (level-triggered).
        this.resync(session, message.acceptedGeneration, message.acceptedHash);
        break;
      case "ack":
        state.appliedGeneration = message.generation;
        state.appliedHash = message.hash;
        state.lastError = null;
        for (const observer of this.observers) {
          observer.acked?.(session.node, message.generation, message.hash);
        }
        break;
      case "nack":
        state.appliedGeneration = message.appliedGeneration;
        state.appliedHash = message.appliedHash;
        state.lastError = `${message.reason}: ${message.message}`;
        switch (message.reason) {
          case "apply-failed":
            // The agent keeps the config and retries on its own resync period.
            break;
          case "stale-generation":
            this.resync(
              session,
              Math.max(session.sentGeneration, message.acceptedGeneration),
              message.acceptedHash,
            );
            break;
          case "base-mismatch":
            // Not accepted: what the agent holds is what it says, not what was sent.
            this.resync(session, message.acceptedGeneration, message.acceptedHash);
            break;
          default:
            assertNever(message.reason, "nack reason");
        }
        break;
      case "heartbeat":
        state.appliedGeneration = message.appliedGeneration;
        state.appliedHash = message.appliedHash;
        state.repaired = message.repaired;
        if (message.drift) state.drift = message.drift;
        if (message.errors) state.errors = message.errors;
        {
          const tenantCounts = message.tenantCounters ?? {};
          if (
            !sameCounts(state.hitCounts, message.counters) ||
            !sameTenantCounts(state.tenantHitCounts, tenantCounts)
          ) {
            state.hitCounts = message.counters;
            state.tenantHitCounts = tenantCounts;
            this.dirtyCounts.add(session.node);
          }
        }
        break;
      case "resync":
        session.sentHash = null;
        session.sentConfig = undefined;
        this.sendUpdate(session);
        break;
      default:
        assertNever(message, "agent message");
    }
    this.dirty.add(session.node);
    // Heartbeats trickle in all the time; only acks and the like come in bursts worth waiting out.
    this.scheduleFlush(message.type !== "heartbeat");
    this.changed();
  }

  /**
   * Writes reported state at most every `flushMs`, and not while acks are streaming in (PGlite
   * runs on this thread: a write in the middle of a convergence would delay it), unless the
   * oldest unsaved report is five periods old.
   */
  private scheduleFlush(burst: boolean): void {
    const now = Date.now();
    if (burst) this.lastReceived = now;
    this.firstUnsaved ??= now;
    if (this.flushTimer || this.closed) return;
    const attempt = () => {
      const now = Date.now();
      const quiet = now - this.lastReceived >= QUIET_MS;
      const overdue = now - (this.firstUnsaved ?? now) >= 5 * this.timing.flushMs;
      if (!quiet && !overdue && !this.closed) {
        this.flushTimer = setTimeout(attempt, QUIET_MS);
        return;
      }
      this.flushTimer = undefined;
      this.firstUnsaved = undefined;
      this.flushing = this.flushing.then(() => this.flush());
    };
    this.flushTimer = setTimeout(attempt, this.timing.flushMs);
  }

  /** Writes every node state reported since the last flush in one statement. */
  async flush(): Promise<void> {
    if (this.dirty.size === 0) return;
    const rows: NodeStateRow[] = [];
    for (const node of this.dirty) {
      const state = this.local.get(node);
      if (!state) continue;
      const row: NodeStateRow = {
        name: node,
        appliedGeneration: state.appliedGeneration,
        appliedHash: state.appliedHash,
        lastSeenAt: new Date(state.lastSeen),
        report: {
          connected: state.connected,
          lastError: state.lastError,
          drift: state.drift,
          errors: state.errors,
        },
      };
      if (this.dirtyCounts.has(node)) {
        row.hitCounts = state.hitCounts;
        row.tenantHitCounts = state.tenantHitCounts;
      }
      rows.push(row);
    }
    const countsToSave = new Set(this.dirtyCounts);
    this.dirty.clear();
    this.dirtyCounts.clear();
    let saved = 0;
    try {
      // In slices: on PGlite each statement runs on this thread, and acks must not wait long.
      for (let start = 0; start < rows.length; start += FLUSH_SLICE) {
        await this.store.saveNodeStates(rows.slice(start, start + FLUSH_SLICE));
        saved = start + FLUSH_SLICE;
        if (start + FLUSH_SLICE < rows.length)
          await new Promise((resolve) => setImmediate(resolve));
      }
    } catch (error) {
      // Not written: keep those nodes dirty so the next flush writes them (newest state then).
      const unsaved = rows.slice(saved);
      for (const row of unsaved) {
        this.dirty.add(row.name);
        if (countsToSave.has(row.name)) this.dirtyCounts.add(row.name);
      }
      this.onFailure("save-node-states", error, { nodes: unsaved.length });
      if (!this.closed) this.scheduleFlush(false);
    }
  }

  private checkStaleness(): void {
    const now = Date.now();
    let changed = false;
    for (const [node, state] of this.local) {
      const stale = now - state.lastSeen > this.timing.staleAfterMs;
      if (stale !== state.stale) {
        state.stale = stale;
        changed = true;
      }
      if (stale && now - state.lastSeen > 2 * this.timing.staleAfterMs) {
        // Silent for two stale periods: the connection is dead even if TCP has not noticed.
        this.sessions.get(node)?.socket.terminate();
      }
    }
    if (changed) this.changed();
  }

  /** Closes every agent connection (agents keep forwarding and reconnect) and stops timers. */
  async close(): Promise<void> {
    this.closed = true;
    if (this.staleTimer) clearInterval(this.staleTimer);
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = undefined;
    for (const session of this.sessions.values())
      session.socket.close(1001, "controller going away");
    this.sessions.clear();
    // Writes in flight end before the database may close: a raise, a flush, then the last one.
    await this.raising;
    await this.flushing;
    await this.flush();
  }
}

function sameTenantCounts(
  a: Record<string, Record<string, number>>,
  b: Record<string, Record<string, number>>,
): boolean {
  const keys = Object.keys(b);
  if (keys.length !== Object.keys(a).length) return false;
  return keys.every((key) => {
    const left = a[key];
    const right = b[key];
    return left !== undefined && right !== undefined && sameCounts(left, right);
  });
}

function sameCounts(a: Record<string, number>, b: Record<string, number>): boolean {
  const keys = Object.keys(b);
  if (keys.length !== Object.keys(a).length) return false;
  return keys.every((key) => a[key] === b[key]);
}
