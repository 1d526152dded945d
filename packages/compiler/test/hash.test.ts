import { describe, expect, it } from "vitest";
import { compile } from "../src";
import { sameJson } from "../src/derive/reuse";
import { fnv1a64, fnv1a64Pair, HashFold, hexOf, withJsonHash } from "../src/hash";
import { inputOf, intent } from "./helpers";

describe("content hashes", () => {
  const samples: unknown[] = [
    { from: "web", to: "db", noMatch: "deny" },
    { name: 'a"b\\c\nd\u0001', list: [1, -2.5, 1e21, 0, null, true, false, "é", "😀"] },
    { skipped: undefined, kept: 1, nested: { deeper: [[], {}, [undefined, "x"]] } },
    { 10: "ten", 2: "two", b: "b", a: "a" },
    ["lone \ud800 surrogate", { 'key"quoted': "v" }],
    { nan: Number.NaN, infinite: Number.POSITIVE_INFINITY },
    [-0, 7, -42, 65535, 1e15, 999999999999999, 9007199254740991, -9007199254740991, 2 ** 53],
    { controls: "\u0000\b\t\n\u000b\f\r\u001f\u007f", pair: "\ud83d\ude00", tail: "x\udc00" },
    { fn: () => 1, list: [() => 1, Symbol("s"), undefined], date: new Date(0) },
    [],
    "plain",
    42,
  ];

  it("hashes a piece as FNV-1a 64 of its JSON text, escapes and key order included", () => {
    for (const value of samples) {
      const streamed = withJsonHash(value);
      expect([streamed.high, streamed.low]).toEqual(fnv1a64Pair(JSON.stringify(value)));
      expect(streamed.value).toBe(value);
    }
  });

  it("feeds strings piecewise exactly as their concatenation", () => {
    const fold = new HashFold().chars("node-1").chars(",").chars("198.18.0.1");
    expect(fold.digest()).toBe(fnv1a64("node-1,198.18.0.1"));
  });

  it("writes a hash as 16 lowercase hex digits, high half first, zero-padded", () => {
    const words = [0, 1, 0xf, 0x10, 0xabcdef, 0x7fffffff, 0x80000000, 0xdeadbeef, 0xffffffff];
    for (const high of words) {
      for (const low of words) {
        const expected = high.toString(16).padStart(8, "0") + low.toString(16).padStart(8, "0");
        expect(hexOf(high, low)).toBe(expected);
      }
    }
  });

  it("compares JSON values by content, not identity", () => {
    expect(sameJson({ a: [1, { b: "c" }] }, { a: [1, { b: "c" }] })).toBe(true);
    expect(sameJson({ a: [1, { b: "c" }] }, { a: [1, { b: "d" }] })).toBe(false);
    expect(sameJson({ a: 1 }, { a: 1, b: 2 })).toBe(false);
    expect(sameJson([1, 2], { 0: 1, 1: 2 })).toBe(false);
    expect(sameJson(null, {})).toBe(false);
  });

  it("tells a key present as undefined from an absent one, and reads no inherited key as own", () => {
    expect(sameJson({ a: undefined }, { a: undefined })).toBe(true);
    expect(sameJson({ a: undefined }, { b: undefined })).toBe(false);
    expect(sameJson({ a: undefined }, {})).toBe(false);
    expect(sameJson({}, { a: undefined })).toBe(false);
    // Names Object.prototype has (a lookup on the other side finds the inherited member).
    expect(sameJson({ constructor: "x" }, {})).toBe(false);
    expect(sameJson({ toString: {} }, {})).toBe(false);
    expect(sameJson(JSON.parse('{"__proto__": {}}'), {})).toBe(false);
    expect(sameJson(JSON.parse('{"__proto__": {}}'), JSON.parse('{"__proto__": {}}'))).toBe(true);
    expect(sameJson(structuredClone({ a: [{ b: 1 }] }), { a: [{ b: 1 }] })).toBe(true);
  });
});

describe("default gateways follow @netloom/model", () => {
  it("uses the first host, the network itself on a /31 and none on a /32", () => {
    const tenant = intent({
      tenant: "gw",
      networks: [
        { name: "wide", subnets: [{ cidr: "10.1.0.0/24" }] },
        { name: "link", subnets: [{ cidr: "10.2.0.0/31" }] },
        { name: "host", subnets: [{ cidr: "10.3.0.7/32" }] },
      ],
      workloads: [
        {
          name: "w",
          node: "compute-1",
          interfaces: [
            { network: "wide", ip: "10.1.0.10" },
            { network: "link", ip: "10.2.0.1" },
            { network: "host", ip: "10.3.0.7" },
          ],
        },
      ],
    });
    const config = compile(inputOf([tenant], 1)).nodes["compute-1"]?.tenants[0];
    const gateways = config?.networks.map((network) => network.subnets[0]?.gateway);
    expect(gateways).toEqual(["10.1.0.1", "10.2.0.0", ""]);
    expect(config?.localInterfaces.map((iface) => iface.prefixLength)).toEqual([24, 31, 32]);
  });
});
