import {
  broadcastAddress,
  defaultGateway,
  formatIpv4,
  type PortRange,
  type Ports,
  parseCidr,
  parsePorts,
} from "@netloom/model";

/*
 * The compiler's thin adapter over @netloom/model's IPv4 and port parsing: the parsing and
 * address arithmetic are model's; what stays here is the shape the hot paths (trace, all-pairs,
 * route leaking) want, CIDR lists as sorted interval sets of plain numbers.
 */

/** `a.b.c.d/len` as its inclusive address range [first, last]; undefined unless a prefix. */
export function cidrInterval(text: string): [number, number] | undefined {
  const parsed = parseCidr(text);
  return parsed.ok ? [parsed.value.network, broadcastAddress(parsed.value)] : undefined;
}

/** The prefix length of a subnet's CIDR (32 when it is not a prefix: a single address). */
export function prefixLength(cidr: string): number {
  const parsed = parseCidr(cidr);
  return parsed.ok ? parsed.value.length : 32;
}

/** The gateway a subnet gets when its file names none (model's rule); "" when it gets none. */
export function defaultGatewayOf(cidr: string): string {
  const parsed = parseCidr(cidr);
  const gateway = parsed.ok ? defaultGateway(parsed.value) : undefined;
  return gateway === undefined ? "" : formatIpv4(gateway);
}

/** `ports` of the file (absent = every port) as ranges; unparsable ports match no range. */
export function portRanges(ports: Ports | undefined): PortRange[] {
  if (ports === undefined) return [];
  const parsed = parsePorts(ports);
  return parsed.ok ? parsed.value : [];
}

/**
 * A set of addresses as sorted, merged, non-adjacent intervals, flattened:
 * `[first0, last0, first1, last1, ...]`.
 */
export type IntervalSet = number[];

/** The set of the addresses of CIDRs (what is not a prefix is left out). */
export function intervalSetOf(cidrs: readonly string[]): IntervalSet {
  const ranges: [number, number][] = [];
  for (const cidr of cidrs) {
    const range = cidrInterval(cidr);
    if (range !== undefined) ranges.push(range);
  }
  return mergeRanges(ranges);
}

/** The union of interval sets. */
export function unionOf(sets: readonly IntervalSet[]): IntervalSet {
  const ranges: [number, number][] = [];
  for (const set of sets) {
    for (let i = 0; i < set.length; i += 2) ranges.push([set[i] as number, set[i + 1] as number]);
  }
  return mergeRanges(ranges);
}

/** Sorts ranges (in place) and merges overlapping and adjacent ones into a set. */
function mergeRanges(ranges: [number, number][]): IntervalSet {
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
