/** IPv4 helpers the nft renderer needs: interval sets refuse overlapping elements. */

export const ipToNumber = (ip: string): number =>
  ip.split(".").reduce((acc, part) => acc * 256 + Number.parseInt(part, 10), 0);

export const numberToIp = (value: number): string =>
  [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join(".");

/** The inclusive address range of a CIDR (a bare address is a /32). */
export function cidrRange(cidr: string): [number, number] {
  const [address = "0.0.0.0", lengthText] = cidr.split("/");
  const length = lengthText === undefined ? 32 : Number.parseInt(lengthText, 10);
  const size = 2 ** (32 - length);
  const start = Math.floor(ipToNumber(address) / size) * size;
  return [start, start + size - 1];
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
      return `${numberToIp(start)}/${length}`;
    }
    return `${numberToIp(start)}-${numberToIp(end)}`;
  });
}
