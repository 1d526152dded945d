import type { Router } from "@netloom/model";
import type { InterNetworkRoute } from "../config";
import { setsOverlap } from "../ipv4";
import type { PolicyStage } from "./networks";
import {
  hashOnly,
  type NetInfo,
  type PolicyEntries,
  type RouteInfo,
  type TenantDerived,
} from "./pieces";
import { sameItems, sameJson, sameNetSlots, sameReach } from "./reuse";

/*
 * Stage 4: leaked routes between networks. A router joins its networks; otherwise both lists
 * need an allow rule that can match some flow between the two networks ("may allow").
 */

export interface RouteStage {
  mayAllowKey: string;
  mayAllow: Map<string, Set<string>>;
  routeCache: Map<string, Map<string, RouteInfo>>;
  routesFrom: Map<string, RouteInfo[]>;
  routesByIndex: RouteInfo[][];
  /** Nothing routes derive from changed: the route maps are the previous derivation's. */
  unchanged: boolean;
}

export function deriveRoutes(
  netList: readonly NetInfo[],
  policies: PolicyStage,
  routers: readonly Router[],
  prior: TenantDerived | undefined,
): RouteStage {
  // The previous network list itself (stage 1 kept): the same keys, without joining them.
  const mayAllowKey =
    prior !== undefined && prior.netList === netList
      ? prior.mayAllowKey
      : netList.map((info) => info.key).join("\n");
  let mayAllow =
    prior?.mayAllowKey === mayAllowKey ? prior.mayAllow : computeMayAllow(netList, policies, prior);
  // The same reach from other inputs (a gateway, a rule that adds no pair): the previous map,
  // so that the routes need no rebuild.
  if (prior !== undefined && prior.mayAllow !== mayAllow && sameReach(prior.mayAllow, mayAllow)) {
    mayAllow = prior.mayAllow;
  }
  // Same policy reach, routers and network places as last time: the same routes.
  if (
    prior !== undefined &&
    prior.mayAllow === mayAllow &&
    sameNetSlots(prior.netList, netList) &&
    sameJson(prior.routerInput, routers)
  ) {
    return {
      mayAllowKey: prior.mayAllowKey === mayAllowKey ? prior.mayAllowKey : mayAllowKey,
      mayAllow,
      routeCache: prior.routeCache,
      routesFrom: prior.routesFrom,
      routesByIndex: prior.routesByIndex,
      unchanged: true,
    };
  }
  const stage: RouteStage = {
    mayAllowKey,
    mayAllow,
    routeCache: new Map(),
    routesFrom: new Map(),
    routesByIndex: [],
    unchanged: false,
  };
  const routerOf = routerJoins(routers);
  for (let fromIndex = 0; fromIndex < netList.length; fromIndex++) {
    const from = netList[fromIndex];
    if (from === undefined) continue;
    routesFromNetwork(from, netList, mayAllow, routerOf.get(from.name), prior, stage);
  }
  return stage;
}

/** For each network: the other networks a router joins it to, with the first such router. */
function routerJoins(routers: readonly Router[]): Map<string, Map<string, string>> {
  const routerOf = new Map<string, Map<string, string>>();
  for (const router of routers) {
    for (const a of router.networks) {
      let joined = routerOf.get(a);
      if (joined === undefined) {
        joined = new Map();
        routerOf.set(a, joined);
      }
      for (const b of router.networks) {
        if (a !== b && !joined.has(b)) joined.set(b, router.name);
      }
    }
  }
  return routerOf;
}

/** One network's routes; a route keeps its object while its ends, router and index stay. */
function routesFromNetwork(
  from: NetInfo,
  netList: readonly NetInfo[],
  mayAllow: ReadonlyMap<string, Set<string>>,
  joined: ReadonlyMap<string, string> | undefined,
  prior: TenantDerived | undefined,
  stage: RouteStage,
): void {
  const priorRoutes = prior?.routeCache.get(from.name);
  const cache = new Map<string, RouteInfo>();
  const mayFrom = mayAllow.get(from.name);
  const list: RouteInfo[] = [];
  for (let toIndex = 0; toIndex < netList.length; toIndex++) {
    const to = netList[toIndex];
    if (to === undefined || from === to) continue;
    const router = joined?.get(to.name);
    const viaRouter = router === undefined ? undefined : `router:${router}`;
    if (
      viaRouter === undefined &&
      !(mayFrom?.has(to.name) && mayAllow.get(to.name)?.has(from.name))
    ) {
      continue;
    }
    let route = priorRoutes?.get(to.name);
    if (route !== undefined && route.toIndex !== to.order) {
      // Only the target's place moved: the same piece (and hash), at its new index.
      route = { hashed: route.hashed, toIndex: to.order };
    }
    if (route === undefined || route.hashed.value.viaRouter !== viaRouter) {
      const value: InterNetworkRoute =
        viaRouter === undefined
          ? { from: from.name, to: to.name, noMatch: "deny" }
          : { from: from.name, to: to.name, noMatch: "allow", viaRouter };
      route = { hashed: hashOnly(value), toIndex: to.order };
    }
    cache.set(to.name, route);
    list.push(route);
  }
  if (cache.size > 0) stage.routeCache.set(from.name, cache);
  if (list.length > 0) stage.routesFrom.set(from.name, list);
  stage.routesByIndex.push(list);
}

/**
 * For each network: the networks its list has an allow rule for (in some orientation). With
 * the same networks at the same places with the same subnets as last time, a network whose key
 * (and so its policy list) is unchanged keeps its previous set. When networks were only removed
 * (the others kept their subnets), a network with the same compiled policies keeps its previous
 * set less the removed networks: reach between two networks depends on their subnets and lists.
 */
function computeMayAllow(
  netList: readonly NetInfo[],
  policies: PolicyStage,
  prior: TenantDerived | undefined,
): Map<string, Set<string>> {
  const samePlaces = prior !== undefined && sameNetSlots(prior.netList, netList);
  const onlyRemoved = !samePlaces && prior !== undefined && onlyRemovals(prior, netList);
  const mayAllow = new Map<string, Set<string>>();
  for (let i = 0; i < netList.length; i++) {
    const info = netList[i];
    if (info === undefined) continue;
    const kept = samePlaces
      ? keptReach(info, prior)
      : onlyRemoved
        ? reachWithoutRemoved(info, policies, prior)
        : undefined;
    mayAllow.set(info.name, kept ?? reachOf(info, netList, policies.aclParts.get(info.name) ?? []));
  }
  return mayAllow;
}

function keptReach(info: NetInfo, prior: TenantDerived): Set<string> | undefined {
  return prior.nets.get(info.name)?.key === info.key ? prior.mayAllow.get(info.name) : undefined;
}

/** Fewer networks than before, each of them there before with the same subnets. */
function onlyRemovals(prior: TenantDerived, netList: readonly NetInfo[]): boolean {
  if (netList.length >= prior.netList.length) return false;
  for (const info of netList) {
    if (prior.nets.get(info.name)?.subnetsKey !== info.subnetsKey) return false;
  }
  return true;
}

/** The previous reach less the removed networks, when the network's compiled policies are the same. */
function reachWithoutRemoved(
  info: NetInfo,
  policies: PolicyStage,
  prior: TenantDerived,
): Set<string> | undefined {
  const before = prior.mayAllow.get(info.name);
  const serials = policies.aclSerials.get(info.name);
  const priorSerials = prior.aclSerials.get(info.name);
  if (before === undefined || serials === undefined || priorSerials === undefined) return undefined;
  if (!sameItems(serials, priorSerials)) return undefined;
  let removed = false;
  before.forEach((name) => {
    if (!policies.aclSerials.has(name)) removed = true;
  });
  if (!removed) return before;
  const reach = new Set<string>();
  before.forEach((name) => {
    if (policies.aclSerials.has(name)) reach.add(name);
  });
  return reach;
}

/** The networks one network's policy list may allow traffic with. */
function reachOf(
  info: NetInfo,
  netList: readonly NetInfo[],
  parts: readonly PolicyEntries[],
): Set<string> {
  const reachable = new Set<string>();
  for (let p = 0; p < parts.length; p++) {
    const part = parts[p];
    if (part === undefined) continue;
    for (let index = 0; index < part.entries.length; index++) {
      const entry = part.entries[index];
      const sets = part.sets[index];
      if (entry === undefined || sets === undefined || entry.action !== "allow") continue;
      const fromHere = setsOverlap(sets.sources, info.set);
      const toHere = setsOverlap(sets.destinations, info.set);
      if (!fromHere && !toHere) continue;
      for (let k = 0; k < netList.length; k++) {
        const other = netList[k];
        if (other === undefined || other === info || reachable.has(other.name)) continue;
        if (
          (fromHere && setsOverlap(sets.destinations, other.set)) ||
          (toHere && setsOverlap(sets.sources, other.set))
        ) {
          reachable.add(other.name);
        }
      }
    }
  }
  return reachable;
}
