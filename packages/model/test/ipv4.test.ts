import { describe, expect, it } from "vitest";
import {
  broadcastAddress,
  defaultGateway,
  firstHost,
  formatCidr,
  formatIpv4,
  hostCount,
  type Ipv4Prefix,
  lastHost,
  networkAddress,
  nextFreeAddress,
  parseCidr,
  parseIpv4,
  parsePorts,
  prefixContains,
  prefixCovers,
  prefixesOverlap,
  prefixSize,
  quoteValue,
  unsafeTextReason,
} from "../src/index";

function prefix(text: string): Ipv4Prefix {
  const parsed = parseCidr(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.value;
}
const ip = (text: string): number => {
  const value = parseIpv4(text);
  if (value === undefined) throw new Error(`bad address ${text}`);
  return value;
};

describe("parseIpv4 / formatIpv4", () => {
  it("round-trips the extremes as unsigned 32-bit numbers", () => {
    expect(parseIpv4("0.0.0.0")).toBe(0);
    expect(parseIpv4("255.255.255.255")).toBe(0xffffffff);
    expect(parseIpv4("10.1.0.5")).toBe(0x0a010005);
    expect(parseIpv4("192.168.1.1")).toBe(0xc0a80101);
    expect(formatIpv4(0xffffffff)).toBe("255.255.255.255");
    expect(formatIpv4(0xc0a80101)).toBe("192.168.1.1");
    expect(formatIpv4(0)).toBe("0.0.0.0");
  });

  it.each([
    "256.0.0.1",
    "1.2.3",
    "1.2.3.4.5",
    "01.2.3.4",
    "1.2.3.-4",
    "1.2.3.4 ",
    "",
    "a.b.c.d",
    "1..2.3",
    "1.2.3.4/32",
  ])("refuses %j", (text) => {
    expect(parseIpv4(text)).toBeUndefined();
  });
});

describe("parseCidr", () => {
  it("parses a prefix", () => {
    expect(parseCidr("10.1.0.0/24")).toEqual({
      ok: true,
      value: { network: 0x0a010000, length: 24 },
    });
    expect(parseCidr("0.0.0.0/0")).toEqual({ ok: true, value: { network: 0, length: 0 } });
    expect(parseCidr("10.1.0.5/32")).toEqual({
      ok: true,
      value: { network: 0x0a010005, length: 32 },
    });
  });

  it("names a malformed prefix", () => {
    expect(parseCidr("10.1.0.0/33")).toEqual({
      ok: false,
      message: "10.1.0.0/33 is not an IPv4 prefix",
    });
    for (const text of [
      "10.1.0.0",
      "10.1.0.0/",
      "10.1.0.0/024",
      "10.1.0/24",
      "x/8",
      "10.1.0.0/-1",
    ]) {
      const parsed = parseCidr(text);
      expect(parsed.ok, text).toBe(false);
      if (!parsed.ok) expect(parsed.message).toMatch(/is not an IPv4 prefix$/);
    }
  });

  it("refuses host bits and suggests the network", () => {
    expect(parseCidr("10.1.0.5/24")).toEqual({
      ok: false,
      message: "10.1.0.5/24 has host bits set (did you mean 10.1.0.0/24?)",
    });
    expect(parseCidr("255.255.255.255/1")).toEqual({
      ok: false,
      message: "255.255.255.255/1 has host bits set (did you mean 128.0.0.0/1?)",
    });
  });

  it("quotes a value with odd characters instead of echoing it raw", () => {
    const parsed = parseCidr("10.0.0.0/8\u202e");
    expect(parsed).toEqual({ ok: false, message: '"10.0.0.0/8\\u202e" is not an IPv4 prefix' });
  });
});

describe("prefix arithmetic", () => {
  it("computes network, broadcast, hosts for a /24", () => {
    const p = prefix("10.1.0.0/24");
    expect(formatIpv4(networkAddress(p))).toBe("10.1.0.0");
    expect(formatIpv4(broadcastAddress(p))).toBe("10.1.0.255");
    expect(formatIpv4(firstHost(p))).toBe("10.1.0.1");
    expect(formatIpv4(lastHost(p))).toBe("10.1.0.254");
    expect(hostCount(p)).toBe(254);
    expect(prefixSize(p)).toBe(256);
    expect(defaultGateway(p)).toBe(ip("10.1.0.1"));
    expect(formatCidr(p)).toBe("10.1.0.0/24");
  });

  it("handles /0 without overflowing 32 bits", () => {
    const p = prefix("0.0.0.0/0");
    expect(broadcastAddress(p)).toBe(0xffffffff);
    expect(hostCount(p)).toBe(2 ** 32 - 2);
    expect(prefixContains(p, 0xffffffff)).toBe(true);
  });

  it("handles the top of the address space", () => {
    const p = prefix("255.255.255.0/24");
    expect(broadcastAddress(p)).toBe(0xffffffff);
    expect(prefixContains(p, ip("255.255.255.255"))).toBe(true);
    expect(prefixContains(p, ip("255.255.254.255"))).toBe(false);
  });

  it("treats /31 as point-to-point and /32 as one host", () => {
    const p31 = prefix("10.0.0.0/31");
    expect(hostCount(p31)).toBe(2);
    expect(firstHost(p31)).toBe(ip("10.0.0.0"));
    expect(lastHost(p31)).toBe(ip("10.0.0.1"));
    expect(defaultGateway(p31)).toBe(ip("10.0.0.0"));
    const p32 = prefix("10.0.0.7/32");
    expect(hostCount(p32)).toBe(1);
    expect(firstHost(p32)).toBe(ip("10.0.0.7"));
    expect(defaultGateway(p32)).toBeUndefined();
    const p30 = prefix("10.0.0.4/30");
    expect(hostCount(p30)).toBe(2);
  });

  it("tells containment and overlap", () => {
    const big = prefix("10.0.0.0/8");
    const small = prefix("10.1.0.0/16");
    const other = prefix("11.0.0.0/8");
    expect(prefixContains(big, ip("10.255.255.255"))).toBe(true);
    expect(prefixContains(big, ip("11.0.0.0"))).toBe(false);
    expect(prefixCovers(big, small)).toBe(true);
    expect(prefixCovers(small, big)).toBe(false);
    expect(prefixCovers(small, small)).toBe(true);
    expect(prefixesOverlap(small, big)).toBe(true);
    expect(prefixesOverlap(big, small)).toBe(true);
    expect(prefixesOverlap(big, other)).toBe(false);
    expect(prefixesOverlap(prefix("10.1.0.0/25"), prefix("10.1.0.128/25"))).toBe(false);
  });
});

describe("nextFreeAddress", () => {
  it("skips network, gateway and taken addresses", () => {
    const p = prefix("10.1.0.0/24");
    expect(formatIpv4(nextFreeAddress(p, new Set()) ?? 0)).toBe("10.1.0.2");
    expect(formatIpv4(nextFreeAddress(p, new Set([ip("10.1.0.2"), ip("10.1.0.3")])) ?? 0)).toBe(
      "10.1.0.4",
    );
    expect(nextFreeAddress("10.1.0.0/24", new Set())).toBe(ip("10.1.0.2"));
  });

  it("honours an explicit gateway and no gateway", () => {
    const p = prefix("10.1.0.0/24");
    expect(nextFreeAddress(p, new Set(), ip("10.1.0.254"))).toBe(ip("10.1.0.1"));
    expect(nextFreeAddress(p, new Set(), null)).toBe(ip("10.1.0.1"));
  });

  it("never hands out the broadcast and says when a subnet is full", () => {
    const p = prefix("10.1.0.0/30"); // .1 gateway, .2 only host, .3 broadcast
    expect(nextFreeAddress(p, new Set())).toBe(ip("10.1.0.2"));
    expect(nextFreeAddress(p, new Set([ip("10.1.0.2")]))).toBeUndefined();
  });

  it("gives the second address of a /31 and the only one of a /32", () => {
    expect(nextFreeAddress(prefix("10.0.0.0/31"), new Set())).toBe(ip("10.0.0.1"));
    expect(nextFreeAddress(prefix("10.0.0.0/31"), new Set([ip("10.0.0.1")]))).toBeUndefined();
    expect(nextFreeAddress(prefix("10.0.0.7/32"), new Set())).toBe(ip("10.0.0.7"));
    expect(nextFreeAddress(prefix("10.0.0.7/32"), new Set([ip("10.0.0.7")]))).toBeUndefined();
  });

  it("returns undefined for a malformed prefix text", () => {
    expect(nextFreeAddress("10.1.0.1/24", new Set())).toBeUndefined();
  });
});

describe("parsePorts", () => {
  it("reads numbers, ranges and comma lists", () => {
    expect(parsePorts(5432)).toEqual({ ok: true, value: [{ from: 5432, to: 5432 }] });
    expect(parsePorts("80")).toEqual({ ok: true, value: [{ from: 80, to: 80 }] });
    expect(parsePorts("8000-8080")).toEqual({ ok: true, value: [{ from: 8000, to: 8080 }] });
    expect(parsePorts("80,443, 8000-8080")).toEqual({
      ok: true,
      value: [
        { from: 80, to: 80 },
        { from: 443, to: 443 },
        { from: 8000, to: 8080 },
      ],
    });
    expect(parsePorts("1-65535")).toEqual({ ok: true, value: [{ from: 1, to: 65535 }] });
  });

  it.each([
    [0, "0 is not a port (1-65535)"],
    [65536, "65536 is not a port (1-65535)"],
    [80.5, "80.5 is not a port (1-65535)"],
    [-1, "-1 is not a port (1-65535)"],
    ["0", "0 is not a port (1-65535)"],
    ["70000", "70000 is not a port (1-65535)"],
    ["80,70000", "80,70000: 70000 is not a port (1-65535)"],
    ["9000-8000", "9000-8000: range 9000-8000 ends before it starts"],
    ["", '"" is not a port list (a port, a range like 8000-8080, or a comma list like 80,443)'],
    [
      "80,,443",
      "80,,443 is not a port list (a port, a range like 8000-8080, or a comma list like 80,443)",
    ],
    [
      "http",
      "http is not a port list (a port, a range like 8000-8080, or a comma list like 80,443)",
    ],
    ["80-", "80- is not a port list (a port, a range like 8000-8080, or a comma list like 80,443)"],
  ] as const)("refuses %j", (ports, message) => {
    expect(parsePorts(ports)).toEqual({ ok: false, message });
  });
});

describe("unsafe text", () => {
  it("names control, bidi and invisible characters", () => {
    expect(unsafeTextReason("web")).toBeUndefined();
    expect(unsafeTextReason("caf\u00e9")).toBeUndefined();
    expect(unsafeTextReason("a\u0007b")).toBe("contains a control character (U+0007)");
    expect(unsafeTextReason("a\nb")).toBe("contains a control character (U+000A)");
    expect(unsafeTextReason("a\u202eb")).toBe(
      "contains a Unicode bidirectional control character (U+202E)",
    );
    expect(unsafeTextReason("a\u2066b")).toBe(
      "contains a Unicode bidirectional control character (U+2066)",
    );
    expect(unsafeTextReason("a\u200bb")).toBe("contains an invisible character (U+200B)");
  });

  it("quotes values with every dangerous character escaped and long ones cut", () => {
    expect(quoteValue("a\u202eb\u0000")).toBe('"a\\u202eb\\u0000"');
    expect(quoteValue("x".repeat(100))).toBe(`"${"x".repeat(60)}…"`);
  });
});
