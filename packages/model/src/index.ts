export * from "./errors";
export * from "./intent";
