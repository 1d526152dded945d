import type { IntentFile, ResourceKind, ResourceSpecs } from "@netloom/model";

/** One stored intent object, as the store keeps it in memory and in `Resource`. */
export interface StoredResource<K extends ResourceKind = ResourceKind> {
  id: string;
  kind: K;
  name: string;
  ordinal: number;
  spec: ResourceSpecs[K];
  revision: number;
}

/** Everything the store knows about one tenant, at one generation. */
export interface TenantState {
  id: string;
  name: string;
  generation: number;
  quotas: Partial<Quotas>;
  /** Keyed by `kind/name`. */
  resources: Map<string, StoredResource>;
  /** VNI of each network, by network name. */
  vnis: Record<string, number>;
  /** Shared outside address of each nat service, by service name. */
  natAddresses: Record<string, string>;
}

/** Per-tenant limits. Defaults in DEFAULT_QUOTAS; the cloud admin overrides per tenant. */
export interface Quotas {
  networks: number;
  workloads: number;
  securityGroups: number;
  policies: number;
  services: number;
  routers: number;
  floatingIpPools: number;
  assertions: number;
  /** Security group, policy and firewall rules together. */
  rules: number;
  floatingIps: number;
}

export const DEFAULT_QUOTAS: Quotas = {
  networks: 200,
  workloads: 2000,
  securityGroups: 500,
  policies: 500,
  services: 200,
  routers: 100,
  floatingIpPools: 50,
  assertions: 1000,
  rules: 20000,
  floatingIps: 500,
};

export const QUOTA_NAMES = Object.keys(DEFAULT_QUOTAS) as (keyof Quotas)[];

/** The key of a resource in TenantState.resources. */
export function resourceKey(kind: ResourceKind, name: string): string {
  return `${kind}/${name}`;
}

/** One object change of an apply or a single-object call. */
export interface ObjectChange {
  action: "create" | "update" | "delete";
  kind: ResourceKind;
  name: string;
  before: unknown;
  after: unknown;
}

/** The outcome of a change, committed or (dry run) planned. */
export interface ChangeResult {
  tenant: string;
  tenantId: string;
  generation: number;
  fabricGeneration: number;
  changes: ObjectChange[];
  document: IntentFile;
  dryRun: boolean;
}

/** A forwarding node as the store keeps it. */
export interface FabricNodeView {
  id: string;
  name: string;
  underlay: string;
  revision: number;
  appliedGeneration: number;
  appliedHash: string | null;
  lastSeenAt: string | null;
}

/** One audit event, as history pages show it. */
export interface AuditView {
  id: string;
  actor: string;
  action: string;
  kind: string;
  name: string;
  before: unknown;
  after: unknown;
  generation: number;
  at: string;
}
