import { formatIpv4, NetloomError, parseIpv4, prefixMask } from "@netloom/model";

/**
 * Address ranges as nft interval sets need them (they refuse overlapping elements), on the
 * model's IPv4 arithmetic: the one copy of it (issue 12 §5).
 */

/** The inclusive address range of a CIDR (a bare address is a /32); host bits are ignored. */
export function cidrRange(cidr: string): [number, number] {
  const [address = "", lengthText] = cidr.split("/");
  const length = lengthText === undefined ? 32 : Number.parseInt(lengthText, 10);
  const value = parseIpv4(address);
  if (value === undefined || !Number.isInteger(length) || length < 0 || length > 32) {
    throw new NetloomError("INVALID", `${cidr} is not an IPv4 address or prefix`);
  }
  const start = (value & prefixMask(length)) >>> 0;
  return [start, start + 2 ** (32 - length) - 1];
}

/** Whether `ip` lies inside `cidr`. */
export function cidrContains(cidr: string, ip: string): boolean {
  const value = parseIpv4(ip);
  const [start, end] = cidrRange(cidr);
  return value !== undefined && value >= start && value <= end;
}

/** CIDRs merged into disjoint, sorted nft set elements (`a.b.c.d/n` or `a-b`). */
export function mergedElements(cidrs: readonly string[]): string[] {
  const ranges = cidrs.map(cidrRange).sort((x, y) => x[0] - y[0]);
  const merged: [number, number][] = [];
  for (const range of ranges) {
    const last = merged[merged.length - 1];
    if (last && range[0] <= last[1] + 1) last[1] = Math.max(last[1], range[1]);
    else merged.push([range[0], range[1]]);
  }
  return merged.map(([start, end]) => {
    const size = end - start + 1;
    const length = 32 - Math.log2(size);
    if (Number.isInteger(length) && start % size === 0) {
      return `${formatIpv4(start)}/${length}`;
    }
    return `${formatIpv4(start)}-${formatIpv4(end)}`;
  });
}
