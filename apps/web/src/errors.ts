import type { Problem } from "@netloom/model";

/**
 * Reads `{ code, problems }` back from a failed call: the controller puts them in
 * `error.data.netloom`. Anything else (network down, a bug) becomes one problem without a path.
 */
export interface CallFailure {
  code: string;
  message: string;
  problems: Problem[];
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

export function failureOf(error: unknown): CallFailure {
  if (isRecord(error)) {
    const data = isRecord(error.data) ? error.data : undefined;
    const netloom = data && isRecord(data.netloom) ? data.netloom : undefined;
    const message = typeof error.message === "string" ? error.message : String(error);
    if (netloom) {
      const problems = Array.isArray(netloom.problems)
        ? netloom.problems.filter(isRecord).map((p) => ({
            path: typeof p.path === "string" ? p.path : "",
            message: typeof p.message === "string" ? p.message : "",
          }))
        : [];
      return {
        code: typeof netloom.code === "string" ? netloom.code : "INTERNAL",
        message,
        problems,
      };
    }
    const code = data && typeof data.code === "string" ? data.code : "INTERNAL";
    return { code, message, problems: [] };
  }
  return { code: "INTERNAL", message: String(error), problems: [] };
}

/**
 * Problems under `prefix` (e.g. `networks[2]`), with the prefix cut off so a form can look up
 * its own fields (`subnets[0].cidr`). The prefix itself maps to "".
 */
export function problemsUnder(problems: readonly Problem[], prefix: string): Problem[] {
  const out: Problem[] = [];
  for (const problem of problems) {
    if (problem.path === prefix) out.push({ path: "", message: problem.message });
    else if (problem.path.startsWith(`${prefix}.`) || problem.path.startsWith(`${prefix}[`)) {
      const rest = problem.path.slice(prefix.length);
      out.push({ path: rest.startsWith(".") ? rest.slice(1) : rest, message: problem.message });
    }
  }
  return out;
}

/** A zod issue path (`["subnets", 0, "cidr"]`) in the spec's form (`subnets[0].cidr`). */
export function pathOf(segments: readonly PropertyKey[]): string {
  let out = "";
  for (const segment of segments) {
    if (typeof segment === "number") out += `[${segment}]`;
    else out += out ? `.${String(segment)}` : String(segment);
  }
  return out;
}
