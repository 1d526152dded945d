import { Gauge, type Registry } from "prom-client";
import type { Distribution } from "./index";

/**
 * Distribution's figures on the controller's /metrics: convergence per node (by the one
 * definition), drift each node's agent repaired, failures its agent counted, and failures of
 * distribution itself (compiles, database writes, listener) that were logged, not thrown.
 * Node names only: nothing here names a tenant.
 */
export function registerDistributionMetrics(registry: Registry, distribution: Distribution): void {
  new Gauge({
    name: "netloom_fabric_converged",
    help: "1 when every node is connected and applied its desired config (fabric.status)",
    registers: [registry],
    async collect() {
      this.set((await distribution.status()).converged ? 1 : 0);
    },
  });
  new Gauge({
    name: "netloom_node_converged",
    help: "1 when the node is connected, fresh and at its desired config",
    labelNames: ["node"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const node of (await distribution.status()).nodes) {
        this.set({ node: node.name }, node.converged ? 1 : 0);
      }
    },
  });
  new Gauge({
    name: "netloom_node_drift_repaired",
    help: "Kernel objects the node's agent found drifted and repaired since it started",
    labelNames: ["node"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const node of (await distribution.status()).nodes) {
        this.set({ node: node.name }, node.drift.count);
      }
    },
  });
  new Gauge({
    name: "netloom_agent_errors",
    help: "Failures the node's agent logged since it started, by kind (apply, reconcile, state-file...)",
    labelNames: ["node", "kind"],
    registers: [registry],
    async collect() {
      this.reset();
      for (const node of (await distribution.status()).nodes) {
        for (const [kind, count] of Object.entries(node.errors)) {
          this.set({ node: node.name, kind }, count);
        }
      }
    },
  });
  new Gauge({
    name: "netloom_distribution_failures",
    help: "Failures distribution logged on this controller since it started, by kind (compile, save-node-states, listen...)",
    labelNames: ["kind"],
    registers: [registry],
    collect() {
      this.reset();
      for (const [kind, count] of Object.entries(distribution.failures)) {
        this.set({ kind }, count);
      }
    },
  });
}
