import { z } from "zod";
import { NetloomError } from "./errors";
import { type Cidr, cidrSchema, type Ipv4, ipv4Schema, NAME_PATTERN } from "./intent";
import { quoteValue } from "./ipv4";

/**
 * Branded values: numbers and strings that are all plain on the wire but must not be mixed up
 * (a VNI is not a generation, a node id is not a tenant id). Each has a zod schema for inputs
 * and an `asX` constructor that validates and throws NetloomError INVALID.
 */

/** Highest VXLAN network identifier (24 bits). */
export const MAX_VNI = 16_777_215;

/** Zod schema of Vni, for API inputs. */
export const vniSchema = z
  .number()
  .int({ message: "a VNI is a whole number" })
  .min(1, { message: `a VNI is 1-${MAX_VNI}` })
  .max(MAX_VNI, { message: `a VNI is 1-${MAX_VNI}` })
  .brand<"Vni">();
/** A VXLAN network identifier, 1..16777215. */
export type Vni = z.infer<typeof vniSchema>;

/** Zod schema of NodeId: a forwarding node is known by its name (fabric file, agent registration). */
export const nodeIdSchema = z
  .string()
  .regex(NAME_PATTERN, { message: "must be a name like compute-1" })
  .brand<"NodeId">();
/** A forwarding node's identity: its name, e.g. `compute-1`. */
export type NodeId = z.infer<typeof nodeIdSchema>;

/** Zod schema of TenantId: store ids are opaque: letters, digits, `_` and `-`, at most 64. */
export const tenantIdSchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{1,64}$/, { message: "must be 1-64 letters, digits, '_' or '-'" })
  .brand<"TenantId">();
/** A tenant's stable store id (not its name: names may be reused after a delete). */
export type TenantId = z.infer<typeof tenantIdSchema>;

/** Zod schema of Generation, for API inputs. */
export const generationSchema = z
  .number()
  .int({ message: "a generation is a whole number" })
  .min(0, { message: "a generation is never negative" })
  .max(Number.MAX_SAFE_INTEGER)
  .brand<"Generation">();
/** A config generation: only grows; 0 before anything was applied. */
export type Generation = z.infer<typeof generationSchema>;

function construct<S extends z.ZodType>(schema: S, value: unknown, what: string): z.output<S> {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const shown = typeof value === "string" ? quoteValue(value) : String(value);
  // Custom issues come from our own checks and already name the value.
  const message =
    issue?.code === "custom" ? issue.message : `${shown} is not a ${what}: ${issue?.message}`;
  throw NetloomError.invalid([{ path: "", message }]);
}

/** A validated IPv4 prefix with no host bits set; throws NetloomError INVALID. */
export function asCidr(value: string): Cidr {
  return construct(cidrSchema, value, "CIDR");
}
/** A validated dotted-quad address; throws NetloomError INVALID. */
export function asIpv4(value: string): Ipv4 {
  return construct(ipv4Schema, value, "IPv4 address");
}
/** A validated VNI (1..16777215); throws NetloomError INVALID. */
export function asVni(value: number): Vni {
  return construct(vniSchema, value, "VNI");
}
/** A validated node id; throws NetloomError INVALID. */
export function asNodeId(value: string): NodeId {
  return construct(nodeIdSchema, value, "node id");
}
/** A validated tenant id; throws NetloomError INVALID. */
export function asTenantId(value: string): TenantId {
  return construct(tenantIdSchema, value, "tenant id");
}
/** A validated generation (non-negative integer); throws NetloomError INVALID. */
export function asGeneration(value: number): Generation {
  return construct(generationSchema, value, "generation");
}
