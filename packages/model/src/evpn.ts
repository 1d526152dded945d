import { parseIpv4, showValue } from "./ipv4";

/**
 * EVPN values both sides of the BGP door agree on (issue 14): route targets, the MAC of a node's
 * VXLAN devices (its EVPN router MAC) and the link-local next hop that stands for a VTEP on an
 * overlay. Pure string arithmetic, no dependency: the compiler, the dataplane and the controller's
 * speaker all compute the same values from the same underlay address.
 */

/** Lowest and highest 4-byte AS number BGP allows a speaker to use (0 and 2^32-1 are reserved). */
export const MIN_AS = 1;
export const MAX_AS = 4_294_967_294;

/** Seconds a peer keeps our routes after the session drops (RFC 4724), unless configured. */
export const DEFAULT_GRACEFUL_RESTART_SECONDS = 120;

/** A MAC address as the kernel and GoBGP print it: six lowercase hex pairs. */
export const MAC_PATTERN = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

const DECIMAL = /^(0|[1-9]\d*)$/;

/**
 * Checks an `ASN:NN` route target (RFC 4360: a 2-byte AS with a 4-byte number, or a 4-byte AS
 * with a 2-byte number); answers the problem's message, undefined when it is fine.
 */
export function routeTargetProblem(text: string): string | undefined {
  const parts = text.split(":");
  const [asText, numberText] = parts;
  const wrong = `${showValue(text)} is not a route target of the form ASN:NN (e.g. 65000:5000)`;
  if (parts.length !== 2 || asText === undefined || numberText === undefined) return wrong;
  if (!DECIMAL.test(asText) || !DECIMAL.test(numberText)) return wrong;
  const as = Number(asText);
  const number = Number(numberText);
  if (as > 4_294_967_295) return `${showValue(text)}: AS ${asText} is above 4294967295`;
  const numberLimit = as > 65_535 ? 65_535 : 4_294_967_295;
  if (number > numberLimit) {
    return `${showValue(text)}: ${numberText} is above ${numberLimit} (the most a route target with AS ${asText} holds)`;
  }
  return undefined;
}

const octets = (ip: string) => ip.split(".").map((part) => Number.parseInt(part, 10));
const hex = (value: number) => value.toString(16).padStart(2, "0");

/**
 * The MAC of a node's VXLAN devices, from its underlay address: every node can compute every
 * peer's, so neighbours and FDB entries are static and nothing is learned over the overlay. It is
 * also the node's EVPN router MAC in the type-5 routes the controller exports for it.
 */
export function nodeOverlayMac(underlay: string): string {
  const [a = 0, b = 0, c = 0, d = 0] = octets(underlay);
  return `02:4e:${hex(a)}:${hex(b)}:${hex(c)}:${hex(d)}`;
}

/** The link-local next hop that stands for a VTEP (a node or a gateway) on every overlay. */
export function nodeLinkLocal(underlay: string): string {
  const [, , c = 0, d = 0] = octets(underlay);
  return `169.254.${c}.${d}`;
}

/** Whether `text` is a dotted-quad address (the next hop of a route). */
export function isIpv4(text: string): boolean {
  return parseIpv4(text) !== undefined;
}
