import { z } from "zod";
import type { Problem } from "./errors";
import { MAC_PATTERN, routeTargetProblem } from "./evpn";
import type { FabricFile } from "./intent";
import { parseCidr, parseIpv4, showValue, unsafeTextReason } from "./ipv4";

/**
 * EVPN type-5 (IP prefix) routes as the two sides of the BGP door exchange them (issue 14):
 * the compiler derives the exported ones, the controller's speaker parses learned ones from
 * GoBGP's JSON into these schemas, the store keeps the learned ones, the compiler imports them.
 * Plain strings on purpose: they cross JSON, SQL and the gobgp CLI as they are.
 */

function checked(check: (value: string) => string | undefined) {
  return z.string().superRefine((value, ctx) => {
    const message = unsafeTextReason(value) ?? check(value);
    if (message !== undefined) ctx.addIssue({ code: "custom", message, input: value });
  });
}

const prefixText = checked((value) => {
  const parsed = parseCidr(value);
  return parsed.ok ? undefined : parsed.message;
});
const addressText = checked((value) =>
  parseIpv4(value) === undefined ? `${showValue(value)} is not an IPv4 address` : undefined,
);
const macText = checked((value) =>
  MAC_PATTERN.test(value) ? undefined : `${showValue(value)} is not a MAC address`,
);

/** A type-5 route: an IPv4 prefix behind a VTEP, in an L3 VNI, under a route target. */
export const evpnType5RouteSchema = z.strictObject({
  prefix: prefixText,
  vni: z
    .number()
    .int({ message: "a VNI is a whole number" })
    .min(1, { message: "a VNI is 1-16777215" })
    .max(16_777_215, { message: "a VNI is 1-16777215" }),
  /** The MAC the VTEP's inner frames must be addressed to (its router MAC). */
  routerMac: macText,
  /** The VTEP's underlay address: where the VXLAN packets go. */
  nexthop: addressText,
  routeTarget: checked(routeTargetProblem),
});
export type EvpnType5Route = z.infer<typeof evpnType5RouteSchema>;

/** A type-5 route the speaker learned, and the peer (by its `bgp.peers[].name`) it came from. */
export const learnedEvpnRouteSchema = evpnType5RouteSchema.extend({
  peer: z.string().min(1, { message: "names the peer the route came from" }),
});
export type LearnedEvpnRoute = z.infer<typeof learnedEvpnRouteSchema>;

/** Orders type-5 routes by VNI, prefix (numerically), next hop, route target, MAC, peer. */
export function compareEvpnRoutes(
  a: EvpnType5Route & { peer?: string },
  b: EvpnType5Route & { peer?: string },
): number {
  return (
    a.vni - b.vni ||
    comparePrefixes(a.prefix, b.prefix) ||
    (parseIpv4(a.nexthop) ?? 0) - (parseIpv4(b.nexthop) ?? 0) ||
    compareText(a.routeTarget, b.routeTarget) ||
    compareText(a.routerMac, b.routerMac) ||
    compareText(a.peer ?? "", b.peer ?? "")
  );
}

function comparePrefixes(a: string, b: string): number {
  const left = parseCidr(a);
  const right = parseCidr(b);
  if (!left.ok || !right.ok) return compareText(a, b);
  return left.value.network - right.value.network || left.value.length - right.value.length;
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * The EVPN and BGP rules of a Fabric file that span fields (issue 14): each external network's
 * L3 VNI and route target are its own, a tenant subnet is exported once per network, peers have
 * distinct names and addresses and none is the router id. Problems name the field.
 */
export function validateFabricEvpn(file: Pick<FabricFile, "externalNetworks" | "bgp">): Problem[] {
  const problems: Problem[] = [];
  const vnis = new Map<number, number>();
  const targets = new Map<string, number>();
  (file.externalNetworks ?? []).forEach((network, index) => {
    const evpn = network.evpn;
    if (!evpn) return;
    const path = `externalNetworks[${index}].evpn`;
    const vniOwner = vnis.get(evpn.vni);
    if (vniOwner !== undefined) {
      problems.push({
        path: `${path}.vni`,
        message: `VNI ${evpn.vni} is the L3 VNI of externalNetworks[${vniOwner}] too`,
      });
    } else vnis.set(evpn.vni, index);
    const targetOwner = targets.get(evpn.routeTarget);
    if (targetOwner !== undefined) {
      problems.push({
        path: `${path}.routeTarget`,
        message: `route target ${evpn.routeTarget} is imported by externalNetworks[${targetOwner}] too`,
      });
    } else targets.set(evpn.routeTarget, index);
    const exported = new Set<string>();
    (evpn.exportTenantSubnets ?? []).forEach((entry, entryIndex) => {
      const key = `${entry.tenant}/${entry.network}`;
      if (exported.has(key)) {
        problems.push({
          path: `${path}.exportTenantSubnets[${entryIndex}]`,
          message: `network ${entry.network} of tenant ${entry.tenant} is listed twice`,
        });
      }
      exported.add(key);
    });
  });
  const bgp = file.bgp;
  if (bgp) {
    const names = new Set<string>();
    const addresses = new Set<string>();
    bgp.peers.forEach((peer, index) => {
      const path = `bgp.peers[${index}]`;
      if (names.has(peer.name)) {
        problems.push({ path: `${path}.name`, message: `${peer.name} is listed twice` });
      }
      names.add(peer.name);
      if (addresses.has(peer.address)) {
        problems.push({ path: `${path}.address`, message: `${peer.address} is listed twice` });
      } else if (peer.address === bgp.routerId) {
        problems.push({
          path: `${path}.address`,
          message: `${peer.address} is this speaker's own router id`,
        });
      }
      addresses.add(peer.address);
    });
  }
  return problems;
}
