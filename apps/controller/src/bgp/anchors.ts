import {
  formatIpv4,
  type Ipv4Prefix,
  NetloomError,
  parseCidr,
  parseIpv4,
  prefixMask,
} from "@netloom/model";
import { sortRoutes } from "./gobgp-routes";
import type { EvpnType5Route } from "./types";

/**
 * Anchor routes: what keeps an FRR 8.4 gateway forwarding when the speaker of its best path dies
 * (decision 0008). Redundant speakers originate the same route with the same VTEP. When the
 * best path moves to the other speaker's, zebra replaces the kernel route and, for a VTEP both
 * routes share, first adds the prefix to the VTEP's prefix set (already there) and then removes
 * it for the replaced route: the set empties and zebra deletes the router-MAC neighbour and FDB
 * entry while the route stays, a blackhole. An anchor is one more /32 per VTEP and L3 VNI that
 * only this speaker originates (its host part is the VTEP's, inside this speaker's anchor subnet,
 * NETLOOM_BGP_ANCHOR_SUBNET): while any speaker lives, its anchor keeps the VTEP's set non-empty.
 * Each redundant speaker needs an anchor subnet of its own, nothing routes to it.
 */

const SETTING = "NETLOOM_BGP_ANCHOR_SUBNET";

/** Reads the anchor subnet setting; a malformed value is refused naming the setting. */
export function parseAnchorSubnet(text: string): Ipv4Prefix {
  const parsed = parseCidr(text);
  if (!parsed.ok) {
    throw new NetloomError("INVALID", `${SETTING}: ${parsed.message}`, [
      { path: SETTING, message: parsed.message },
    ]);
  }
  if (parsed.value.length > 30) {
    const message = "an anchor subnet holds the VTEPs' host parts: /30 or larger";
    throw new NetloomError("INVALID", `${SETTING}: ${message}`, [{ path: SETTING, message }]);
  }
  return parsed.value;
}

/** The anchor address of a VTEP: its host part inside the anchor subnet. */
export function anchorAddress(vtep: string, subnet: Ipv4Prefix): string | undefined {
  const address = parseIpv4(vtep);
  if (address === undefined) return undefined;
  const mask = prefixMask(subnet.length);
  return formatIpv4(((subnet.network & mask) | (address & ~mask)) >>> 0);
}

/**
 * One anchor route per VTEP and L3 VNI among the exports (router MAC and route target of that
 * VTEP's first export); none without an anchor subnet.
 */
export function anchorRoutes(
  exports: readonly EvpnType5Route[],
  subnet: Ipv4Prefix | undefined,
): EvpnType5Route[] {
  if (!subnet) return [];
  const anchors = new Map<string, EvpnType5Route>();
  for (const route of sortRoutes([...exports])) {
    const key = `${route.nexthop}|${route.vni}`;
    const prefix = anchorAddress(route.nexthop, subnet);
    if (anchors.has(key) || prefix === undefined) continue;
    anchors.set(key, { ...route, prefix: `${prefix}/32` });
  }
  return [...anchors.values()];
}
