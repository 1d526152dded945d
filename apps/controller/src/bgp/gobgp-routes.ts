import { z } from "zod";
import type { EvpnType5Route, LearnedEvpnRoute } from "./types";

/**
 * The JSON gobgp prints for a path (`global rib -j`, `monitor ... -j`), as far as the speaker
 * reads it. Other route types and attributes pass through unread.
 */
const extendedCommunitySchema = z
  .object({
    type: z.number(),
    subtype: z.number(),
    value: z.unknown().optional(),
    mac: z.string().optional(),
  })
  .passthrough();

const attributeSchema = z
  .object({
    type: z.number(),
    value: z.unknown().optional(),
    nexthop: z.string().optional(),
  })
  .passthrough();

const pathSchema = z
  .object({
    nlri: z
      .object({
        type: z.number(),
        value: z
          .object({
            rd: z.unknown().optional(),
            prefix: z.string().optional(),
            label: z.number().optional(),
          })
          .passthrough(),
      })
      .passthrough(),
    attrs: z.array(attributeSchema).default([]),
    withdrawal: z.boolean().optional(),
    "neighbor-ip": z.string().optional(),
  })
  .passthrough();

export type GobgpPath = z.infer<typeof pathSchema>;

/** EVPN route type 5, IP prefix. */
const IP_PREFIX_ROUTE = 5;
/** BGP path attribute codes. */
const EXTENDED_COMMUNITIES = 16;
const MP_REACH_NLRI = 14;
/** Extended community subtypes: route target (any type), router MAC (EVPN type 6). */
const ROUTE_TARGET_SUBTYPE = 2;
const EVPN_COMMUNITY_TYPE = 6;
const ROUTER_MAC_SUBTYPE = 3;

/** What one path says, once read: a type-5 route with its origin, or nothing we use. */
export interface ReadPath {
  route: EvpnType5Route;
  /** The NLRI's identity as gobgp prints it (route distinguisher and prefix). */
  nlri: string;
  /** The neighbour's address; absent for a route this speaker originated. */
  neighbor: string | undefined;
  withdrawal: boolean;
}

/** Reads one path; answers undefined for what is not a complete type-5 route. */
export function readPath(value: unknown): ReadPath | undefined {
  const parsed = pathSchema.safeParse(value);
  if (!parsed.success || parsed.data.nlri.type !== IP_PREFIX_ROUTE) return undefined;
  const path = parsed.data;
  const { prefix, label } = path.nlri.value;
  let nexthop: string | undefined;
  let routerMac: string | undefined;
  let routeTarget: string | undefined;
  for (const attribute of path.attrs) {
    if (attribute.type === MP_REACH_NLRI) nexthop = attribute.nexthop;
    if (attribute.type !== EXTENDED_COMMUNITIES || !Array.isArray(attribute.value)) continue;
    for (const raw of attribute.value) {
      const community = extendedCommunitySchema.safeParse(raw);
      if (!community.success) continue;
      const { type, subtype } = community.data;
      if (type === EVPN_COMMUNITY_TYPE && subtype === ROUTER_MAC_SUBTYPE) {
        routerMac = community.data.mac;
      } else if (subtype === ROUTE_TARGET_SUBTYPE && type <= 2) {
        routeTarget ??= String(community.data.value);
      }
    }
  }
  if (!prefix || label === undefined || !nexthop || !routerMac || !routeTarget) return undefined;
  return {
    route: { prefix, vni: label, routerMac: routerMac.toLowerCase(), nexthop, routeTarget },
    nlri: `${JSON.stringify(path.nlri.value.rd ?? null)}|${prefix}`,
    neighbor: path["neighbor-ip"] || undefined,
    withdrawal: path.withdrawal === true,
  };
}

/** The paths of one line of `gobgp ... -j`: a table (object of arrays) or a list of paths. */
export function pathsOfJson(value: unknown): unknown[] {
  if (Array.isArray(value)) return value;
  if (value && typeof value === "object") return Object.values(value).flat();
  return [];
}

/** Route distinguisher of an exported route: the next hop's address and the VNI. */
export const routeDistinguisher = (route: EvpnType5Route) => `${route.nexthop}:${route.vni}`;

/** A route's identity in BGP: the NLRI (RD and prefix). Attributes may change under it. */
export const nlriKey = (route: EvpnType5Route) => `${routeDistinguisher(route)}|${route.prefix}`;

/** Everything a route carries: equal keys need no re-announcement. */
export const routeContentKey = (route: EvpnType5Route) =>
  `${nlriKey(route)}|${route.routerMac}|${route.routeTarget}`;

/** Orders learned routes for a stable answer (store, status, tests). */
export function sortRoutes<T extends EvpnType5Route>(routes: T[]): T[] {
  return routes.sort((a, b) => routeContentKey(a).localeCompare(routeContentKey(b)));
}

/**
 * Learned routes, kept from a stream of paths: keyed by NLRI, since gobgp's global table shows
 * one best path per NLRI and a new best replaces the old one without a withdrawal.
 */
export class LearnedTable {
  private readonly routes = new Map<string, LearnedEvpnRoute>();

  constructor(private readonly peerName: (address: string) => string | undefined) {}

  /** Applies one path; answers whether the table changed. */
  apply(path: ReadPath): boolean {
    const key = path.nlri;
    const peer = path.neighbor === undefined ? undefined : this.peerName(path.neighbor);
    if (path.withdrawal || peer === undefined) {
      // Our own originations show in the global table too: never learned from ourselves.
      return path.withdrawal ? this.routes.delete(key) : false;
    }
    const previous = this.routes.get(key);
    const next: LearnedEvpnRoute = { ...path.route, peer };
    if (previous && routeContentKey(previous) === routeContentKey(next) && previous.peer === peer) {
      return false;
    }
    this.routes.set(key, next);
    return true;
  }

  clear(): boolean {
    const had = this.routes.size > 0;
    this.routes.clear();
    return had;
  }

  list(): LearnedEvpnRoute[] {
    return sortRoutes([...this.routes.values()]);
  }
}
