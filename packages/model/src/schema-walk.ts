import { z } from "zod";
import type { Path } from "./path";

/**
 * Walking the zod schemas alongside a value: which object schema describes the value at a path
 * (to name the fields an unknown field could have meant) and which keys an object has in schema
 * order (for the canonical form). Only the schema kinds the intent schemas use are handled.
 */

type Schema = z.core.$ZodType;

/** Strips optional/nullable/default/pipe wrappers. */
export function unwrapSchema(schema: Schema): Schema {
  let current = schema;
  for (;;) {
    if (
      current instanceof z.core.$ZodOptional ||
      current instanceof z.core.$ZodNullable ||
      current instanceof z.core.$ZodDefault
    ) {
      current = current._zod.def.innerType;
    } else if (current instanceof z.core.$ZodPipe) {
      current = current._zod.def.in;
    } else {
      return current;
    }
  }
}

/** For a (discriminated) union, the option that the value's discriminator selects. */
export function selectOption(schema: Schema, value: unknown): Schema {
  const unwrapped = unwrapSchema(schema);
  if (!(unwrapped instanceof z.core.$ZodDiscriminatedUnion)) return unwrapped;
  const discriminator = unwrapped._zod.def.discriminator;
  const tag =
    value !== null && typeof value === "object"
      ? (value as Record<string, unknown>)[discriminator]
      : undefined;
  for (const option of unwrapped._zod.def.options) {
    const inner = unwrapSchema(option);
    if (!(inner instanceof z.core.$ZodObject)) continue;
    const field = inner._zod.def.shape[discriminator];
    const literal = field === undefined ? undefined : unwrapSchema(field);
    if (literal instanceof z.core.$ZodLiteral && literal._zod.def.values.includes(tag as never)) {
      return inner;
    }
  }
  return unwrapped;
}

/** The schema describing the value at `path` inside `root`, or undefined if none does. */
export function schemaAt(root: Schema, path: Path, value: unknown): Schema | undefined {
  let schema: Schema = selectOption(root, value);
  let node = value;
  for (const segment of path) {
    const next: unknown =
      node !== null && typeof node === "object"
        ? (node as Record<string | number, unknown>)[segment]
        : undefined;
    if (schema instanceof z.core.$ZodArray && typeof segment === "number") {
      schema = selectOption(schema._zod.def.element, next);
    } else if (schema instanceof z.core.$ZodObject && typeof segment === "string") {
      const field = schema._zod.def.shape[segment];
      if (field === undefined) return undefined;
      schema = selectOption(field, next);
    } else {
      return undefined;
    }
    node = next;
  }
  return schema;
}

/** The keys an object schema declares, in declaration order. */
export function objectKeys(schema: Schema | undefined): string[] {
  return schema instanceof z.core.$ZodObject ? Object.keys(schema._zod.def.shape) : [];
}

/**
 * The value rebuilt along its schema: object keys in schema order, absent optional fields left
 * out, and optional lists that are empty left out too (for every optional list here, absent and
 * `[]` mean the same). Values the schema does not describe are copied as they are.
 */
export function canonicalize(schema: Schema, value: unknown): unknown {
  const selected = selectOption(schema, value);
  if (selected instanceof z.core.$ZodArray && Array.isArray(value)) {
    const element = selected._zod.def.element;
    return value.map((item: unknown) => canonicalize(element, item));
  }
  if (selected instanceof z.core.$ZodObject && value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const [key, field] of Object.entries(selected._zod.def.shape)) {
      const fieldValue = record[key];
      if (fieldValue === undefined) continue;
      const optionalList =
        field instanceof z.core.$ZodOptional &&
        Array.isArray(fieldValue) &&
        fieldValue.length === 0;
      if (optionalList) continue;
      out[key] = canonicalize(field, fieldValue);
    }
    return out;
  }
  return value;
}
