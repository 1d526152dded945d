import { describe, expect, it } from "vitest";
import { NetloomError } from "../src";

describe("NetloomError.fromWire", () => {
  it("reads code and problems from tRPC's data.netloom", () => {
    const wire = {
      message: "networks[0].subnets[0].cidr: bad",
      data: {
        code: "BAD_REQUEST",
        netloom: {
          code: "INVALID",
          problems: [{ path: "networks[0].subnets[0].cidr", message: "bad" }],
        },
      },
    };
    const error = NetloomError.fromWire(wire);
    expect(error.code).toBe("INVALID");
    expect(error.problems).toEqual([{ path: "networks[0].subnets[0].cidr", message: "bad" }]);
    expect(error.message).toBe("networks[0].subnets[0].cidr: bad");
  });

  it("maps a bare tRPC code and keeps the message of anything else", () => {
    expect(NetloomError.fromWire({ message: "no", data: { code: "FORBIDDEN" } }).code).toBe(
      "FORBIDDEN",
    );
    const down = NetloomError.fromWire(new TypeError("fetch failed"));
    expect(down.code).toBe("INTERNAL");
    expect(down.message).toBe("fetch failed");
    expect(NetloomError.fromWire({ data: { netloom: { code: "BOGUS" } } }).code).toBe("INTERNAL");
  });
});
