export * from "./driver";
export * from "./memory/index";
export * from "./protocol";
export * from "./linux";
