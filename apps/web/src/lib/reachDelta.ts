import type { RouterOutputs } from "@netloom/controller/types";

/**
 * The controller's review of a dry run (`intent.applyFile` or `intent.restore` with `dryRun`):
 * the field-level diff per object and the reachability delta, the workload classes and flow
 * classes whose verdict flips between the configs compiled before and after.
 */
export type Review = NonNullable<RouterOutputs["intent"]["applyFile"]["review"]>;
export type ObjectReview = Review["objects"][number];
export type ReachFlip = Review["reachability"]["flips"][number];

/** "tcp/5432", "icmp", "udp/53-60", "any": a flow class as the review prints it. */
export function flowClass(flip: Pick<ReachFlip, "flow">): string {
  const { protocol, port, portTo } = flip.flow;
  if (port === undefined) return protocol;
  return portTo === undefined || portTo === port
    ? `${protocol}/${port}`
    : `${protocol}/${port}-${portTo}`;
}

/** A side of a flip: one workload, or a class of workloads that share every verdict. */
export function workloadsText(names: readonly string[]): string {
  return names.length <= 3
    ? names.join(", ")
    : `${names.slice(0, 3).join(", ")} and ${names.length - 3} more`;
}

/** A field's value in the diff: JSON, as in the file; absent fields say so. */
export function valueText(value: unknown): string | undefined {
  return value === undefined ? undefined : JSON.stringify(value);
}
