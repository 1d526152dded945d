import {
  createFloatingIp,
  createRouter,
  deleteFloatingIp,
  deleteRouter,
  findFloatingIp,
  findRouter,
  floatingIpRefs,
  floatingIpView,
  keepFloatingIp,
  routerRefs,
  routerView,
  updateFloatingIp,
  updateRouter,
} from "./l3";
import {
  createNetwork,
  createSubnet,
  deleteNetwork,
  deleteSubnet,
  findNetwork,
  findSubnet,
  networkRefs,
  networkView,
  subnetRefs,
  subnetView,
  updateNetwork,
  updateSubnet,
} from "./networks";
import { createPort, deletePort, findPort, portRefs, portView, updatePort } from "./ports";
import {
  allRuleRefs,
  createGroup,
  createRule,
  deleteGroup,
  deleteRule,
  findGroup,
  findRule,
  groupView,
  ruleView,
  updateGroup,
} from "./security";
import type { SideKind } from "./side";
import { fabricKey, type Json, type Workspace } from "./workspace";

/*
 * The Neutron resources: each collection's views and changes on a Workspace. The HTTP routes
 * (neutron.ts) are the same for every collection and read only this table.
 */

/** One Neutron collection: its views and its changes, all on a Workspace. */
export interface Collection {
  /** The URL segment (`security-groups`). */
  path: string;
  /** The body and answer key of one object (`security_group`) and of a list. */
  singular: string;
  plural: string;
  /** Side-table kinds its views read. */
  kinds: SideKind[];
  /**
   * Side-table kinds a create reads: fewer than a view's where the collection is long (a port
   * create never reads the other ports' rows).
   */
  createKinds: SideKind[];
  list(ws: Workspace): Json[];
  show(ws: Workspace, id: string): Json;
  /** The side row an id names (tags), with the name it falls back to. */
  locate(ws: Workspace, id: string): { kind: SideKind; key: string; fallback: string };
  create?(ws: Workspace, body: Json, context: WriteContext): string;
  update?(ws: Workspace, id: string, body: Json): void;
  remove?(ws: Workspace, id: string): void;
}

export interface WriteContext {
  /** Floating IP addresses other projects hold in the side table (fabric-wide space). */
  reservedElsewhere: ReadonlySet<string>;
}

export const ALL_KINDS: SideKind[] = [
  "network",
  "subnet",
  "port",
  "security_group",
  "security_group_rule",
  "router",
  "floatingip",
];

export const COLLECTIONS: Collection[] = [
  {
    path: "networks",
    singular: "network",
    plural: "networks",
    kinds: ["network", "subnet"],
    createKinds: ["network", "subnet"],
    list: (ws) => networkRefs(ws).map((ref) => networkView(ws, ref)),
    show: (ws, id) => networkView(ws, findNetwork(ws, id, "id")),
    locate: (ws, id) => {
      const ref = findNetwork(ws, id, "id");
      return {
        kind: "network",
        key: ref.fabric ? fabricKey(ref.name) : ref.name,
        fallback: ref.name,
      };
    },
    create: (ws, body) => createNetwork(ws, body),
    update: (ws, id, body) => updateNetwork(ws, findNetwork(ws, id, "id"), body),
    remove: (ws, id) => deleteNetwork(ws, findNetwork(ws, id, "id")),
  },
  {
    path: "subnets",
    singular: "subnet",
    plural: "subnets",
    kinds: ["network", "subnet"],
    createKinds: ["network", "subnet"],
    list: (ws) => subnetRefs(ws).map((ref) => subnetView(ws, ref)),
    show: (ws, id) => subnetView(ws, findSubnet(ws, id, "id")),
    locate: (ws, id) => ({ kind: "subnet", key: findSubnet(ws, id, "id").sideKey, fallback: "" }),
    create: (ws, body) => createSubnet(ws, body),
    update: (ws, id, body) => updateSubnet(ws, findSubnet(ws, id, "id"), body),
    remove: (ws, id) => deleteSubnet(ws, findSubnet(ws, id, "id")),
  },
  {
    path: "ports",
    singular: "port",
    plural: "ports",
    kinds: ["network", "subnet", "port"],
    createKinds: ["network", "subnet", "security_group"],
    list: (ws) => portRefs(ws).map((ref) => portView(ws, ref)),
    show: (ws, id) => portView(ws, findPort(ws, id, "id")),
    locate: (ws, id) => {
      const ref = findPort(ws, id, "id");
      return { kind: "port", key: ref.key, fallback: ref.router ? "" : (ref.workload?.name ?? "") };
    },
    create: (ws, body) => createPort(ws, body),
    update: (ws, id, body) => updatePort(ws, findPort(ws, id, "id"), body),
    remove: (ws, id) => {
      const kept = deletePort(ws, findPort(ws, id, "id")).floatingIp;
      if (kept) keepFloatingIp(ws, kept.ip, kept.pool);
    },
  },
  {
    path: "security-groups",
    singular: "security_group",
    plural: "security_groups",
    kinds: ["security_group", "security_group_rule"],
    createKinds: ["security_group", "security_group_rule"],
    list: (ws) => ws.peek("securityGroups").map((group) => groupView(ws, group)),
    show: (ws, id) => groupView(ws, findGroup(ws, id, "id")),
    locate: (ws, id) => {
      const group = findGroup(ws, id, "id");
      return { kind: "security_group", key: group.name, fallback: group.name };
    },
    create: (ws, body) => createGroup(ws, body),
    update: (ws, id, body) => updateGroup(ws, findGroup(ws, id, "id"), body),
    remove: (ws, id) => deleteGroup(ws, findGroup(ws, id, "id")),
  },
  {
    path: "security-group-rules",
    singular: "security_group_rule",
    plural: "security_group_rules",
    kinds: ["security_group_rule"],
    createKinds: ["security_group", "security_group_rule"],
    list: (ws) => allRuleRefs(ws).map((ref) => ruleView(ws, ref)),
    show: (ws, id) => ruleView(ws, findRule(ws, id)),
    locate: (ws, id) => ({ kind: "security_group_rule", key: findRule(ws, id).key, fallback: "" }),
    create: (ws, body) => createRule(ws, body),
    remove: (ws, id) => deleteRule(ws, findRule(ws, id)),
  },
  {
    path: "routers",
    singular: "router",
    plural: "routers",
    kinds: ["network", "subnet", "router"],
    createKinds: ["network", "subnet", "router"],
    list: (ws) => {
      const networks = networkRefs(ws);
      return routerRefs(ws).map((ref) => routerView(ws, ref, networks));
    },
    show: (ws, id) => routerView(ws, findRouter(ws, id)),
    locate: (ws, id) => {
      const ref = findRouter(ws, id);
      return { kind: "router", key: ref.name, fallback: ref.name };
    },
    create: (ws, body) => createRouter(ws, body),
    update: (ws, id, body) => updateRouter(ws, findRouter(ws, id), body),
    remove: (ws, id) => deleteRouter(ws, findRouter(ws, id)),
  },
  {
    path: "floatingips",
    singular: "floatingip",
    plural: "floatingips",
    kinds: ["network", "subnet", "port", "router", "floatingip"],
    createKinds: ["network", "subnet", "router", "floatingip"],
    list: (ws) => {
      const networks = networkRefs(ws);
      return floatingIpRefs(ws).map((ref) => floatingIpView(ws, ref, networks));
    },
    show: (ws, id) => floatingIpView(ws, findFloatingIp(ws, id)),
    locate: (ws, id) => ({ kind: "floatingip", key: findFloatingIp(ws, id).ip, fallback: "" }),
    create: (ws, body, context) => createFloatingIp(ws, body, context.reservedElsewhere),
    update: (ws, id, body) => updateFloatingIp(ws, findFloatingIp(ws, id), body),
    remove: (ws, id) => deleteFloatingIp(ws, findFloatingIp(ws, id)),
  },
];
