/**
 * IPv4 as unsigned 32-bit integers. Every address here is a `number` in 0..2^32-1; arithmetic
 * goes through `>>> 0` so results stay unsigned. No dependency, no I/O.
 */

/** A parse that either gives a value or says, in one message naming the input, what is wrong. */
export type Parsed<T> = { ok: true; value: T } | { ok: false; message: string };

/** An IPv4 prefix: `network` has no host bits set, `length` is 0..32. */
export interface Ipv4Prefix {
  network: number;
  length: number;
}

/** A port range, inclusive at both ends. */
export interface PortRange {
  from: number;
  to: number;
}

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)$/;

/** `10.1.0.5` → 0x0a010005; undefined unless a plain dotted quad (no leading zeros). */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!OCTET.test(part)) return undefined;
    value = value * 256 + Number(part);
  }
  return value;
}

/** 0x0a010005 → `10.1.0.5`. */
export function formatIpv4(address: number): string {
  const a = address >>> 0;
  return `${a >>> 24}.${(a >>> 16) & 255}.${(a >>> 8) & 255}.${a & 255}`;
}

/** The netmask of a prefix length, e.g. 24 → 0xffffff00. */
export function prefixMask(length: number): number {
  return length === 0 ? 0 : (0xffffffff << (32 - length)) >>> 0;
}

/**
 * `10.1.0.0/24` → prefix. Refuses a malformed prefix (`10.1.0.0/33 is not an IPv4 prefix`) and
 * one with host bits set, suggesting the prefix meant
 * (`10.1.0.5/24 has host bits set (did you mean 10.1.0.0/24?)`).
 */
export function parseCidr(text: string): Parsed<Ipv4Prefix> {
  const notPrefix: Parsed<Ipv4Prefix> = {
    ok: false,
    message: `${showValue(text)} is not an IPv4 prefix`,
  };
  const slash = text.indexOf("/");
  if (slash < 0) return notPrefix;
  const address = parseIpv4(text.slice(0, slash));
  const lengthText = text.slice(slash + 1);
  if (address === undefined || !/^(3[0-2]|[12]?\d)$/.test(lengthText)) return notPrefix;
  const length = Number(lengthText);
  const network = (address & prefixMask(length)) >>> 0;
  if (network !== address) {
    return {
      ok: false,
      message: `${text} has host bits set (did you mean ${formatIpv4(network)}/${length}?)`,
    };
  }
  return { ok: true, value: { network, length } };
}

/** `10.1.0.0/24`. */
export function formatCidr(prefix: Ipv4Prefix): string {
  return `${formatIpv4(prefix.network)}/${prefix.length}`;
}

/** The number of addresses the prefix spans (2^(32-length)). */
export function prefixSize(prefix: Ipv4Prefix): number {
  return 2 ** (32 - prefix.length);
}

/** The network address (the prefix's first address). */
export function networkAddress(prefix: Ipv4Prefix): number {
  return prefix.network;
}

/** The broadcast address (the prefix's last address). */
export function broadcastAddress(prefix: Ipv4Prefix): number {
  return prefix.network + prefixSize(prefix) - 1;
}

/** Whether the address lies in the prefix. */
export function prefixContains(prefix: Ipv4Prefix, address: number): boolean {
  return (address & prefixMask(prefix.length)) >>> 0 === prefix.network;
}

/** Whether `inner` lies wholly inside `outer` (a prefix covers itself). */
export function prefixCovers(outer: Ipv4Prefix, inner: Ipv4Prefix): boolean {
  return outer.length <= inner.length && prefixContains(outer, inner.network);
}

/** Whether two prefixes share any address; for prefixes that means one covers the other. */
export function prefixesOverlap(a: Ipv4Prefix, b: Ipv4Prefix): boolean {
  return prefixCovers(a, b) || prefixCovers(b, a);
}

/**
 * Whether the prefix has a network and a broadcast address that no host may use. /31 (RFC 3021
 * point-to-point) and /32 (a single host) have none: every address is a host.
 */
export function hasNetworkAndBroadcast(prefix: Ipv4Prefix): boolean {
  return prefix.length <= 30;
}

/** The first address a host may use: network + 1, or the network itself for /31 and /32. */
export function firstHost(prefix: Ipv4Prefix): number {
  return hasNetworkAndBroadcast(prefix) ? prefix.network + 1 : prefix.network;
}

/** The last address a host may use: broadcast - 1, or the broadcast itself for /31 and /32. */
export function lastHost(prefix: Ipv4Prefix): number {
  const broadcast = broadcastAddress(prefix);
  return hasNetworkAndBroadcast(prefix) ? broadcast - 1 : broadcast;
}

/** How many addresses hosts may use: 2^(32-len) - 2, or 2 for /31 and 1 for /32. */
export function hostCount(prefix: Ipv4Prefix): number {
  return lastHost(prefix) - firstHost(prefix) + 1;
}

/**
 * The gateway a subnet gets when its file names none: the first host. A /32 has room for one
 * host only, so it gets no gateway (its host reaches others through on-link routing).
 */
export function defaultGateway(prefix: Ipv4Prefix): number | undefined {
  return prefix.length === 32 ? undefined : firstHost(prefix);
}

/**
 * The lowest host address of the prefix that is not taken and is not the gateway (by default
 * the default gateway; pass `null` for a subnet without one). Network and broadcast are never
 * handed out (they do not exist on /31 and /32). Undefined when the prefix is full.
 */
export function nextFreeAddress(
  cidr: Ipv4Prefix | string,
  taken: ReadonlySet<number>,
  gateway?: number | null,
): number | undefined {
  const prefix = typeof cidr === "string" ? parseCidr(cidr) : { ok: true as const, value: cidr };
  if (!prefix.ok) return undefined;
  const reserved = gateway === undefined ? defaultGateway(prefix.value) : gateway;
  const last = lastHost(prefix.value);
  for (let address = firstHost(prefix.value); address <= last; address++) {
    if (address !== reserved && !taken.has(address)) return address;
  }
  return undefined;
}

/**
 * `80`, `"80"`, `"8000-8080"` or `"80,443,8000-8080"` → inclusive ranges in the order written.
 * Every port must be 1-65535 and every range low-high.
 */
export function parsePorts(ports: number | string): Parsed<PortRange[]> {
  if (typeof ports === "number") {
    return isPort(ports)
      ? { ok: true, value: [{ from: ports, to: ports }] }
      : { ok: false, message: `${ports} is not a port (1-65535)` };
  }
  const shown = showValue(ports);
  const ranges: PortRange[] = [];
  for (const rawPart of ports.split(",")) {
    const part = rawPart.trim();
    const match = /^(\d{1,10})(?:\s*-\s*(\d{1,10}))?$/.exec(part);
    if (!match) {
      return {
        ok: false,
        message: `${shown} is not a port list (a port, a range like 8000-8080, or a comma list like 80,443)`,
      };
    }
    const from = Number(match[1]);
    const to = match[2] === undefined ? from : Number(match[2]);
    for (const port of [from, to]) {
      if (!isPort(port)) {
        const context = ports.trim() === String(port) ? "" : `${shown}: `;
        return { ok: false, message: `${context}${port} is not a port (1-65535)` };
      }
    }
    if (from > to) {
      return { ok: false, message: `${shown}: range ${from}-${to} ends before it starts` };
    }
    ranges.push({ from, to });
  }
  return { ok: true, value: ranges };
}

/** Whether the number is a TCP/UDP port, 1-65535. */
export function isPort(value: number): boolean {
  return Number.isInteger(value) && value >= 1 && value <= 65535;
}

// Unicode: C0 and C1 controls, DEL, zero-width and bidirectional formatting characters, line and
// paragraph separators, and the byte-order mark. They make a value look other than it is.
const UNSAFE_CHARACTER =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u061c\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff]/u;
const BIDI_CHARACTER = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/u;

/**
 * Why a string is unfit to show or store, or undefined: it holds a control character or a
 * Unicode bidirectional override (which can make `web` display as something else).
 */
export function unsafeTextReason(text: string): string | undefined {
  const match = UNSAFE_CHARACTER.exec(text);
  if (!match) return undefined;
  const char = match[0];
  const code = `U+${(char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0")}`;
  if (BIDI_CHARACTER.test(char))
    return `contains a Unicode bidirectional control character (${code})`;
  if (/[\u200b-\u200d\u2028\u2029\ufeff]/u.test(char)) {
    return `contains an invisible character (${code})`;
  }
  return `contains a control character (${code})`;
}

const UNSAFE_GLOBAL = new RegExp(UNSAFE_CHARACTER.source, "gu");
const MAX_SHOWN = 60;

/**
 * A string as JSON-like quoted text, safe to print: controls, bidi and invisible characters
 * escaped as `\uXXXX`, long values cut.
 */
export function quoteValue(text: string): string {
  const cut = text.length > MAX_SHOWN ? `${text.slice(0, MAX_SHOWN)}…` : text;
  return JSON.stringify(cut).replace(
    UNSAFE_GLOBAL,
    (char) => `\\u${(char.codePointAt(0) ?? 0).toString(16).padStart(4, "0")}`,
  );
}

/** Address-like values as they are (`10.1.0.0/33`), anything else quoted. */
export function showValue(text: string): string {
  return /^[0-9A-Za-z.:/,-]{1,60}$/.test(text) ? text : quoteValue(text);
}
