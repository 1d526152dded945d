import type { Ports } from "@netloom/model";
import type { PortRange } from "./config";

/*
 * Private IPv4 helpers. packages/model is getting its own IPv4 arithmetic; the compiler keeps
 * this small numeric copy because it needs addresses as plain numbers and CIDR sets as sorted
 * intervals on its hot paths (trace, all-pairs).
 */

/** A dotted quad as an unsigned 32-bit number, or undefined when it is not one. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = value * 256 + octet;
  }
  return value;
}

export function formatIpv4(value: number): string {
  return `${Math.floor(value / 16777216) % 256}.${Math.floor(value / 65536) % 256}.${
    Math.floor(value / 256) % 256
  }.${value % 256}`;
}

/** An address range, inclusive: [first, last]. */
export type Interval = readonly [number, number];

/** `a.b.c.d/len` (or a bare address, read as /32) as its address range; undefined if malformed. */
export function parseCidrRange(text: string): Interval | undefined {
  const slash = text.indexOf("/");
  const address = parseIpv4(slash < 0 ? text : text.slice(0, slash));
  if (address === undefined) return undefined;
  let length = 32;
  if (slash >= 0) {
    const lengthText = text.slice(slash + 1);
    if (!/^\d{1,2}$/.test(lengthText)) return undefined;
    length = Number(lengthText);
    if (length > 32) return undefined;
  }
  const size = 2 ** (32 - length);
  const first = address - (address % size);
  return [first, first + size - 1];
}

export function prefixLength(cidr: string): number {
  const slash = cidr.indexOf("/");
  return slash < 0 ? 32 : Number(cidr.slice(slash + 1));
}

/** The first host of a prefix: the default gateway (spec section 1). */
export function firstHost(cidr: string): string {
  const range = parseCidrRange(cidr);
  if (range === undefined) return "";
  return formatIpv4(range[1] > range[0] ? range[0] + 1 : range[0]);
}

/**
 * A set of addresses as sorted, merged, non-adjacent intervals, flattened:
 * `[first0, last0, first1, last1, ...]`.
 */
export type IntervalSet = number[];

export function intervalSetOf(cidrs: readonly string[]): IntervalSet {
  const ranges: Interval[] = [];
  for (const cidr of cidrs) {
    const range = parseCidrRange(cidr);
    if (range !== undefined) ranges.push(range);
  }
  ranges.sort((a, b) => a[0] - b[0]);
  const set: IntervalSet = [];
  for (const [first, last] of ranges) {
    const end = set.length - 1;
    const previousLast = set[end];
    if (previousLast !== undefined && first <= previousLast + 1) {
      if (last > previousLast) set[end] = last;
    } else {
      set.push(first, last);
    }
  }
  return set;
}

export function setContains(set: IntervalSet, address: number): boolean {
  const count = set.length >> 1;
  if (count <= 8) {
    for (let i = 0; i < set.length; i += 2) {
      if (address >= (set[i] as number) && address <= (set[i + 1] as number)) return true;
    }
    return false;
  }
  let low = 0;
  let high = count - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const first = set[middle * 2] as number;
    if (address < first) high = middle - 1;
    else if (address > (set[middle * 2 + 1] as number)) low = middle + 1;
    else return true;
  }
  return false;
}

export function setsOverlap(a: IntervalSet, b: IntervalSet): boolean {
  let i = 0;
  let j = 0;
  while (i < a.length && j < b.length) {
    const aFirst = a[i] as number;
    const aLast = a[i + 1] as number;
    const bFirst = b[j] as number;
    const bLast = b[j + 1] as number;
    if (aLast < bFirst) i += 2;
    else if (bLast < aFirst) j += 2;
    else return true;
  }
  return false;
}

/** `ports` of the file (number, range, comma list; absent = every port) as ranges. */
export function portRanges(ports: Ports | undefined): PortRange[] {
  if (ports === undefined) return [];
  if (typeof ports === "number") return [{ from: ports, to: ports }];
  const ranges: PortRange[] = [];
  for (const piece of ports.split(",")) {
    const text = piece.trim();
    if (text === "") continue;
    const dash = text.indexOf("-");
    if (dash < 0) {
      const port = Number(text);
      if (Number.isInteger(port)) ranges.push({ from: port, to: port });
    } else {
      const from = Number(text.slice(0, dash));
      const to = Number(text.slice(dash + 1));
      if (Number.isInteger(from) && Number.isInteger(to)) ranges.push({ from, to });
    }
  }
  return ranges;
}
