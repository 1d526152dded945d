import YAML from "yaml";
import { type IntentFile, intentFileSchema } from "./intent";
import { canonicalize } from "./schema-walk";

/**
 * The form `netloom export` prints: keys in schema order, absent optional fields left out
 * (empty optional lists too: they mean the same as absent), lists in file order. Applying it and
 * exporting again gives the same bytes.
 */
export function canonicalIntent(file: IntentFile): IntentFile {
  // canonicalize keeps every field the schema declares and drops none it requires, so the
  // result is still an IntentFile.
  return canonicalize(intentFileSchema, file) as IntentFile;
}

/** The text formats export prints. */
export type IntentFormat = "yaml" | "json";

/** Longest flow collection (`{ ... }` or `[ ... ]`) kept on one line; longer ones go block. */
const MAX_FLOW_WIDTH = 100;

/**
 * The canonical form as text, stable byte for byte. JSON: two-space indent. YAML: block lists
 * of objects; small leaf objects (subnets, rules) and short lists of scalars in flow style on one
 * line, as the examples are written; never folded.
 */
export function stringifyIntent(file: IntentFile, format: IntentFormat): string {
  const canonical = canonicalIntent(file);
  if (format === "json") return `${JSON.stringify(canonical, null, 2)}\n`;
  const document = new YAML.Document(canonical, { version: "1.2" });
  markFlow(document.contents);
  return document.toString({
    lineWidth: 0,
    minContentWidth: 0,
    flowCollectionPadding: true,
    indentSeq: true,
  });
}

function isScalarLike(node: unknown): boolean {
  return YAML.isScalar(node);
}

/** Flow style for a collection of scalars (or of scalar lists) that fits on one line. */
function markFlow(node: unknown): void {
  if (YAML.isSeq(node) || YAML.isMap(node)) {
    for (const item of node.items) markFlow(YAML.isPair(item) ? item.value : item);
    const leaf = node.items.every((item) => {
      const value = YAML.isPair(item) ? item.value : item;
      if (isScalarLike(value)) return true;
      // A map may hold short scalar lists (`attach: [web, db]`); a list holds scalars only.
      return YAML.isMap(node) && YAML.isSeq(value) && value.items.every(isScalarLike);
    });
    if (leaf && node.items.length > 0 && flowWidth(node) <= MAX_FLOW_WIDTH) node.flow = true;
  }
}

function flowWidth(node: YAML.YAMLMap | YAML.YAMLSeq): number {
  const copy = node.clone();
  copy.flow = true;
  for (const item of copy.items) {
    const value = YAML.isPair(item) ? item.value : item;
    if (YAML.isSeq(value)) value.flow = true;
  }
  return new YAML.Document(copy).toString({ lineWidth: 0, flowCollectionPadding: true }).trim()
    .length;
}
