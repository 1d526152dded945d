import type { Problem } from "./errors";
import { quoteValue } from "./ipv4";

/** One step of a path: an object key or a list index. */
export type PathSegment = string | number;
/** A field's location inside a document: keys and list indexes from the root. */
export type Path = readonly PathSegment[];

const PLAIN_KEY = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/**
 * `["networks", 1, "subnets", 0, "cidr"]` → `networks[1].subnets[0].cidr`, the path format of
 * spec section 3. Keys that are not plain identifiers are quoted and escaped
 * (`networks[0]["a b"]`), so a key cannot smuggle control or bidi characters into the output.
 */
export function formatPath(path: readonly PropertyKey[]): string {
  let text = "";
  for (const segment of path) {
    if (typeof segment === "number") text += `[${segment}]`;
    else if (typeof segment === "symbol") text += `[${quoteValue(String(segment))}]`;
    else if (PLAIN_KEY.test(segment)) text += text === "" ? segment : `.${segment}`;
    else text += `[${quoteValue(segment)}]`;
  }
  return text;
}

/** A problem whose path is still a list of segments, so problems can be sorted by it. */
export interface LocatedProblem {
  path: Path;
  message: string;
}

/**
 * Orders two paths by where their fields appear in `document`: list items by index, keys of
 * one object by the order the object lists them (the file's order, as parsed). A path comes
 * before the paths inside it. A key the object lacks (a missing required field) goes where
 * `declaredKeys` (the object's schema order, when known) puts it among the present keys, else
 * after them.
 */
export function comparePaths(
  a: Path,
  b: Path,
  document: unknown,
  declaredKeys?: (path: Path) => readonly string[],
): number {
  let node: unknown = document;
  const common = Math.min(a.length, b.length);
  for (let i = 0; i < common; i++) {
    const left = a[i];
    const right = b[i];
    if (left === right || left === undefined || right === undefined) {
      node = child(node, left);
      continue;
    }
    if (typeof left === "number" && typeof right === "number") return left - right;
    if (typeof left === "number") return -1;
    if (typeof right === "number") return 1;
    const present = node !== null && typeof node === "object" ? Object.keys(node) : [];
    const declared = declaredKeys ? declaredKeys(a.slice(0, i)) : [];
    return (
      keyRank(left, present, declared) - keyRank(right, present, declared) ||
      (left < right ? -1 : 1)
    );
  }
  return a.length - b.length;
}

/** Present keys rank 2i+1 by file position; an absent key ranks just before the present key
 * that follows it in declaration order. */
function keyRank(key: string, present: readonly string[], declared: readonly string[]): number {
  const index = present.indexOf(key);
  if (index >= 0) return 2 * index + 1;
  const declaredIndex = declared.indexOf(key);
  if (declaredIndex >= 0) {
    for (const later of declared.slice(declaredIndex + 1)) {
      const laterIndex = present.indexOf(later);
      if (laterIndex >= 0) return 2 * laterIndex;
    }
  }
  return 2 * present.length + 2;
}

function child(node: unknown, segment: PathSegment | undefined): unknown {
  if (segment === undefined || node === null || typeof node !== "object") return undefined;
  return (node as Record<PathSegment, unknown>)[segment];
}

/** Sorts located problems by document order (stable) and formats their paths. */
export function sortProblems(
  problems: readonly LocatedProblem[],
  document: unknown,
  declaredKeys?: (path: Path) => readonly string[],
): Problem[] {
  return [...problems]
    .sort((x, y) => comparePaths(x.path, y.path, document, declaredKeys))
    .map((problem) => ({ path: formatPath(problem.path), message: problem.message }));
}
