import { NeutronFault } from "./errors";
import type { Json } from "./workspace";

/** A parsed query string: repeated keys give arrays. */
export type Query = Record<string, string | string[] | undefined>;

const CONTROL = new Set(["fields", "sort_key", "sort_dir", "limit", "marker", "page_reverse"]);

function values(value: string | string[] | undefined): string[] {
  if (value === undefined) return [];
  return Array.isArray(value) ? value : [value];
}

/** Whether one attribute value matches one filter value, as Neutron compares them. */
function matches(attribute: unknown, wanted: string): boolean {
  if (attribute === null || attribute === undefined) return wanted === "" || wanted === "None";
  if (typeof attribute === "boolean") return String(attribute) === wanted.toLowerCase();
  if (typeof attribute === "number") return String(attribute) === wanted;
  if (typeof attribute === "string") return attribute === wanted;
  if (Array.isArray(attribute)) {
    // fixed_ips=ip_address=10.0.0.5 (or subnet_id=...): an entry with every given key equal.
    const pairs = wanted.split("&").map((part) => part.split("="));
    if (pairs.every((pair) => pair.length === 2)) {
      return attribute.some(
        (entry) =>
          typeof entry === "object" &&
          entry !== null &&
          pairs.every(([key, value]) => String((entry as Json)[key ?? ""]) === value),
      );
    }
    return attribute.some((entry) => matches(entry, wanted));
  }
  return false;
}

function tagList(query: Query, key: string): string[] | undefined {
  const given = values(query[key]);
  return given.length === 0 ? undefined : given.flatMap((value) => value.split(","));
}

/**
 * A list answer as Neutron gives it: filtered on any attribute (repeated values are
 * alternatives; `tags`, `tags-any`, `not-tags`, `not-tags-any`), sorted (`sort_key`,
 * `sort_dir`), paginated (`limit`, `marker`, with a `next` link) and projected (`fields`).
 */
export function applyListQuery(items: Json[], query: Query, plural: string, url: string): Json {
  const tags = tagList(query, "tags");
  const tagsAny = tagList(query, "tags-any");
  const notTags = tagList(query, "not-tags");
  const notTagsAny = tagList(query, "not-tags-any");
  const filters = Object.entries(query).filter(
    ([key]) => !CONTROL.has(key) && !["tags", "tags-any", "not-tags", "not-tags-any"].includes(key),
  );
  let result = items.filter((item) => {
    for (const [key, value] of filters) {
      if (!(key in item)) continue; // an attribute this kind lacks filters nothing, as in Neutron
      const wanted = values(value);
      if (wanted.length > 0 && !wanted.some((one) => matches(item[key], one))) return false;
    }
    const itemTags = Array.isArray(item.tags) ? (item.tags as string[]) : [];
    if (tags && !tags.every((tag) => itemTags.includes(tag))) return false;
    if (tagsAny && !tagsAny.some((tag) => itemTags.includes(tag))) return false;
    if (notTags?.every((tag) => itemTags.includes(tag))) return false;
    if (notTagsAny?.some((tag) => itemTags.includes(tag))) return false;
    return true;
  });

  const sortKeys = values(query.sort_key);
  const sortDirs = values(query.sort_dir);
  if (sortKeys.length > 0) {
    result = [...result].sort((a, b) => {
      for (const [index, key] of sortKeys.entries()) {
        const direction = sortDirs[index] ?? sortDirs[0] ?? "asc";
        if (direction !== "asc" && direction !== "desc") {
          throw NeutronFault.badRequest(`Invalid sort direction ${direction}`);
        }
        const order = compare(a[key], b[key]);
        if (order !== 0) return direction === "asc" ? order : -order;
      }
      return 0;
    });
  }

  const links: Json[] = [];
  const limitText = values(query.limit)[0];
  if (limitText !== undefined) {
    const limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 0)
      throw NeutronFault.badRequest(`Invalid limit ${limitText}`);
    const marker = values(query.marker)[0];
    if (marker !== undefined) {
      const index = result.findIndex((item) => item.id === marker);
      if (index < 0) throw NeutronFault.notFound("marker", marker);
      result = result.slice(index + 1);
    }
    if (limit > 0 && result.length > limit) {
      result = result.slice(0, limit);
      const last = result[result.length - 1];
      const next = new URLSearchParams();
      for (const [key, value] of Object.entries(query)) {
        if (key === "marker") continue;
        for (const one of values(value)) next.append(key, one);
      }
      next.set("marker", String(last?.id ?? ""));
      links.push({ rel: "next", href: `${url}?${next.toString()}` });
    }
  }

  const fields = values(query.fields).flatMap((field) => field.split(","));
  const projected =
    fields.length === 0
      ? result
      : result.map((item) => {
          const picked: Json = {};
          for (const field of fields) if (field in item) picked[field] = item[field];
          return picked;
        });
  return links.length > 0
    ? { [plural]: projected, [`${plural}_links`]: links }
    : { [plural]: projected };
}

function compare(a: unknown, b: unknown): number {
  if (typeof a === "number" && typeof b === "number") return a - b;
  return String(a ?? "").localeCompare(String(b ?? ""));
}
