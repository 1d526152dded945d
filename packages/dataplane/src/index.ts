export * from "./driver";
