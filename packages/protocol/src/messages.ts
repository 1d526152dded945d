import type { NodeConfig, TenantConfig } from "@netloom/compiler";
import { type Generation, generationSchema, nodeIdSchema, tenantIdSchema } from "@netloom/model";
import { z } from "zod";

/**
 * The wire protocol between the controller's distribution and an agent, over one WebSocket per
 * node (see docs/decisions/0003-distribution.md). Every message is one JSON text frame with a
 * `type`, described here by its zod schema; both ends parse with these schemas, so a message is
 * typed only once it has been checked. It is its own package because both apps speak it, apps
 * never import each other, and the controller must not load the dataplane to speak it.
 */

/** Path of the agent endpoint on the controller. */
export const AGENT_PATH = "/agent";

/** Bumped when a message changes incompatibly; the controller refuses other versions. */
export const PROTOCOL_VERSION = 1;

const hashSchema = z.string().min(1);
const hashOrNullSchema = hashSchema.nullable();

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * A node config or tenant config inside a message: checked to be an object only. It comes from
 * the authenticated controller and is the compiler's output; validating every field on every
 * snapshot would cost the agent more than the apply.
 */
const nodeConfigSchema = z.custom<NodeConfig>(
  (value) => isPlainObject(value) && Array.isArray(value.tenants),
  { message: "a node config is an object with tenants" },
);
const tenantConfigSchema = z.custom<TenantConfig>(
  (value) => isPlainObject(value) && typeof value.tenantId === "string",
  { message: "a tenant config is an object with a tenantId" },
);

/** Controller to agent: the node's whole desired config. */
export const snapshotMessageSchema = z.object({
  type: z.literal("snapshot"),
  generation: generationSchema,
  hash: hashSchema,
  config: nodeConfigSchema,
});
export type SnapshotMessage = z.infer<typeof snapshotMessageSchema>;

/**
 * Controller to agent: the difference against the config whose hash is `baseHash`, per tenant.
 * An agent whose applied hash is not `baseHash` asks for a snapshot instead of guessing.
 */
export const deltaMessageSchema = z.object({
  type: z.literal("delta"),
  generation: generationSchema,
  baseHash: hashSchema,
  hash: hashSchema,
  /** Set when the node's own underlay address changed. */
  underlay: z.string().optional(),
  /** Issue 14: set when the node's learned EVPN routes changed, whole (`[]`: none now). */
  learnedRoutes: z
    .array(
      z.custom<NonNullable<NodeConfig["learnedRoutes"]>[number]>(isPlainObject, {
        message: "a learned route is an object",
      }),
    )
    .optional(),
  /** Whole tenant configs to add or replace, by `tenantId`. */
  replace: z.array(tenantConfigSchema),
  /** `tenantId`s no longer on this node. */
  remove: z.array(z.string()),
  /** `tenantId`s of the resulting config in order (so both sides end with equal configs). */
  order: z.array(z.string()).optional(),
});
export type DeltaMessage = z.infer<typeof deltaMessageSchema>;

/** Controller to a self-registered agent: its node token, to be used from now on. */
export const registeredMessageSchema = z.object({
  type: z.literal("registered"),
  node: nodeIdSchema,
  token: z.string().min(1),
});
export type RegisteredMessage = z.infer<typeof registeredMessageSchema>;

/** Controller to agent: how often to send heartbeats; sent first on every connection. */
export const welcomeMessageSchema = z.object({
  type: z.literal("welcome"),
  node: nodeIdSchema,
  controllerId: z.string(),
  heartbeatMs: z.number().int().positive(),
});
export type WelcomeMessage = z.infer<typeof welcomeMessageSchema>;

export const controllerMessageSchema = z.discriminatedUnion("type", [
  snapshotMessageSchema,
  deltaMessageSchema,
  registeredMessageSchema,
  welcomeMessageSchema,
]);
export type ControllerMessage = z.infer<typeof controllerMessageSchema>;

/** Agent to controller, first message: what it has applied (survives controller restarts). */
export const helloMessageSchema = z.object({
  type: z.literal("hello"),
  protocol: z.number().int(),
  appliedGeneration: generationSchema,
  appliedHash: hashOrNullSchema,
  /** The newest config accepted (applied or being applied); deltas apply against it. */
  acceptedGeneration: generationSchema,
  acceptedHash: hashOrNullSchema,
});
export type HelloMessage = z.infer<typeof helloMessageSchema>;

/** Agent to controller: `generation` with `hash` is applied (driver.apply resolved). */
export const ackMessageSchema = z.object({
  type: z.literal("ack"),
  generation: generationSchema,
  hash: hashSchema,
});
export type AckMessage = z.infer<typeof ackMessageSchema>;

export const NACK_REASONS = ["stale-generation", "base-mismatch", "apply-failed"] as const;
export const nackReasonSchema = z.enum(NACK_REASONS);
export type NackReason = z.infer<typeof nackReasonSchema>;

/** Agent to controller: a config it did not apply, and what it still has applied. */
export const nackMessageSchema = z.object({
  type: z.literal("nack"),
  generation: generationSchema,
  reason: nackReasonSchema,
  message: z.string().default(""),
  appliedGeneration: generationSchema,
  appliedHash: hashOrNullSchema,
  acceptedGeneration: generationSchema,
  acceptedHash: hashOrNullSchema,
});
export type NackMessage = z.infer<typeof nackMessageSchema>;

const countersSchema = z.record(z.string(), z.number());

/** Drift found and repaired on the node by the agent's reconcile, since the agent started. */
export const driftReportSchema = z.object({
  /** Objects repaired since the agent started. */
  count: z.number().int().min(0),
  /** The last object repaired (`kind name`), null when none yet. */
  lastRepaired: z.string().nullable(),
  /** When (ISO time), null when none yet. */
  at: z.string().nullable(),
});
export type DriftReport = z.infer<typeof driftReportSchema>;

/** Agent to controller, periodically: liveness, what is applied, rule hit counters, drift. */
export const heartbeatMessageSchema = z.object({
  type: z.literal("heartbeat"),
  appliedGeneration: generationSchema,
  appliedHash: hashOrNullSchema,
  /** Packet hits per rule id, summed over the node's tenants. */
  counters: countersSchema,
  /**
   * The same counts per tenant id, then per rule id. Optional on the wire: agents older than
   * this field send only `counters`.
   */
  tenantCounters: z.record(tenantIdSchema, countersSchema).optional(),
  /** What the last reconcile repaired, if anything. */
  repaired: z.array(z.string()).default([]),
  /** Drift repaired so far (absent from older agents). */
  drift: driftReportSchema.optional(),
  /** Failures on the node since the agent started, by kind (`apply`, `reconcile`, `state-file`...). */
  errors: z.record(z.string(), z.number().int().min(0)).optional(),
});
export type HeartbeatMessage = z.infer<typeof heartbeatMessageSchema>;

/** Agent to controller: send me a full snapshot (e.g. after a base-mismatch). */
export const resyncMessageSchema = z.object({ type: z.literal("resync") });
export type ResyncMessage = z.infer<typeof resyncMessageSchema>;

export const agentMessageSchema = z.discriminatedUnion("type", [
  helloMessageSchema,
  ackMessageSchema,
  nackMessageSchema,
  heartbeatMessageSchema,
  resyncMessageSchema,
]);
export type AgentMessage = z.infer<typeof agentMessageSchema>;

/** What a message on the wire looks like before parsing: plain numbers and strings. */
export type WireAgentMessage = z.input<typeof agentMessageSchema>;
export type WireControllerMessage = z.input<typeof controllerMessageSchema>;

function parseText<S extends z.ZodType>(schema: S, text: string): z.output<S> | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = schema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** Parses one text frame from a controller; anything malformed is undefined. */
export function parseControllerMessage(text: string): ControllerMessage | undefined {
  return parseText(controllerMessageSchema, text);
}

/**
 * An ack, checked by hand: a controller receives one per node per change (10,000 at once at
 * scale), and the schema's generic walk cost more than everything else done with it. The same
 * rules as `ackMessageSchema`; anything else goes through the schema.
 */
function quickAck(value: unknown): AckMessage | undefined {
  if (!isPlainObject(value) || value.type !== "ack") return undefined;
  const { generation, hash } = value;
  if (typeof hash !== "string" || hash.length === 0) return undefined;
  if (typeof generation !== "number" || !Number.isSafeInteger(generation) || generation < 0) {
    return undefined;
  }
  // Checked just above exactly as generationSchema checks it: the brand is earned.
  return { type: "ack", generation: generation as Generation, hash };
}

/** Parses one text frame from an agent; anything malformed is undefined (the socket is closed). */
export function parseAgentMessage(text: string): AgentMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  const ack = quickAck(value);
  if (ack) return ack;
  const parsed = agentMessageSchema.safeParse(value);
  return parsed.success ? parsed.data : undefined;
}

/** One message as its text frame. */
export function messageText(message: WireAgentMessage | WireControllerMessage): string {
  return JSON.stringify(message);
}
