import {
  type IntentFile,
  RESOURCE_KIND_NOUNS,
  RESOURCE_KINDS,
  type ResourceKind,
  type Verdict,
} from "@netloom/model";
import { type ClassMatrix, type FlowClass, reachClasses } from "./classes";
import type { CompiledFabric } from "./config";

/*
 * The review of a change before it is applied: what each changed object's fields become (like
 * `kubectl diff`), and which workload pairs and flow classes flip verdict (the reachability
 * delta, computed on the compiled configs before and after with the class-based matrix).
 */

/** One field of an object that differs: its path inside the object, before and after. */
export interface FieldChange {
  /** `rules[0].ports`; "" for the whole object (created or deleted). */
  path: string;
  /** Absent when the field did not exist before. */
  before?: unknown;
  /** Absent when the field does not exist after. */
  after?: unknown;
}

/** One created, updated or deleted object of the intent with its changed fields. */
export interface ObjectDiff {
  kind: ResourceKind;
  name: string;
  action: "create" | "update" | "delete";
  fields: FieldChange[];
}

/**
 * Workload pairs whose verdict flips for one flow class: every workload of `from` to every
 * workload of `to` (distinct workloads; the groups are compressed, not sampled).
 */
export interface ReachFlip {
  from: string[];
  to: string[];
  flow: FlowClass;
  before: Verdict;
  after: Verdict;
}

export interface ReachDelta {
  /** Ordered workload pairs times flow classes that flip, counted one by one. */
  flippedPairs: number;
  flips: ReachFlip[];
}

export interface Review {
  objects: ObjectDiff[];
  reachability: ReachDelta;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** Leaf-level differences of two JSON values, with paths (`a.b[2].c`). */
function diffValues(before: unknown, after: unknown, path: string, out: FieldChange[]): void {
  if (Array.isArray(before) && Array.isArray(after)) {
    const length = Math.max(before.length, after.length);
    for (let i = 0; i < length; i++) {
      const child = `${path}[${i}]`;
      if (i >= before.length) out.push({ path: child, after: after[i] });
      else if (i >= after.length) out.push({ path: child, before: before[i] });
      else diffValues(before[i], after[i], child, out);
    }
    return;
  }
  if (isRecord(before) && isRecord(after)) {
    const keys = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
    for (const key of keys) {
      const child = path === "" ? key : `${path}.${key}`;
      if (!(key in before)) out.push({ path: child, after: after[key] });
      else if (!(key in after)) out.push({ path: child, before: before[key] });
      else diffValues(before[key], after[key], child, out);
    }
    return;
  }
  if (JSON.stringify(before) !== JSON.stringify(after)) out.push({ path, before, after });
}

/** Every created, updated and deleted object between two intents, field by field. */
export function diffIntent(before: IntentFile | undefined, after: IntentFile): ObjectDiff[] {
  const diffs: ObjectDiff[] = [];
  for (const kind of RESOURCE_KINDS) {
    const old = new Map<string, unknown>(
      (before?.[kind] ?? []).map((object) => [object.name, object]),
    );
    const now = new Map<string, unknown>(
      (after[kind] ?? []).map((object) => [object.name, object]),
    );
    for (const [name, object] of now) {
      const previous = old.get(name);
      if (previous === undefined) {
        diffs.push({ kind, name, action: "create", fields: [{ path: "", after: object }] });
        continue;
      }
      const fields: FieldChange[] = [];
      diffValues(previous, object, "", fields);
      if (fields.length > 0) diffs.push({ kind, name, action: "update", fields });
    }
    for (const [name, object] of old) {
      if (!now.has(name)) {
        diffs.push({ kind, name, action: "delete", fields: [{ path: "", before: object }] });
      }
    }
  }
  return diffs;
}

/** The port boundaries of a matrix's flow classes, by protocol. */
function refinedFlows(before: ClassMatrix, after: ClassMatrix): FlowClass[] {
  const starts = { tcp: new Set<number>([1]), udp: new Set<number>([1]) };
  for (const flow of [...before.flows, ...after.flows]) {
    if ((flow.protocol === "tcp" || flow.protocol === "udp") && flow.port !== undefined) {
      starts[flow.protocol].add(flow.port);
    }
  }
  const flows: FlowClass[] = [{ protocol: "icmp" }];
  for (const protocol of ["tcp", "udp"] as const) {
    const sorted = [...starts[protocol]].sort((a, b) => a - b);
    sorted.forEach((port, i) => {
      flows.push({ protocol, port, portTo: (sorted[i + 1] ?? 65536) - 1 });
    });
  }
  return flows;
}

/** For each refined flow: the index of the matrix's flow class containing it (or -1). */
function flowIndexes(matrix: ClassMatrix, flows: readonly FlowClass[]): Int32Array {
  const indexes = new Int32Array(flows.length).fill(-1);
  flows.forEach((flow, i) => {
    indexes[i] = matrix.flows.findIndex(
      (candidate) =>
        candidate.protocol === flow.protocol &&
        (flow.port === undefined ||
          (candidate.port !== undefined &&
            candidate.port <= flow.port &&
            flow.port <= (candidate.portTo ?? candidate.port))),
    );
  });
  return indexes;
}

/** Each workload's class in a matrix, by name (-1: not in it). */
function classByName(matrix: ClassMatrix): Map<string, number> {
  const byName = new Map<string, number>();
  matrix.classes.forEach((members, id) => {
    for (const member of members) {
      const name = matrix.workloads[member];
      if (name !== undefined) byName.set(name, id);
    }
  });
  return byName;
}

/**
 * Every workload pair and flow class whose verdict flips between two matrices. A workload that
 * exists on one side only counts as denied everything on the other. Workloads are grouped by
 * their pair of classes (before, after): one comparison per group pair, exact for every member.
 */
export function reachDelta(before: ClassMatrix, after: ClassMatrix): ReachDelta {
  const flows = refinedFlows(before, after);
  const beforeFlow = flowIndexes(before, flows);
  const afterFlow = flowIndexes(after, flows);
  const beforeClass = classByName(before);
  const afterClass = classByName(after);
  const names = [...new Set([...before.workloads, ...after.workloads])].sort();
  const groupIds = new Map<string, number>();
  const groups: { members: string[]; before: number; after: number }[] = [];
  for (const name of names) {
    const b = beforeClass.get(name) ?? -1;
    const a = afterClass.get(name) ?? -1;
    const key = `${b} ${a}`;
    let id = groupIds.get(key);
    if (id === undefined) {
      id = groups.length;
      groupIds.set(key, id);
      groups.push({ members: [], before: b, after: a });
    }
    groups[id]?.members.push(name);
  }
  const allowed = (matrix: ClassMatrix, from: number, to: number, flow: number): boolean =>
    from >= 0 &&
    to >= 0 &&
    flow >= 0 &&
    matrix.palette[matrix.pairs[from]?.[to] ?? -1]?.includes(flow) === true;
  const delta: ReachDelta = { flippedPairs: 0, flips: [] };
  for (const source of groups) {
    for (const target of groups) {
      const pairs =
        source === target
          ? source.members.length * (source.members.length - 1)
          : source.members.length * target.members.length;
      if (pairs === 0) continue;
      flows.forEach((flow, k) => {
        const was = allowed(before, source.before, target.before, beforeFlow[k] ?? -1);
        const is = allowed(after, source.after, target.after, afterFlow[k] ?? -1);
        if (was === is) return;
        delta.flippedPairs += pairs;
        delta.flips.push({
          from: source.members,
          to: target.members,
          flow,
          before: was ? "allow" : "deny",
          after: is ? "allow" : "deny",
        });
      });
    }
  }
  return delta;
}

/** The review of a tenant's candidate: field diffs and the reachability delta. */
export function review(
  tenant: string,
  before: { intent: IntentFile | undefined; compiled: CompiledFabric },
  after: { intent: IntentFile; compiled: CompiledFabric },
): Review {
  return {
    objects: diffIntent(before.intent, after.intent),
    reachability: reachDelta(
      reachClasses(before.compiled, tenant),
      reachClasses(after.compiled, tenant),
    ),
  };
}

function formatFlow(flow: FlowClass): string {
  if (flow.port === undefined) return flow.protocol;
  const to = flow.portTo ?? flow.port;
  return to === flow.port ? `${flow.protocol}/${flow.port}` : `${flow.protocol}/${flow.port}-${to}`;
}

function formatValue(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? "(none)" : text.length > 120 ? `${text.slice(0, 117)}...` : text;
}

function formatNames(names: readonly string[]): string {
  return names.length <= 4
    ? names.join(", ")
    : `${names.slice(0, 3).join(", ")} and ${names.length - 3} more`;
}

/** The review as text for the command line: field diffs, then the reachability delta. */
export function formatReview(result: Review, limit = 50): string {
  const lines: string[] = [];
  for (const object of result.objects) {
    const mark = object.action === "create" ? "+" : object.action === "delete" ? "-" : "~";
    lines.push(`${mark} ${RESOURCE_KIND_NOUNS[object.kind]} ${object.name}`);
    if (object.action !== "update") continue;
    for (const field of object.fields.slice(0, limit)) {
      if (!("before" in field)) lines.push(`    + ${field.path}: ${formatValue(field.after)}`);
      else if (!("after" in field)) lines.push(`    - ${field.path}: ${formatValue(field.before)}`);
      else {
        lines.push(`    - ${field.path}: ${formatValue(field.before)}`);
        lines.push(`    + ${field.path}: ${formatValue(field.after)}`);
      }
    }
    if (object.fields.length > limit) lines.push(`    ... ${object.fields.length - limit} more`);
  }
  const { reachability } = result;
  if (reachability.flips.length === 0) {
    lines.push("reachability: no workload pair changes verdict");
  } else {
    lines.push(`reachability: ${reachability.flippedPairs} workload pair(s) x flow change verdict`);
    for (const flip of reachability.flips.slice(0, limit)) {
      lines.push(
        `  ${flip.after === "allow" ? "+ allow" : "- deny "} ${formatNames(flip.from)} -> ${formatNames(flip.to)} ${formatFlow(flip.flow)} (was ${flip.before})`,
      );
    }
    if (reachability.flips.length > limit) {
      lines.push(`  ... ${reachability.flips.length - limit} more`);
    }
  }
  return `${lines.join("\n")}\n`;
}
