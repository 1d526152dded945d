export {
  type CheckDataplaneOptions,
  checkDataplane,
  type DataplaneExpectation,
  type DataplaneMismatch,
  type LabStatusClient,
  probeFlow,
} from "./check";
export {
  DEFAULT_LAB_NAME,
  type LabNodeState,
  type LabState,
  labNameOf,
  labStatePath,
  listLabs,
  readLabState,
  resolveLabName,
} from "./state";
export { type LabDownOptions, type LabFabricClient, type LabUpOptions, labDown, labUp } from "./up";
