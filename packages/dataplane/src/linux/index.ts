export { createLinuxDriver, type LinuxDriverOptions } from "./driver";
export { mustRun, runCommand } from "./exec";
export { type FlowToProbe, type ProbeLab, probeFlowOnLab } from "./flows";
export {
  deviceMarker,
  LAB_NAME_PATTERN,
  NAMESPACE_PREFIX,
  NFT_TABLE,
  ownerPrefix,
  portDevice,
  tenantNamespace,
  vxlanDevice,
  workloadDevice,
  workloadNamespace,
} from "./names";
export { renderTenantRuleset } from "./nft";
export {
  createOutsideHost,
  ensureOutsideNetwork,
  OUTSIDE_UNDERLAY,
  type OutsideNetwork,
  outsideHostNamespace,
  outsideNamespace,
} from "./outside";
export { type Listener, type ProbeSpec, probe, sendProbe, startListener } from "./probe";
export {
  createUnderlay,
  destroyNamespaces,
  destroyOwnedNamespaces,
  labNode,
  listNamespaces,
  type UnderlayNode,
  underlayNamespace,
} from "./underlay";
