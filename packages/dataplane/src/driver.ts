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
  /** Packet counts per rule id since the driver started, summed over the node's tenants. */
  counters(): Promise<Record<RuleId, number>>;
  /**
   * Packet counts per tenant id (`TenantConfig.tenantId`), then per rule id. Rule ids carry no
   * tenant (two tenants may both have a policy `web-app`), so only these may be shown to tenants.
   */
  tenantCounters(): Promise<Record<string, Record<RuleId, number>>>;
  /** Remove everything this driver made. */
  teardown(): Promise<void>;
}
