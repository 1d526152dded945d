export { allPairs, type MatrixFlow, matrixVerdict, type ReachabilityMatrix } from "./allpairs";
export {
  type BrokenAssertion,
  type CheckMismatch,
  type CheckResult,
  check,
  checkAssertions,
} from "./check";
export {
  type ClassMatrix,
  classOfWorkload,
  classVerdict,
  type ExpandedMatrix,
  expandMatrix,
  type FlowClass,
  reachClasses,
} from "./classes";
export {
  type CompileChange,
  type CompileUpdate,
  compile,
  createIncrementalCompiler,
  type IncrementalCompiler,
} from "./compile";
export * from "./config";
export {
  describeSkip,
  evpnExports,
  type ImportedRoutes,
  importLearnedRoutes,
  learnedRoutesOfNode,
  type SkipReason,
} from "./evpn";
export { fnv1a64, hashJson } from "./hash";
export { portIdOf, tenantKeyOf } from "./ids";
export {
  type FabricPlan,
  formatPlan,
  type NodePlan,
  PLAN_KINDS,
  type PlanChange,
  type PlanCounts,
  type PlanItem,
  type PlanKind,
  plan,
} from "./plan";
export {
  diffIntent,
  type FieldChange,
  formatReview,
  type ObjectDiff,
  type ReachDelta,
  type ReachFlip,
  type Review,
  reachDelta,
  review,
} from "./review";
export { trace } from "./trace";
