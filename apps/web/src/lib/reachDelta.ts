import { z } from "zod";

/**
 * The reachability delta of a dry run: every workload pair and flow class whose verdict flips
 * between the applied configs and the planned ones. The controller computes it (compiled configs
 * before and after); this module only reads it off the plan.
 */
export const reachFlipSchema = z.object({
  from: z.string(),
  to: z.string(),
  protocol: z.string(),
  port: z.number().int().optional(),
  /** Ports as a range text when the flow class is a range ("8000-8080"). */
  ports: z.string().optional(),
  before: z.enum(["allow", "deny"]),
  after: z.enum(["allow", "deny"]),
});
export type ReachFlip = z.infer<typeof reachFlipSchema>;

const deltaSchema = z.union([
  z.array(reachFlipSchema),
  z.object({ flips: z.array(reachFlipSchema) }).transform((d) => d.flips),
]);

/** The field of the dry-run answer that carries the delta. */
export const REACH_DELTA_FIELD = "reachability";

/**
 * The flips a dry-run answer carries, or null when this controller sends none (older
 * controllers): the review then says it cannot show them rather than "nothing changes".
 */
export function reachDeltaOf(plan: object): ReachFlip[] | null {
  const raw: unknown = (plan as Record<string, unknown>)[REACH_DELTA_FIELD];
  if (raw === undefined || raw === null) return null;
  const parsed = deltaSchema.safeParse(raw);
  if (!parsed.success) {
    console.warn(`dry run carries an unreadable reachability delta: ${parsed.error.message}`);
    return null;
  }
  return parsed.data;
}

/** "tcp/5432", "icmp", "udp/53-60": a flow class as the review prints it. */
export function flowClass(flip: ReachFlip): string {
  const ports = flip.ports ?? (flip.port === undefined ? undefined : String(flip.port));
  return ports ? `${flip.protocol}/${ports}` : flip.protocol;
}
