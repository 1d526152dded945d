// filled by the compiler work: compile, trace, check, plan, allPairs
export * from "./config";
