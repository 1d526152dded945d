import {
  assertNever,
  compareEvpnRoutes,
  type FabricExternalNetworkSpec,
  type LearnedEvpnRoute,
  nodeLinkLocal,
} from "@netloom/model";
import type { CompileInput, LearnedRouteConfig, TenantConfig } from "../config";
import { hashJson } from "../hash";

/**
 * Issue 14, import: which learned EVPN type-5 routes become node config, and why the others do
 * not. A route is imported into the fabric external network whose `evpn.routeTarget` it carries,
 * when its VNI is that network's L3 VNI (our VXLAN devices carry one VNI each) and its next hop
 * is not one of this fabric's own nodes (our own routes coming back: a loop). One route per
 * prefix and network: the first in compareEvpnRoutes order wins, so the choice is deterministic.
 */

/** Why a learned route is not programmed (trace and the operator view explain it). */
export type SkipReason =
  | { kind: "no-route-target"; routeTarget: string }
  | { kind: "vni-mismatch"; network: string; expected: number }
  | { kind: "own-node"; node: string }
  | { kind: "via-taken"; via: string; by: string }
  | { kind: "shadowed"; by: LearnedEvpnRoute };

/** What a fabric's learned routes come to: imported entries by L3 VNI, and the skipped ones. */
export interface ImportedRoutes {
  /** Imported routes of each evpn network, by its L3 VNI, sorted by prefix. */
  byVni: ReadonlyMap<number, readonly LearnedRouteConfig[]>;
  skipped: readonly { route: LearnedEvpnRoute; reason: SkipReason }[];
}

export const NO_IMPORTED_ROUTES: ImportedRoutes = { byVni: new Map(), skipped: [] };

/** Decides, for a whole fabric, which learned routes are imported (pure, deterministic). */
export function importLearnedRoutes(fabric: CompileInput["fabric"]): ImportedRoutes {
  const learned = fabric.learnedRoutes ?? [];
  if (learned.length === 0) return NO_IMPORTED_ROUTES;
  const byTarget = new Map<string, FabricExternalNetworkSpec>();
  for (const network of fabric.externalNetworks ?? []) {
    if (network.evpn) byTarget.set(network.evpn.routeTarget, network);
  }
  const nodeByUnderlay = new Map<string, string>(
    fabric.nodes.map((node) => [node.underlay, node.name]),
  );
  // A VTEP's link-local next hop must not be a fabric node's (it would take over its neighbour).
  const viaOwners = new Map(
    fabric.nodes.map((node) => [nodeLinkLocal(node.underlay), `node ${node.name}`]),
  );
  const byVni = new Map<number, LearnedRouteConfig[]>();
  const skipped: { route: LearnedEvpnRoute; reason: SkipReason }[] = [];
  const chosen = new Map<string, LearnedEvpnRoute>();
  for (const route of [...learned].sort(compareEvpnRoutes)) {
    const network = byTarget.get(route.routeTarget);
    const evpn = network?.evpn;
    if (!network || !evpn) {
      skipped.push({ route, reason: { kind: "no-route-target", routeTarget: route.routeTarget } });
      continue;
    }
    if (route.vni !== evpn.vni) {
      skipped.push({
        route,
        reason: { kind: "vni-mismatch", network: network.name, expected: evpn.vni },
      });
      continue;
    }
    const ownNode = nodeByUnderlay.get(route.nexthop);
    if (ownNode !== undefined) {
      skipped.push({ route, reason: { kind: "own-node", node: ownNode } });
      continue;
    }
    const via = nodeLinkLocal(route.nexthop);
    const owner = viaOwners.get(via);
    if (owner !== undefined && owner !== `vtep ${route.nexthop}`) {
      skipped.push({ route, reason: { kind: "via-taken", via, by: owner } });
      continue;
    }
    const key = `${evpn.vni} ${route.prefix}`;
    const first = chosen.get(key);
    if (first) {
      skipped.push({ route, reason: { kind: "shadowed", by: first } });
      continue;
    }
    chosen.set(key, route);
    viaOwners.set(via, `vtep ${route.nexthop}`);
    const entries = byVni.get(evpn.vni) ?? [];
    entries.push({
      prefix: route.prefix,
      network: network.name,
      vni: evpn.vni,
      routerMac: route.routerMac,
      vtep: route.nexthop,
      via,
      peer: route.peer,
      routeTarget: route.routeTarget,
    });
    byVni.set(evpn.vni, entries);
  }
  return { byVni, skipped };
}

/**
 * The learned routes one node programs: those of every evpn network a tenant there carries
 * (an external network instance with that L3 VNI), and their hash; undefined when none.
 */
export function learnedRoutesOfNode(
  imported: ImportedRoutes,
  tenants: readonly TenantConfig[],
): { routes: LearnedRouteConfig[]; hash: string } | undefined {
  if (imported.byVni.size === 0) return undefined;
  const vnis = new Set<number>();
  for (const tenant of tenants) {
    for (const network of tenant.networks) {
      if (network.external && imported.byVni.has(network.vni)) vnis.add(network.vni);
    }
  }
  if (vnis.size === 0) return undefined;
  const routes = [...vnis].sort((a, b) => a - b).flatMap((vni) => imported.byVni.get(vni) ?? []);
  return { routes, hash: hashJson(routes) };
}

/** One line of a skip reason, for trace and the operator. */
export function describeSkip(reason: SkipReason): string {
  switch (reason.kind) {
    case "no-route-target":
      return `no external network imports route target ${reason.routeTarget}`;
    case "vni-mismatch":
      return `its VNI is not ${reason.expected}, the L3 VNI of external network ${reason.network}`;
    case "own-node":
      return `its next hop is this fabric's node ${reason.node} (a loop)`;
    case "via-taken":
      return `its VTEP's link-local next hop ${reason.via} is taken by ${reason.by}`;
    case "shadowed":
      return `the same prefix is imported from VTEP ${reason.by.nexthop} (peer ${reason.by.peer})`;
    default:
      return assertNever(reason, "skip reason");
  }
}
