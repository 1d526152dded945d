export * from "./brands";
export * from "./canonical";
export * from "./errors";
export * from "./intent";
export * from "./ipv4";
export * from "./parse";
export * from "./path";
export { canonicalize, objectKeys, schemaAt, selectOption, unwrapSchema } from "./schema-walk";
export * from "./validate";
