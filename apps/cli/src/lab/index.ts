export {
  type CheckDataplaneOptions,
  checkDataplane,
  type DataplaneExpectation,
  type DataplaneMismatch,
  type LabStatusClient,
  probeFlow,
} from "./check";
export { type LabState, type LabNodeState, labStatePath, readLabState } from "./state";
export { type LabDownOptions, type LabFabricClient, type LabUpOptions, labDown, labUp } from "./up";
