import { describe, expect, it } from "vitest";
import { answerQuery, parseQuery, type ResponderZone } from "../src/linux/dns-responder";

/** A DNS query for `name` of `type` with `id`, as a resolver sends it. */
function query(name: string, type = 1, id = 0x1234): Buffer {
  const labels = name
    .split(".")
    .flatMap((label) => [Buffer.from([label.length]), Buffer.from(label)]);
  const header = Buffer.alloc(12);
  header.writeUInt16BE(id, 0);
  header.writeUInt16BE(0x0100, 2);
  header.writeUInt16BE(1, 4);
  const tail = Buffer.alloc(5);
  tail.writeUInt16BE(type, 1);
  tail.writeUInt16BE(1, 3);
  return Buffer.concat([header, ...labels, tail]);
}

const zone: ResponderZone = {
  records: [
    { name: "db-1.shop.internal", network: "app", ip: "10.10.3.10" },
    { name: "web-1.shop.internal", network: "web", ip: "10.10.1.10" },
    { name: "web-1.shop.internal", network: "app", ip: "10.10.2.50" },
  ],
  networks: [
    { name: "web", cidrs: ["10.10.1.0/24"] },
    { name: "app", cidrs: ["10.10.2.0/24"] },
  ],
};
const addressOf = (answer: Buffer) => [...answer.subarray(answer.length - 4)].join(".");

describe("the DNS responder", () => {
  it("reads the name and type of a query, lower-cased", () => {
    const parsed = parseQuery(query("Web-1.Shop.Internal", 1, 7));
    expect(parsed).toMatchObject({ id: 7, name: "web-1.shop.internal", type: 1 });
  });

  it("answers an A query with the address the asker's network sees", () => {
    const fromWeb = answerQuery(query("web-1.shop.internal"), "10.10.1.20", zone);
    expect(fromWeb.readUInt16BE(0)).toBe(0x1234);
    expect(fromWeb.readUInt16BE(2)).toBe(0x8400);
    expect(fromWeb.readUInt16BE(6)).toBe(1);
    expect(addressOf(fromWeb)).toBe("10.10.1.10");
    expect(addressOf(answerQuery(query("web-1.shop.internal"), "10.10.2.9", zone))).toBe(
      "10.10.2.50",
    );
    // A network without its own record gets the first.
    expect(addressOf(answerQuery(query("db-1.shop.internal"), "10.10.1.20", zone))).toBe(
      "10.10.3.10",
    );
  });

  it("says NXDOMAIN for an unknown name, no answer for another type, FORMERR for garbage", () => {
    const unknown = answerQuery(query("nobody.shop.internal"), "10.10.1.20", zone);
    expect(unknown.readUInt16BE(2)).toBe(0x8403);
    expect(unknown.readUInt16BE(6)).toBe(0);
    const aaaa = answerQuery(query("web-1.shop.internal", 28), "10.10.1.20", zone);
    expect(aaaa.readUInt16BE(2)).toBe(0x8400);
    expect(aaaa.readUInt16BE(6)).toBe(0);
    const truncated = Buffer.concat([query("web-1.shop.internal").subarray(0, 16)]);
    expect(answerQuery(truncated, "10.10.1.20", zone).readUInt16BE(2)).toBe(0x8001);
    expect(answerQuery(Buffer.from("hi"), "10.10.1.20", zone)).toHaveLength(12);
  });
});
