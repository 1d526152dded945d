import type { NodeConfig, RuleId, TenantConfig } from "@netloom/compiler";
import { assertNever } from "@netloom/model";
import type { DataplaneDriver, RepairReport } from "../driver";

/**
 * An in-process dataplane: the "kernel" is a map from object keys (one per network instance,
 * port, ACL, group, translation...) to the object as applied. Tests and benchmarks run
 * hundreds of agents on it in one process, so applying costs one pass over the config.
 */
export interface MemoryDriverOptions {
  /** Every apply waits this long before taking effect (a slow dataplane). */
  applyDelayMs?: number;
}

/** What a test can do to a memory dataplane behind the agent's back. */
export type MemoryDrift =
  /** An object vanished (someone deleted a device or a table). */
  | { kind: "remove"; key: string }
  /** An object changed (someone edited a rule). */
  | { kind: "corrupt"; key: string }
  /** An object appeared that no config asked for. */
  | { kind: "add"; key: string };

export interface MemoryDriver extends DataplaneDriver {
  readonly kind: "memory";
  /** The config of the last apply that resolved, and its generation. */
  readonly applied: { config: NodeConfig; generation: number } | undefined;
  /** How many applies resolved. */
  readonly applyCount: number;
  /** Keys of the objects the dataplane holds now, sorted. */
  objectKeys(): string[];
  /** Change the actual state without going through apply. */
  drift(change: MemoryDrift): void;
  /** The next apply throws `message` and leaves the previous state in place. */
  failNextApply(message: string): void;
  /** Applies started from now on wait until the returned function is called. */
  holdApplies(): () => void;
  /**
   * Counts `packets` hits on `ruleId`, as the kernel would when a packet matches that rule;
   * a rule the applied config does not contain cannot match and is not counted. `tenantId`
   * names the tenant whose rule matched (default: the first applied tenant holding the rule id).
   */
  countHit(ruleId: RuleId, packets?: number, tenantId?: string): boolean;
}

/**
 * The objects one tenant config asks for, as [key, object] pairs. Cached per config object: the
 * compiler hands unchanged tenants over as the same objects, so an apply costs only what changed.
 */
const tenantObjectsCache = new WeakMap<TenantConfig, [string, unknown][]>();

function objectsOfTenant(tenant: TenantConfig): [string, unknown][] {
  const cached = tenantObjectsCache.get(tenant);
  if (cached) return cached;
  const prefix = `${tenant.tenantId}/`;
  const objects: [string, unknown][] = [
    [`${prefix}tenant`, `${tenant.tenant}:${tenant.tenantKey}`],
  ];
  for (const network of tenant.networks)
    objects.push([`${prefix}network:${network.name}`, network]);
  for (const port of tenant.localInterfaces) objects.push([`${prefix}port:${port.portId}`, port]);
  for (const remote of tenant.remoteEndpoints) {
    objects.push([`${prefix}remote:${remote.portId}`, remote]);
  }
  for (const peer of tenant.peers) objects.push([`${prefix}peer:${peer.node}`, peer.underlay]);
  for (const route of tenant.routes)
    objects.push([`${prefix}route:${route.from}>${route.to}`, route]);
  for (const group of tenant.securityGroups)
    objects.push([`${prefix}sg:${group.name}`, group.rules]);
  for (const firewall of tenant.firewalls) {
    objects.push([`${prefix}firewall:${firewall.name}`, firewall.rules]);
  }
  for (const fip of tenant.floatingIps) objects.push([`${prefix}${fip.ruleId}`, fip]);
  for (const nat of tenant.sourceNats) objects.push([`${prefix}${nat.ruleId}`, nat]);
  for (const lb of tenant.loadBalancers) objects.push([`${prefix}${lb.ruleId}`, lb]);
  for (const zone of tenant.dnsZones) objects.push([`${prefix}${zone.ruleId}`, zone]);
  tenantObjectsCache.set(tenant, objects);
  return objects;
}

/** The objects a config asks for, by key (objects by reference: an apply copies nothing). */
export function memoryObjectsOf(config: NodeConfig): Map<string, unknown> {
  const objects = new Map<string, unknown>();
  objects.set("node", `${config.node}@${config.underlay}`);
  for (const tenant of config.tenants) {
    for (const [key, value] of objectsOfTenant(tenant)) objects.set(key, value);
  }
  // Issue 14: a learned EVPN route is one object per network and prefix, as the kernel's route.
  for (const route of config.learnedRoutes ?? []) {
    objects.set(`evpn:${route.vni}/${route.prefix}`, route);
  }
  return objects;
}

/** Equal content: the same object, or the same JSON (a drifted object never is). */
function sameObject(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/** What `drift` puts in place of an object someone edited behind the driver's back. */
class Drifted {
  constructor(readonly was: unknown) {}
}

function ruleIdsOf(config: NodeConfig): Set<RuleId> {
  const ids = new Set<RuleId>();
  for (const tenant of config.tenants) for (const id of ruleIdsOfTenant(tenant)) ids.add(id);
  return ids;
}

function ruleIdsOfTenant(tenant: TenantConfig): Set<RuleId> {
  const ids = new Set<RuleId>();
  for (const network of tenant.networks) for (const entry of network.acl) ids.add(entry.ruleId);
  for (const group of tenant.securityGroups) for (const rule of group.rules) ids.add(rule.ruleId);
  for (const firewall of tenant.firewalls) for (const rule of firewall.rules) ids.add(rule.ruleId);
  for (const route of tenant.routes) if (route.viaRouter) ids.add(route.viaRouter);
  for (const fip of tenant.floatingIps) ids.add(fip.ruleId);
  for (const nat of tenant.sourceNats) ids.add(nat.ruleId);
  for (const lb of tenant.loadBalancers) ids.add(lb.ruleId);
  for (const zone of tenant.dnsZones) ids.add(zone.ruleId);
  return ids;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** A `DataplaneDriver` that keeps its state in memory; see `MemoryDriver` for the test hooks. */
export function createMemoryDriver(options: MemoryDriverOptions = {}): MemoryDriver {
  let actual = new Map<string, unknown>();
  let applied: { config: NodeConfig; generation: number } | undefined;
  let appliedRuleIds: Set<RuleId> | undefined;
  let applyCount = 0;
  let pendingFailure: string | undefined;
  let hold: Promise<void> | undefined;
  const countersByTenant: Record<string, Record<RuleId, number>> = {};

  return {
    kind: "memory",
    get applied() {
      return applied;
    },
    get applyCount() {
      return applyCount;
    },
    async apply(config, generation) {
      if (options.applyDelayMs) await sleep(options.applyDelayMs);
      if (hold) await hold;
      if (pendingFailure !== undefined) {
        const message = pendingFailure;
        pendingFailure = undefined;
        throw new Error(message);
      }
      // Built whole, then swapped in: the old state forwards until the new one is complete.
      actual = memoryObjectsOf(config);
      applied = { config, generation };
      appliedRuleIds = undefined;
      applyCount += 1;
    },
    async reconcile(config): Promise<RepairReport> {
      const desired = memoryObjectsOf(config);
      const repaired: string[] = [];
      for (const [key, object] of desired) {
        if (!actual.has(key)) repaired.push(`created ${key}`);
        else if (!sameObject(actual.get(key), object)) repaired.push(`restored ${key}`);
      }
      for (const key of actual.keys()) if (!desired.has(key)) repaired.push(`removed ${key}`);
      actual = desired;
      return { repaired };
    },
    async counters() {
      const totals: Record<RuleId, number> = {};
      for (const counts of Object.values(countersByTenant)) {
        for (const [ruleId, packets] of Object.entries(counts)) {
          totals[ruleId] = (totals[ruleId] ?? 0) + packets;
        }
      }
      return totals;
    },
    async tenantCounters() {
      return Object.fromEntries(
        Object.entries(countersByTenant).map(([tenantId, counts]) => [tenantId, { ...counts }]),
      );
    },
    async teardown() {
      actual = new Map();
      applied = undefined;
      appliedRuleIds = undefined;
    },
    objectKeys() {
      return [...actual.keys()].sort();
    },
    drift(change) {
      switch (change.kind) {
        case "remove":
          actual.delete(change.key);
          break;
        case "corrupt":
          actual.set(change.key, new Drifted(actual.get(change.key)));
          break;
        case "add":
          actual.set(change.key, new Drifted(undefined));
          break;
        default:
          assertNever(change, "drift");
      }
    },
    failNextApply(message) {
      pendingFailure = message;
    },
    holdApplies() {
      let release = () => {};
      hold = new Promise<void>((resolve) => {
        release = () => {
          hold = undefined;
          resolve();
        };
      });
      return release;
    },
    countHit(ruleId, packets = 1, tenantId) {
      if (!applied) return false;
      appliedRuleIds ??= ruleIdsOf(applied.config);
      if (!appliedRuleIds.has(ruleId)) return false;
      // Without a tenant id the hit goes to the first tenant holding the rule id.
      const tenant = applied.config.tenants.find(
        (candidate) =>
          (tenantId === undefined || candidate.tenantId === tenantId) &&
          ruleIdsOfTenant(candidate).has(ruleId),
      );
      if (!tenant) return false;
      const counts = countersByTenant[tenant.tenantId] ?? {};
      countersByTenant[tenant.tenantId] = counts;
      counts[ruleId] = (counts[ruleId] ?? 0) + packets;
      return true;
    },
  };
}
