export * from "./driver";
export * from "./linux";
export * from "./memory/index";
