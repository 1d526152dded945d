import { formatPath, type IntentFile, RESOURCE_KINDS, type ResourceKind } from "@netloom/model";

/** One field whose value differs, as `kubectl diff` shows it: before and after (absent: undefined). */
export interface FieldChange {
  /** The field's path inside its object, in the spec's form (`subnets[0].cidr`). */
  path: string;
  before: string | undefined;
  after: string | undefined;
}

export interface ObjectDiff {
  kind: ResourceKind;
  name: string;
  action: "create" | "update" | "delete";
  fields: FieldChange[];
}

/** Leaf values of a JSON value by path; arrays by index, objects by key (sorted). */
function leaves(value: unknown, path: PropertyKey[], out: Map<string, string>): void {
  if (Array.isArray(value)) {
    if (value.length === 0) out.set(formatPath(path), "[]");
    for (const [index, item] of value.entries()) leaves(item, [...path, index], out);
    return;
  }
  if (typeof value === "object" && value !== null) {
    const keys = Object.keys(value).sort();
    if (keys.length === 0) out.set(formatPath(path), "{}");
    for (const key of keys) leaves((value as Record<string, unknown>)[key], [...path, key], out);
    return;
  }
  if (value !== undefined) out.set(formatPath(path), JSON.stringify(value));
}

/** The changed fields between two versions of one object (either may be absent). */
export function fieldChanges(before: unknown, after: unknown): FieldChange[] {
  const a = new Map<string, string>();
  const b = new Map<string, string>();
  if (before !== undefined) leaves(before, [], a);
  if (after !== undefined) leaves(after, [], b);
  const paths = [...new Set([...a.keys(), ...b.keys()])].sort(comparePaths);
  const out: FieldChange[] = [];
  for (const path of paths) {
    const was = a.get(path);
    const now = b.get(path);
    if (was !== now) out.push({ path, before: was, after: now });
  }
  return out;
}

/** Paths in reading order: `rules[2]` before `rules[10]`. */
function comparePaths(left: string, right: string): number {
  return left.localeCompare(right, undefined, { numeric: true });
}

/**
 * Every object that differs between the applied document and the draft, with its changed fields;
 * objects are matched by kind and name (a rename reads as a delete and a create, as the
 * controller plans it).
 */
export function documentDiff(applied: IntentFile, draft: IntentFile): ObjectDiff[] {
  const out: ObjectDiff[] = [];
  for (const kind of RESOURCE_KINDS) {
    const before = new Map(listOf(applied, kind).map((item) => [item.name, item]));
    const after = new Map(listOf(draft, kind).map((item) => [item.name, item]));
    const names = [...new Set([...before.keys(), ...after.keys()])].sort();
    for (const name of names) {
      const was = before.get(name);
      const now = after.get(name);
      const fields = fieldChanges(was, now);
      if (fields.length === 0) continue;
      out.push({
        kind,
        name,
        action: was === undefined ? "create" : now === undefined ? "delete" : "update",
        fields,
      });
    }
  }
  return out;
}

function listOf(doc: IntentFile, kind: ResourceKind): { name: string }[] {
  const items: unknown = doc[kind];
  if (!Array.isArray(items)) return [];
  return items.filter(
    (item): item is { name: string } =>
      typeof item === "object" &&
      item !== null &&
      typeof (item as { name?: unknown }).name === "string",
  );
}
