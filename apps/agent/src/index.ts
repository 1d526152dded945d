export {
  type Agent,
  type AgentLogger,
  type AgentOptions,
  controllerUrls,
  type DriverChoice,
  type HeldConfig,
  startAgent,
} from "./agent";
