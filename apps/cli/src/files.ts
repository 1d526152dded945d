import { readFileSync, statSync } from "node:fs";
import path from "node:path";
import { MAX_DOCUMENT_BYTES, NetloomError, parseDocument } from "@netloom/model";

/** Reads and parses a YAML or JSON file given on the command line; errors name the file. */
export function readDocument(file: string, cwd: string): unknown {
  const full = path.resolve(cwd, file);
  let size: number;
  try {
    size = statSync(full).size;
  } catch (error) {
    const code = error instanceof Error && "code" in error ? String(error.code) : "unreadable";
    throw new NetloomError("INVALID", `${file}: cannot read the file (${code})`);
  }
  if (size > MAX_DOCUMENT_BYTES) {
    throw new NetloomError(
      "TOO_LARGE",
      `${file}: the file is ${size} bytes, over the 10 MiB limit`,
    );
  }
  return parseDocument(readFileSync(full, "utf8"));
}

/** True for a fabric file (`kind: Fabric`), which goes to the fabric, not to a tenant. */
export function isFabricDocument(document: unknown): boolean {
  return (
    typeof document === "object" &&
    document !== null &&
    "kind" in document &&
    document.kind === "Fabric"
  );
}
