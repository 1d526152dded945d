import { describe, expect, it } from "vitest";
import {
  asCidr,
  asGeneration,
  asIpv4,
  asNodeId,
  asTenantId,
  asVni,
  MAX_VNI,
  NetloomError,
  vniSchema,
} from "../src/index";

function messageOf(construct: () => unknown): string {
  try {
    construct();
  } catch (error) {
    if (error instanceof NetloomError && error.code === "INVALID") return error.message;
    throw error;
  }
  throw new Error("accepted");
}

describe("branded constructors", () => {
  it("accept valid values unchanged", () => {
    expect(asCidr("10.0.0.0/8")).toBe("10.0.0.0/8");
    expect(asIpv4("192.0.2.1")).toBe("192.0.2.1");
    expect(asVni(1)).toBe(1);
    expect(asVni(MAX_VNI)).toBe(16_777_215);
    expect(asNodeId("compute-1")).toBe("compute-1");
    expect(asTenantId("cmf3k2x0a0000")).toBe("cmf3k2x0a0000");
    expect(asGeneration(0)).toBe(0);
  });

  it("refuse invalid values with INVALID naming the value", () => {
    expect(messageOf(() => asCidr("10.0.0.1/8"))).toBe(
      "10.0.0.1/8 has host bits set (did you mean 10.0.0.0/8?)",
    );
    expect(messageOf(() => asIpv4("10.0.0.256"))).toBe("10.0.0.256 is not an IPv4 address");
    expect(messageOf(() => asVni(0))).toBe("0 is not a VNI: a VNI is 1-16777215");
    expect(messageOf(() => asVni(MAX_VNI + 1))).toBe("16777216 is not a VNI: a VNI is 1-16777215");
    expect(messageOf(() => asVni(1.5))).toBe("1.5 is not a VNI: a VNI is a whole number");
    expect(messageOf(() => asNodeId("Compute 1"))).toBe(
      '"Compute 1" is not a node id: must be a name like compute-1',
    );
    expect(messageOf(() => asTenantId(""))).toBe(
      `"" is not a tenant id: must be 1-64 letters, digits, '_' or '-'`,
    );
    expect(messageOf(() => asGeneration(-1))).toBe(
      "-1 is not a generation: a generation is never negative",
    );
  });

  it("exposes schemas for API inputs", () => {
    expect(vniSchema.safeParse(4096).success).toBe(true);
    expect(vniSchema.safeParse(-4).success).toBe(false);
  });
});
