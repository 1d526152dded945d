import type { CompiledFabric, NodeConfig, TenantConfig } from "./config";

/** What a plan item is about. */
export const PLAN_KINDS = [
  "tenant",
  "network",
  "acl",
  "route",
  "interface",
  "remote",
  "peer",
  "security-group-rule",
  "firewall-rule",
  "floating-ip",
  "source-nat",
  "load-balancer",
  "dns-record",
  /** Issue 14: a learned EVPN route the node programs (key `evpn:<network>/<prefix>`). */
  "learned-route",
] as const;
export type PlanKind = (typeof PLAN_KINDS)[number];

export type PlanChange = "add" | "remove" | "modify";

/**
 * One config element added, removed or modified on a node. Keys start with the tenant name, but
 * a learned route's (node-wide: `evpn:<external network>/<prefix>`).
 */
export interface PlanItem {
  kind: PlanKind;
  key: string;
  change: PlanChange;
}

export interface PlanCounts {
  added: number;
  removed: number;
  modified: number;
}

/** The config changes of one forwarding node. */
export interface NodePlan {
  node: string;
  status: "added" | "removed" | "changed";
  hashBefore?: string;
  hashAfter?: string;
  counts: Partial<Record<PlanKind, PlanCounts>>;
  items: PlanItem[];
}

/** The per-node config changes between two compiles; unchanged nodes are left out. */
export interface FabricPlan {
  nodes: NodePlan[];
  totals: PlanCounts & { nodes: number };
}

type Elements = Map<string, { kind: PlanKind; content: unknown }>;

function elementsOf(config: NodeConfig | undefined): Elements {
  const elements: Elements = new Map();
  if (config === undefined) return elements;
  const put = (kind: PlanKind, key: string, content: unknown) => {
    elements.set(`${kind}\u0000${key}`, { kind, content });
  };
  for (const tenant of config.tenants) addTenant(tenant, put);
  for (const route of config.learnedRoutes ?? []) {
    put("learned-route", `evpn:${route.network}/${route.prefix}`, route);
  }
  return elements;
}

function addTenant(
  tenant: TenantConfig,
  put: (kind: PlanKind, key: string, content: unknown) => void,
): void {
  const t = tenant.tenant;
  put("tenant", t, { tenantId: tenant.tenantId, tenantKey: tenant.tenantKey });
  for (const network of tenant.networks) {
    put("network", `${t}/${network.name}`, {
      vni: network.vni,
      external: network.external,
      subnets: network.subnets,
    });
    for (const entry of network.acl) put("acl", `${t}/${network.name}/${entry.ruleId}`, entry);
  }
  for (const route of tenant.routes) put("route", `${t}/${route.from}->${route.to}`, route);
  for (const iface of tenant.localInterfaces) {
    put("interface", `${t}/${iface.workload}/${iface.interfaceIndex}`, iface);
  }
  for (const remote of tenant.remoteEndpoints) {
    put("remote", `${t}/${remote.workload}/${remote.network}`, remote);
  }
  for (const peer of tenant.peers) put("peer", `${t}/${peer.node}`, peer);
  for (const group of tenant.securityGroups) {
    for (const rule of group.rules) put("security-group-rule", `${t}/${rule.ruleId}`, rule);
  }
  for (const firewall of tenant.firewalls) {
    for (const rule of firewall.rules) put("firewall-rule", `${t}/${rule.ruleId}`, rule);
  }
  for (const floating of tenant.floatingIps)
    put("floating-ip", `${t}/${floating.ruleId}`, floating);
  for (const nat of tenant.sourceNats) put("source-nat", `${t}/${nat.ruleId}`, nat);
  for (const balancer of tenant.loadBalancers) {
    put("load-balancer", `${t}/${balancer.ruleId}`, balancer);
  }
  for (const zone of tenant.dnsZones) {
    for (const record of zone.records) {
      put("dns-record", `${t}/${zone.ruleId}/${record.network}/${record.name}`, record);
    }
  }
}

function sameContent(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}

/** Per node: the config elements a change from `before` to `after` adds, removes or modifies. */
export function plan(before: CompiledFabric, after: CompiledFabric): FabricPlan {
  const names: string[] = Object.keys(after.nodes);
  for (const name of Object.keys(before.nodes)) if (!(name in after.nodes)) names.push(name);
  const nodes: NodePlan[] = [];
  const totals = { nodes: 0, added: 0, removed: 0, modified: 0 };
  for (const name of names) {
    const hashBefore = before.hashes[name];
    const hashAfter = after.hashes[name];
    if (hashBefore !== undefined && hashBefore === hashAfter) continue;
    const old = elementsOf(before.nodes[name]);
    const next = elementsOf(after.nodes[name]);
    const items: PlanItem[] = [];
    for (const [id, element] of next) {
      const previous = old.get(id);
      const key = id.slice(id.indexOf("\u0000") + 1);
      if (previous === undefined) items.push({ kind: element.kind, key, change: "add" });
      else if (!sameContent(previous.content, element.content)) {
        items.push({ kind: element.kind, key, change: "modify" });
      }
    }
    for (const [id, element] of old) {
      if (!next.has(id)) {
        items.push({
          kind: element.kind,
          key: id.slice(id.indexOf("\u0000") + 1),
          change: "remove",
        });
      }
    }
    items.sort(
      (a, b) =>
        PLAN_KINDS.indexOf(a.kind) - PLAN_KINDS.indexOf(b.kind) ||
        (a.key < b.key ? -1 : a.key > b.key ? 1 : 0),
    );
    const counts: NodePlan["counts"] = {};
    for (const item of items) {
      const count = counts[item.kind] ?? { added: 0, removed: 0, modified: 0 };
      if (item.change === "add") count.added++;
      else if (item.change === "remove") count.removed++;
      else count.modified++;
      counts[item.kind] = count;
    }
    const status: NodePlan["status"] =
      hashBefore === undefined ? "added" : hashAfter === undefined ? "removed" : "changed";
    const nodePlan: NodePlan = { node: name, status, counts, items };
    if (hashBefore !== undefined) nodePlan.hashBefore = hashBefore;
    if (hashAfter !== undefined) nodePlan.hashAfter = hashAfter;
    if (items.length === 0 && status === "changed") continue;
    nodes.push(nodePlan);
    totals.nodes++;
    for (const count of Object.values(counts)) {
      totals.added += count.added;
      totals.removed += count.removed;
      totals.modified += count.modified;
    }
  }
  return { nodes, totals };
}

const SIGN: Record<PlanChange, string> = { add: "+", remove: "-", modify: "~" };

/** The plan as text for the command line: one block per node, counts then items. */
export function formatPlan(fabricPlan: FabricPlan): string {
  if (fabricPlan.nodes.length === 0) return "No config changes on any node.\n";
  const lines: string[] = [];
  for (const node of fabricPlan.nodes) {
    lines.push(`node ${node.node} (${node.status})`);
    const summary = Object.entries(node.counts)
      .map(([kind, count]) => `${kind} +${count.added} -${count.removed} ~${count.modified}`)
      .join(", ");
    if (summary !== "") lines.push(`  ${summary}`);
    for (const item of node.items) lines.push(`  ${SIGN[item.change]} ${item.kind} ${item.key}`);
  }
  const { totals } = fabricPlan;
  lines.push(
    `${totals.nodes} node(s) change: ${totals.added} to add, ${totals.removed} to remove, ${totals.modified} to modify.`,
  );
  return `${lines.join("\n")}\n`;
}
