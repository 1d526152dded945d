import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

/**
 * The shared folder beside the clone (`../shared`: the contract, the examples, the
 * conformance runner), resolved from the repository root so tests run from any checkout.
 * `NETLOOM_SHARED` overrides it.
 */
export const SHARED_DIR =
  process.env.NETLOOM_SHARED ??
  path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..", "..", "shared");

/** The path of one of the shared examples, e.g. `three-tier.yaml`. */
export function sharedExample(name: string): string {
  return path.join(SHARED_DIR, "examples", name);
}

/** The text of one of the shared examples. */
export function readSharedExample(name: string): string {
  return readFileSync(sharedExample(name), "utf8");
}

/** The folder of the shared examples. */
export const SHARED_EXAMPLES = path.join(SHARED_DIR, "examples");
