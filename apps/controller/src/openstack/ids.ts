import { createHash } from "node:crypto";
import { NAME_PATTERN } from "@netloom/model";

const idCache = new Map<string, string>();
const ID_CACHE_LIMIT = 500_000;

/**
 * The stable UUID Neutron shows for a netloom object: a name-based (version 5 style) UUID of
 * (tenant, kind, key). Derived, never stored: an object made on the canvas has one at once,
 * and it never changes while the object keeps its netloom name.
 */
export function uuidOf(scope: string, kind: string, key: string): string {
  const input = `${scope}\u0000${kind}\u0000${key}`;
  const cached = idCache.get(input);
  if (cached !== undefined) return cached;
  const hex = createHash("sha1").update(input).digest("hex");
  const variant = ((Number.parseInt(hex.slice(16, 18), 16) & 0x3f) | 0x80).toString(16);
  const id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-5${hex.slice(13, 16)}-${variant}${hex.slice(18, 20)}-${hex.slice(20, 32)}`;
  if (idCache.size >= ID_CACHE_LIMIT) idCache.clear();
  idCache.set(input, id);
  return id;
}

/** A MAC in OpenStack's fa:16:3e prefix, derived from the port's id. */
export function macOf(id: string): string {
  const hex = id.replace(/-/g, "");
  return `fa:16:3e:${hex.slice(0, 2)}:${hex.slice(2, 4)}:${hex.slice(4, 6)}`;
}

/**
 * A valid netloom name for a free-form Neutron name: lower-cased, other characters become
 * '-', trimmed to 40; empty names become `fallback`; a taken name gets `-2`, `-3`, ... The
 * result depends only on the name and what is taken, so it is deterministic.
 */
export function netloomNameFor(
  neutronName: string,
  fallback: string,
  taken: (name: string) => boolean,
): string {
  let base = neutronName
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .replace(/-{2,}/g, "-")
    .slice(0, 40)
    .replace(/-+$/, "");
  if (!NAME_PATTERN.test(base)) base = fallback;
  if (!taken(base)) return base;
  for (let n = 2; ; n++) {
    const suffix = `-${n}`;
    const candidate = `${base.slice(0, 40 - suffix.length).replace(/-+$/, "")}${suffix}`;
    if (!taken(candidate)) return candidate;
  }
}
