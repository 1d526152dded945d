export {
  type Agent,
  type AgentOptions,
  type DriverChoice,
  type HeldConfig,
  startAgent,
} from "./agent";
