import YAML from "yaml";
import type { z } from "zod";
import { assertNever, NetloomError, type Problem } from "./errors";
import {
  type ExpectFile,
  expectFileSchema,
  type FabricFile,
  fabricFileSchema,
  type IntentFile,
  intentFileSchema,
} from "./intent";
import { quoteValue, unsafeTextReason } from "./ipv4";
import { type LocatedProblem, type Path, sortProblems } from "./path";
import { objectKeys, schemaAt } from "./schema-walk";

/** Either the parsed value or every problem found, each located by path. */
export type Result<T> = { ok: true; value: T } | { ok: false; problems: Problem[] };

/** Spec section 3: a file over 10 MiB is refused. */
export const MAX_DOCUMENT_BYTES = 10 * 1024 * 1024;

/** A file with thousands of problems is better read as "fix the first ones"; the rest are counted. */
export const MAX_PROBLEMS = 1000;

/** Options of parseDocument. */
export interface ParseDocumentOptions {
  /** Refuse larger documents with TOO_LARGE; default 10 MiB. */
  maxBytes?: number;
}

/**
 * A YAML or JSON document (JSON is YAML) → plain data. Throws NetloomError TOO_LARGE over
 * `maxBytes`, INVALID (with `line L, column C: ...` problems) when it does not parse.
 * Duplicate keys are refused in YAML; JSON text goes through `JSON.parse` first (30x faster on
 * large files), where a repeated key keeps its last value.
 */
export function parseDocument(
  source: string | Uint8Array,
  options: ParseDocumentOptions = {},
): unknown {
  const maxBytes = options.maxBytes ?? MAX_DOCUMENT_BYTES;
  const size = typeof source === "string" ? utf8Length(source, maxBytes) : source.byteLength;
  if (size > maxBytes) {
    const message = `the file is larger than ${formatBytes(maxBytes)} (${size} bytes)`;
    throw new NetloomError("TOO_LARGE", message, [{ path: "", message }]);
  }
  let text: string;
  if (typeof source === "string") {
    text = source;
  } else {
    try {
      text = new TextDecoder("utf-8", { fatal: true }).decode(source);
    } catch {
      throw NetloomError.invalid([{ path: "", message: "the file is not UTF-8 text" }]);
    }
  }
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  if (text.trim() === "") throw NetloomError.invalid([{ path: "", message: "the file is empty" }]);

  if (/^\s*[[{]/.test(text)) {
    try {
      return JSON.parse(text);
    } catch {
      // Not strict JSON: YAML either reads it (flow style, comments) or says where it breaks.
    }
  }
  try {
    const document = YAML.parseDocument(text, { prettyErrors: true, uniqueKeys: true });
    if (document.errors.length > 0) {
      throw NetloomError.invalid(
        document.errors.slice(0, MAX_PROBLEMS).map((error) => {
          const position = error.linePos?.[0];
          const where = position ? `line ${position.line}, column ${position.col}: ` : "";
          return { path: "", message: `${where}${firstLine(error.message)}` };
        }),
      );
    }
    return document.toJS({ maxAliasCount: 100 });
  } catch (error) {
    if (error instanceof NetloomError) throw error;
    // Alias bombs, nesting too deep for the stack, and the like.
    const reason = error instanceof Error ? firstLine(error.message) : String(error);
    throw NetloomError.invalid([{ path: "", message: `the file could not be read: ${reason}` }]);
  }
}

/** The intent file schema plus readable problems. */
export function parseIntentFile(input: unknown): Result<IntentFile> {
  return parseWithSchema(intentFileSchema, input);
}
/** The fabric file schema plus readable problems. */
export function parseFabricFile(input: unknown): Result<FabricFile> {
  return parseWithSchema(fabricFileSchema, input);
}
/** The EXPECT file schema plus readable problems. */
export function parseExpectFile(input: unknown): Result<ExpectFile> {
  return parseWithSchema(expectFileSchema, input);
}

/** As parseIntentFile; throws NetloomError INVALID listing the problems. */
export function parseIntentFileOrThrow(input: unknown): IntentFile {
  return unwrapResult(parseIntentFile(input));
}
/** As parseFabricFile; throws NetloomError INVALID listing the problems. */
export function parseFabricFileOrThrow(input: unknown): FabricFile {
  return unwrapResult(parseFabricFile(input));
}
/** As parseExpectFile; throws NetloomError INVALID listing the problems. */
export function parseExpectFileOrThrow(input: unknown): ExpectFile {
  return unwrapResult(parseExpectFile(input));
}

/** The value of an ok result; otherwise throws NetloomError INVALID with its problems. */
export function unwrapResult<T>(result: Result<T>): T {
  if (result.ok) return result.value;
  throw NetloomError.invalid(result.problems);
}

/**
 * Any zod schema (API inputs included) with problems in the format of spec section 3, sorted
 * in document order.
 */
export function parseWithSchema<T>(schema: z.ZodType<T>, input: unknown): Result<T> {
  const parsed = schema.safeParse(input, { reportInput: true });
  if (parsed.success) return { ok: true, value: parsed.data };
  return { ok: false, problems: zodIssuesToProblems(parsed.error.issues, input, schema) };
}

/**
 * zod issues → problems: `path: message`, the message naming the offending value where that
 * helps. `schema`, when given, lets an unknown field suggest the field it was probably meant
 * to be.
 */
export function zodIssuesToProblems(
  issues: readonly z.core.$ZodIssue[],
  input: unknown,
  schema?: z.core.$ZodType,
): Problem[] {
  const located: LocatedProblem[] = [];
  for (const issue of issues) located.push(...issueToProblems(issue, input, schema));
  const declaredKeys = schema
    ? (path: Path) => objectKeys(schemaAt(schema, path, input))
    : undefined;
  return capProblems(sortProblems(located, input, declaredKeys));
}

/** At most MAX_PROBLEMS problems, the last saying how many more there were. */
export function capProblems(problems: Problem[]): Problem[] {
  if (problems.length <= MAX_PROBLEMS) return problems;
  const rest = problems.length - MAX_PROBLEMS + 1;
  return [
    ...problems.slice(0, MAX_PROBLEMS - 1),
    { path: "", message: `and ${rest} more problems` },
  ];
}

function issueToProblems(
  issue: z.core.$ZodIssue,
  input: unknown,
  schema: z.core.$ZodType | undefined,
): LocatedProblem[] {
  const path = issue.path.filter(
    (segment): segment is string | number => typeof segment !== "symbol",
  );
  const one = (message: string): LocatedProblem[] => [{ path, message }];
  const value = issue.input;
  const unsafe = typeof value === "string" ? unsafeTextReason(value) : undefined;

  switch (issue.code) {
    case "unrecognized_keys": {
      const known = schema ? objectKeys(schemaAt(schema, path, input)) : [];
      return issue.keys.map((key) => {
        const guess = closest(key, known);
        const hint = guess === undefined ? "" : ` (did you mean ${guess}?)`;
        return { path: [...path, key], message: `unknown field${hint}` };
      });
    }
    case "invalid_union": {
      if (issue.discriminator !== undefined) {
        // zod puts the allowed tags on discriminator issues without declaring them in the type.
        const tags = "options" in issue && Array.isArray(issue.options) ? issue.options : [];
        const options = tags.map(String).join(", ");
        const tag = objectField(value, issue.discriminator);
        if (tag === undefined) return one(`is required (one of ${options})`);
        return one(`${describeValue(tag)} is not one of ${options}`);
      }
      if (unsafe) return one(unsafe);
      const branches = issue.errors;
      const expected = branches.map((branch) =>
        branch.length === 1 && branch[0]?.code === "invalid_type" && branch[0].path.length === 0
          ? branch[0].expected
          : undefined,
      );
      if (expected.every((type) => type !== undefined)) {
        return one(mustBe(expected.map(typeName).join(" or "), value));
      }
      // One branch got further than the type check: its problems are the useful ones.
      const best = branches.find((_branch, index) => expected[index] === undefined) ?? [];
      return best.flatMap((sub) =>
        issueToProblems({ ...sub, path: [...issue.path, ...sub.path] }, input, schema),
      );
    }
    case "invalid_type":
      if (value === undefined) return one("is required");
      return one(mustBe(typeName(issue.expected), value));
    case "invalid_value": {
      const options = issue.values.map((option) => describeValue(option));
      if (value === undefined) return one(`is required (${options.join(" or ")})`);
      if (unsafe) return one(unsafe);
      if (options.length === 1) return one(`${describeValue(value)} must be ${options[0]}`);
      return one(`${describeValue(value)} is not one of ${issue.values.map(String).join(", ")}`);
    }
    case "invalid_format":
      return one(unsafe ?? `${describeValue(value)} ${issue.message}`);
    case "too_small":
    case "too_big":
      if (unsafe) return one(unsafe);
      return one(isZodDefault(issue.message) ? sizeMessage(issue) : issue.message);
    case "custom":
      return one(unsafe ?? issue.message);
    case "not_multiple_of":
    case "invalid_key":
    case "invalid_element":
      return one(unsafe ?? `${describeValue(value)}: ${issue.message}`);
    default:
      return assertNever(issue, "zod issue");
  }
}

function sizeMessage(issue: z.core.$ZodIssueTooSmall | z.core.$ZodIssueTooBig): string {
  const bound = Number(
    issue.code === "too_small" ? issue.minimum : (issue as z.core.$ZodIssueTooBig).maximum,
  );
  const small = issue.code === "too_small";
  switch (issue.origin) {
    case "array":
    case "set":
      return small ? `needs at least ${bound} item(s)` : `has more than ${bound} item(s)`;
    case "string":
      if (small && bound === 1) return "must not be empty";
      return small ? `must be at least ${bound} characters` : `must be at most ${bound} characters`;
    default:
      return `${describeValue(issue.input)} must be ${small ? "at least" : "at most"} ${bound}`;
  }
}

function isZodDefault(message: string): boolean {
  return /^(Too small|Too big|Invalid input)/.test(message);
}

function mustBe(expected: string, value: unknown): string {
  return `must be ${expected}, not ${describeValue(value)}`;
}

function typeName(expected: string): string {
  switch (expected) {
    case "object":
      return "an object";
    case "array":
      return "a list";
    case "int":
      return "a whole number";
    case "string":
      return "a string";
    case "number":
      return "a number";
    case "boolean":
      return "true or false";
    default:
      return expected;
  }
}

/** A value as it may be shown in a message: strings quoted and escaped, containers named. */
export function describeValue(value: unknown): string {
  if (typeof value === "string") return quoteValue(value);
  if (value === null) return "null";
  if (Array.isArray(value)) return "a list";
  if (typeof value === "object") return "an object";
  return String(value);
}

function objectField(value: unknown, key: string): unknown {
  return value !== null && typeof value === "object"
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

/** The known field nearest to a misspelt one, when it is near enough to be a likely typo. */
function closest(key: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const candidate of known) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) {
      best = candidate;
      bestDistance = distance;
    }
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(best.length / 3))
    ? best
    : undefined;
}

function editDistance(a: string, b: string): number {
  if (a.length > 64 || b.length > 64) return Number.POSITIVE_INFINITY;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const substitution = (previous[j - 1] ?? 0) + (a[i - 1] === b[j - 1] ? 0 : 1);
      current.push(Math.min((previous[j] ?? 0) + 1, (current[j - 1] ?? 0) + 1, substitution));
    }
    previous = current;
  }
  return previous[b.length] ?? 0;
}

function utf8Length(text: string, limit: number): number {
  // Every UTF-16 unit is at least one byte: a longer string is over the limit without counting.
  if (text.length > limit) return text.length;
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    bytes += code < 0x80 ? 1 : code < 0x800 ? 2 : code >= 0xd800 && code < 0xe000 ? 2 : 3;
  }
  return bytes;
}

function formatBytes(bytes: number): string {
  if (bytes >= 1024 * 1024) return `${Number((bytes / (1024 * 1024)).toFixed(1))} MiB`;
  if (bytes >= 1024) return `${Number((bytes / 1024).toFixed(1))} KiB`;
  return `${bytes} bytes`;
}

function firstLine(message: string): string {
  return (message.split("\n")[0] ?? message).replace(/ at line \d+, column \d+:?$/, "").trim();
}
