export * from "./delta";
export * from "./messages";
