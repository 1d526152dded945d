import type { NodeConfig, RuleId, TenantConfig } from "@netloom/compiler";

/**
 * The wire protocol between the controller's distribution and an agent, over one WebSocket per
 * node (see docs/decisions/0003-distribution.md). Every message is one JSON text frame with a
 * `type`. It lives in a package because both apps speak it and apps never import each other.
 */

/** Path of the agent endpoint on the controller. */
export const AGENT_PATH = "/agent";

/** Bumped when a message changes incompatibly; the controller refuses other versions. */
export const PROTOCOL_VERSION = 1;

/** Controller to agent: the node's whole desired config. */
export interface SnapshotMessage {
  type: "snapshot";
  generation: number;
  hash: string;
  config: NodeConfig;
}

/**
 * Controller to agent: the difference against the config whose hash is `baseHash`, per tenant.
 * An agent whose applied hash is not `baseHash` asks for a snapshot instead of guessing.
 */
export interface DeltaMessage {
  type: "delta";
  generation: number;
  baseHash: string;
  hash: string;
  /** Set when the node's own underlay address changed. */
  underlay?: string;
  /** Whole tenant configs to add or replace, by `tenantId`. */
  replace: TenantConfig[];
  /** `tenantId`s no longer on this node. */
  remove: string[];
  /** `tenantId`s of the resulting config in order (so both sides end with equal configs). */
  order?: string[];
}

/** Controller to a self-registered agent: its node token, to be used from now on. */
export interface RegisteredMessage {
  type: "registered";
  node: string;
  token: string;
}

/** Controller to agent: how often to send heartbeats; sent first on every connection. */
export interface WelcomeMessage {
  type: "welcome";
  node: string;
  controllerId: string;
  heartbeatMs: number;
}

export type ControllerMessage = SnapshotMessage | DeltaMessage | RegisteredMessage | WelcomeMessage;

/** Agent to controller, first message: what it has applied (survives controller restarts). */
export interface HelloMessage {
  type: "hello";
  protocol: number;
  appliedGeneration: number;
  appliedHash: string | null;
  /** The newest config accepted (applied or being applied); deltas apply against it. */
  acceptedGeneration: number;
  acceptedHash: string | null;
}

/** Agent to controller: `generation` with `hash` is applied (driver.apply resolved). */
export interface AckMessage {
  type: "ack";
  generation: number;
  hash: string;
}

export const NACK_REASONS = ["stale-generation", "base-mismatch", "apply-failed"] as const;
export type NackReason = (typeof NACK_REASONS)[number];

/** Agent to controller: a config it did not apply, and what it still has applied. */
export interface NackMessage {
  type: "nack";
  generation: number;
  reason: NackReason;
  message: string;
  appliedGeneration: number;
  appliedHash: string | null;
  acceptedGeneration: number;
  acceptedHash: string | null;
}

/** Agent to controller, periodically: liveness, what is applied, rule hit counters. */
export interface HeartbeatMessage {
  type: "heartbeat";
  appliedGeneration: number;
  appliedHash: string | null;
  counters: Record<RuleId, number>;
  /**
   * The same counts per tenant id, then per rule id. Optional on the wire: agents older than
   * this field send only `counters`.
   */
  tenantCounters?: Record<string, Record<RuleId, number>>;
  /** What the last reconcile repaired, if anything. */
  repaired: string[];
}

/** Agent to controller: send me a full snapshot (e.g. after a base-mismatch). */
export interface ResyncMessage {
  type: "resync";
}

export type AgentMessage =
  | HelloMessage
  | AckMessage
  | NackMessage
  | HeartbeatMessage
  | ResyncMessage;

/**
 * The config a delta leads to from `base`: tenants in the delta's `order` when it has one, else
 * base order with new tenants appended, so both ends of the wire hold equal configs.
 */
export function applyDelta(base: NodeConfig, delta: DeltaMessage): NodeConfig {
  const replacements = new Map(delta.replace.map((tenant) => [tenant.tenantId, tenant]));
  const removed = new Set(delta.remove);
  const tenants: TenantConfig[] = [];
  for (const tenant of base.tenants) {
    if (removed.has(tenant.tenantId)) continue;
    const replacement = replacements.get(tenant.tenantId);
    if (replacement) {
      tenants.push(replacement);
      replacements.delete(tenant.tenantId);
    } else {
      tenants.push(tenant);
    }
  }
  for (const added of replacements.values()) tenants.push(added);
  const underlay = delta.underlay ?? base.underlay;
  if (!delta.order) return { ...base, underlay, tenants };
  const byId = new Map(tenants.map((tenant) => [tenant.tenantId, tenant]));
  const ordered: TenantConfig[] = [];
  for (const id of delta.order) {
    const tenant = byId.get(id);
    if (tenant) ordered.push(tenant);
  }
  return { ...base, underlay, tenants: ordered };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A frame's JSON object (its fields still unchecked); undefined for anything else. */
function parseFrame(text: string): Record<string, unknown> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  return isRecord(value) ? value : undefined;
}

/**
 * Parses one text frame from a controller. Only the envelope is checked: the config inside comes
 * from the authenticated controller and is the compiler's output.
 */
export function parseControllerMessage(text: string): ControllerMessage | undefined {
  const value = parseFrame(text);
  if (!value) return undefined;
  switch (value.type) {
    case "snapshot":
      return typeof value.generation === "number" &&
        typeof value.hash === "string" &&
        isRecord(value.config)
        ? (value as unknown as SnapshotMessage)
        : undefined;
    case "delta":
      return typeof value.generation === "number" &&
        typeof value.baseHash === "string" &&
        typeof value.hash === "string" &&
        Array.isArray(value.replace) &&
        Array.isArray(value.remove)
        ? (value as unknown as DeltaMessage)
        : undefined;
    case "registered":
      return typeof value.node === "string" && typeof value.token === "string"
        ? (value as unknown as RegisteredMessage)
        : undefined;
    case "welcome":
      return typeof value.node === "string" && typeof value.heartbeatMs === "number"
        ? (value as unknown as WelcomeMessage)
        : undefined;
    default:
      return undefined;
  }
}

function isCounters(value: unknown): value is Record<string, number> {
  return isRecord(value) && Object.values(value).every((count) => typeof count === "number");
}

function isTenantCounters(value: unknown): value is Record<string, Record<string, number>> {
  return isRecord(value) && Object.values(value).every(isCounters);
}

function isHashOrNull(value: unknown): value is string | null {
  return value === null || typeof value === "string";
}

/** Parses one text frame from an agent; anything malformed is undefined (the socket is closed). */
export function parseAgentMessage(text: string): AgentMessage | undefined {
  const value = parseFrame(text);
  if (!value) return undefined;
  switch (value.type) {
    case "hello":
      return typeof value.protocol === "number" &&
        typeof value.appliedGeneration === "number" &&
        isHashOrNull(value.appliedHash) &&
        typeof value.acceptedGeneration === "number" &&
        isHashOrNull(value.acceptedHash)
        ? {
            type: "hello",
            protocol: value.protocol,
            appliedGeneration: value.appliedGeneration,
            appliedHash: value.appliedHash,
            acceptedGeneration: value.acceptedGeneration,
            acceptedHash: value.acceptedHash,
          }
        : undefined;
    case "ack":
      return typeof value.generation === "number" && typeof value.hash === "string"
        ? { type: "ack", generation: value.generation, hash: value.hash }
        : undefined;
    case "nack": {
      const reason = NACK_REASONS.find((known) => known === value.reason);
      return typeof value.generation === "number" &&
        reason !== undefined &&
        typeof value.appliedGeneration === "number" &&
        isHashOrNull(value.appliedHash) &&
        typeof value.acceptedGeneration === "number" &&
        isHashOrNull(value.acceptedHash)
        ? {
            type: "nack",
            generation: value.generation,
            reason,
            message: typeof value.message === "string" ? value.message : "",
            appliedGeneration: value.appliedGeneration,
            appliedHash: value.appliedHash,
            acceptedGeneration: value.acceptedGeneration,
            acceptedHash: value.acceptedHash,
          }
        : undefined;
    }
    case "heartbeat":
      return typeof value.appliedGeneration === "number" &&
        isHashOrNull(value.appliedHash) &&
        isCounters(value.counters)
        ? {
            type: "heartbeat",
            appliedGeneration: value.appliedGeneration,
            appliedHash: value.appliedHash,
            counters: value.counters,
            ...(isTenantCounters(value.tenantCounters)
              ? { tenantCounters: value.tenantCounters }
              : {}),
            repaired: Array.isArray(value.repaired)
              ? value.repaired.filter((item): item is string => typeof item === "string")
              : [],
          }
        : undefined;
    case "resync":
      return { type: "resync" };
    default:
      return undefined;
  }
}
