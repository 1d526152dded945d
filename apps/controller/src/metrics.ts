import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from "prom-client";
import type { Store } from "./store/store";

/** The controller's Prometheus metrics, on a registry of its own (several servers per process in tests). */
export class Metrics {
  readonly registry = new Registry();
  readonly requests: Counter<"method" | "route" | "status">;
  readonly duration: Histogram<"method" | "route">;
  readonly logins: Counter<"outcome">;
  readonly principalRefreshFailures: Counter;

  constructor(store: Store) {
    collectDefaultMetrics({ register: this.registry, prefix: "netloom_process_" });
    this.requests = new Counter({
      name: "netloom_http_requests_total",
      help: "HTTP requests by route (tRPC: procedure) and status",
      labelNames: ["method", "route", "status"],
      registers: [this.registry],
    });
    this.duration = new Histogram({
      name: "netloom_http_request_duration_seconds",
      help: "HTTP request duration by route (tRPC: procedure)",
      labelNames: ["method", "route"],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
    this.logins = new Counter({
      name: "netloom_login_attempts_total",
      help: "Password logins by outcome (success, failure, rate_limited)",
      labelNames: ["outcome"],
      registers: [this.registry],
    });
    this.principalRefreshFailures = new Counter({
      name: "netloom_principal_refresh_failures_total",
      help: "Background lookups of a cached caller (token or session) that failed",
      registers: [this.registry],
    });
    new Gauge({
      name: "netloom_fabric_generation",
      help: "Newest committed fabric generation",
      registers: [this.registry],
      collect() {
        this.set(store.fabricGeneration);
      },
    });
    new Gauge({
      name: "netloom_tenant_generation",
      help: "Newest committed generation of each tenant",
      labelNames: ["tenant"],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const tenant of store.listTenants())
          this.set({ tenant: tenant.name }, tenant.generation);
      },
    });
    new Gauge({
      name: "netloom_fabric_nodes",
      help: "Forwarding nodes in the fabric",
      registers: [this.registry],
      collect() {
        this.set(store.fabricNodes().length);
      },
    });
  }
}

/**
 * The exposition without any series labelled with a tenant: what an unauthenticated scrape
 * sees. Tenant names and their activity are for metrics-token holders and cloud-wide roles.
 */
export function withoutTenantSeries(exposition: string): string {
  return exposition
    .split("\n")
    .filter((line) => line.startsWith("#") || !/[{,]tenant(_id)?="/.test(line))
    .join("\n");
}
