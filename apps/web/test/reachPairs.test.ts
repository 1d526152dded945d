import { describe, expect, it } from "vitest";
import { reachArc, reachPairs, reachPairText, reachRoleOf } from "../src/canvas/reachPairs";
import type { ReachFlip } from "../src/lib/reachDelta";

function flip(
  from: string[],
  to: string[],
  after: "allow" | "deny",
  protocol = "tcp",
  port?: number,
): ReachFlip {
  return {
    from,
    to,
    flow: { protocol, ...(port === undefined ? {} : { port }) } as ReachFlip["flow"],
    before: after === "allow" ? "deny" : "allow",
    after,
  };
}

describe("the reachability delta on the canvas", () => {
  it("expands workload classes into pairs and gathers each pair's flows", () => {
    const { pairs, omitted } = reachPairs([
      flip(["web-1", "web-2"], ["db-1"], "deny", "tcp", 5432),
      flip(["web-1"], ["db-1"], "deny", "icmp"),
    ]);
    expect(omitted).toBe(0);
    expect(pairs.map((p) => [p.from, p.to, p.after, p.flows])).toEqual([
      ["web-1", "db-1", "deny", ["tcp/5432", "icmp"]],
      ["web-2", "db-1", "deny", ["tcp/5432"]],
    ]);
    expect(reachPairText(pairs[0] ?? { from: "", to: "", after: "allow", flows: [] })).toBe(
      "newly denied: web-1 to db-1, tcp/5432, icmp",
    );
  });

  it("keeps newly allowed and newly denied apart, on separate lanes, and skips self pairs", () => {
    const { pairs } = reachPairs([
      flip(["a", "b"], ["a", "b"], "allow", "udp", 53),
      flip(["a"], ["b"], "deny", "tcp", 22),
    ]);
    expect(pairs.map((p) => `${p.id}@${p.lane}`)).toEqual([
      "reach:allow:a>b@0",
      "reach:allow:b>a@0",
      "reach:deny:a>b@1",
    ]);
  });

  it("draws up to the bound and counts the rest", () => {
    const many = Array.from({ length: 30 }, (_, i) => `w${i}`);
    const { pairs, omitted } = reachPairs([flip(many, ["db"], "allow")], 10);
    expect(pairs).toHaveLength(10);
    expect(omitted).toBe(20);
  });

  it("names each workload's part: allowed, denied, both, or none", () => {
    const flips = [flip(["a"], ["b"], "deny"), flip(["c"], ["b"], "allow")];
    expect(reachRoleOf(flips, "wl:a")).toBe("deny");
    expect(reachRoleOf(flips, "wl:c")).toBe("allow");
    expect(reachRoleOf(flips, "wl:b")).toBe("both");
    expect(reachRoleOf(flips, "wl:d")).toBeNull();
    expect(reachRoleOf(flips, "net:a")).toBeNull();
    expect(reachRoleOf(null, "wl:a")).toBeNull();
  });

  it("bows the two directions of a pair to opposite sides, ending on the boxes' borders", () => {
    const left = { x: 0, y: 0, width: 100, height: 50 };
    const right = { x: 400, y: 0, width: 100, height: 50 };
    const there = reachArc(left, right, 0);
    const back = reachArc(right, left, 0);
    // Left to right bows up (negative y), right to left bows down.
    expect(there.mid.y).toBeLessThan(25);
    expect(back.mid.y).toBeGreaterThan(25);
    const start = /^M([\d.-]+),([\d.-]+)/.exec(there.path);
    // Leaves the source's right border in its upper half, enters the target's left border.
    expect(Number(start?.[1])).toBe(100);
    expect(Number(start?.[2])).toBeGreaterThanOrEqual(0);
    expect(Number(start?.[2])).toBeLessThan(25);
    const end = / ([\d.-]+),([\d.-]+)$/.exec(there.path);
    expect(Number(end?.[1])).toBe(400);
    expect(Number(end?.[2])).toBeLessThan(25);
  });
});
