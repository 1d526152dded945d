import type { NodeConfig, RuleId } from "@netloom/compiler";

/** What a reconcile found different from the desired state and put back. */
export interface RepairReport {
  repaired: string[];
}

/**
 * One forwarding node's dataplane. The agent drives it level-triggered: `apply` on every new
 * generation, `reconcile` on start, on reconnect and periodically.
 */
export interface DataplaneDriver {
  readonly kind: "linux" | "memory";
  /**
   * Make the node's actual state equal `config`. Builds the new state before removing the old
   * (never flushes first); throws, leaving the previous state forwarding, if it cannot.
   */
  apply(config: NodeConfig, generation: number): Promise<void>;
  /** Compare actual with desired state and repair the difference. */
  reconcile(config: NodeConfig): Promise<RepairReport>;
  /** Packet counts per rule id since the driver started. */
  counters(): Promise<Record<RuleId, number>>;
  /** Remove everything this driver made. */
  teardown(): Promise<void>;
}
