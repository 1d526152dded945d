export {
  type CheckDataplaneOptions,
  checkDataplane,
  type DataplaneExpectation,
  type DataplaneMismatch,
  type LabStatusClient,
  probeFlow,
} from "./check";
export { type LabNodeState, type LabState, labStatePath, readLabState } from "./state";
export { type LabDownOptions, type LabFabricClient, type LabUpOptions, labDown, labUp } from "./up";
