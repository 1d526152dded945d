import type { NodeConfig, TenantConfig } from "@netloom/compiler";
import { describe, expect, it } from "vitest";
import { networkInstances, nodeConfig, tenantConfig } from "../../../test-support/configs";
import {
  ackMessageSchema,
  applyDelta,
  type DeltaMessage,
  parseAgentMessage,
  parseControllerMessage,
} from "../src/index";

function tenant(id: string, networks: string[]): TenantConfig {
  return tenantConfig(id, { networks: networkInstances(networks) });
}

const config = (tenants: TenantConfig[]): NodeConfig => nodeConfig(tenants);

describe("applyDelta", () => {
  it("replaces, removes, appends and orders tenants as the delta says", () => {
    const base = config([tenant("a", ["web"]), tenant("b", ["x"]), tenant("c", ["y"])]);
    const parsed = parseControllerMessage(
      JSON.stringify({
        type: "delta",
        generation: 2,
        baseHash: "h1",
        hash: "h2",
        replace: [tenant("b", ["x", "z"]), tenant("aa", ["q"])],
        remove: ["c"],
        order: ["a", "aa", "b"],
      }),
    );
    if (parsed?.type !== "delta") throw new Error("the delta did not parse");
    const delta: DeltaMessage = parsed;
    const next = applyDelta(base, delta);
    expect(next.tenants.map((t) => t.tenantId)).toEqual(["a", "aa", "b"]);
    expect(next.tenants[2]?.networks.map((n) => n.name)).toEqual(["x", "z"]);
    expect(next.tenants[0]).toBe(base.tenants[0]);
    expect(applyDelta(base, { ...delta, order: undefined }).tenants.map((t) => t.tenantId)).toEqual(
      ["a", "b", "aa"],
    );
  });
});

describe("message schemas", () => {
  it("parse well-formed frames of both directions", () => {
    expect(parseAgentMessage('{"type":"ack","generation":3,"hash":"h3"}')).toEqual({
      type: "ack",
      generation: 3,
      hash: "h3",
    });
    const heartbeat = parseAgentMessage(
      JSON.stringify({
        type: "heartbeat",
        appliedGeneration: 3,
        appliedHash: "h3",
        counters: { "policy:p/0": 2 },
        tenantCounters: { t1: { "policy:p/0": 2 } },
        drift: { count: 1, lastRepaired: "address 10.0.0.1/32", at: "2026-01-01T00:00:00.000Z" },
      }),
    );
    expect(heartbeat).toMatchObject({ type: "heartbeat", repaired: [], drift: { count: 1 } });
    expect(
      parseControllerMessage(
        '{"type":"welcome","node":"compute-1","controllerId":"c","heartbeatMs":5000}',
      ),
    ).toMatchObject({ type: "welcome", heartbeatMs: 5000 });
  });

  it("acks (checked by hand for speed) get exactly the schema's answer", () => {
    const candidates: unknown[] = [
      { type: "ack", generation: 3, hash: "h3" },
      { type: "ack", generation: 0, hash: "x" },
      { type: "ack", generation: 3, hash: "h3", extra: true },
      { type: "ack", generation: 3, hash: "" },
      { type: "ack", generation: 3, hash: null },
      { type: "ack", generation: 3 },
      { type: "ack", hash: "h" },
      { type: "ack", generation: -1, hash: "h" },
      { type: "ack", generation: 1.5, hash: "h" },
      { type: "ack", generation: Number.MAX_SAFE_INTEGER, hash: "h" },
      { type: "ack", generation: Number.MAX_SAFE_INTEGER + 1, hash: "h" },
      { type: "ack", generation: "3", hash: "h" },
      { type: "ack", generation: 3, hash: 7 },
      ["ack", 3, "h"],
      null,
    ];
    for (const candidate of candidates) {
      const schema = ackMessageSchema.safeParse(candidate);
      expect(parseAgentMessage(JSON.stringify(candidate)), JSON.stringify(candidate)).toEqual(
        schema.success ? schema.data : undefined,
      );
    }
  });

  it("refuse malformed frames: bad JSON, unknown types, wrong field types, bad brands", () => {
    expect(parseAgentMessage("{not json")).toBeUndefined();
    expect(parseAgentMessage('{"type":"launch"}')).toBeUndefined();
    expect(parseAgentMessage('{"type":"ack","generation":"3","hash":"h"}')).toBeUndefined();
    // A generation is never negative, nor fractional.
    expect(parseAgentMessage('{"type":"ack","generation":-1,"hash":"h"}')).toBeUndefined();
    expect(parseAgentMessage('{"type":"ack","generation":1.5,"hash":"h"}')).toBeUndefined();
    expect(
      parseAgentMessage(
        '{"type":"nack","generation":1,"reason":"because","appliedGeneration":0,"appliedHash":null,"acceptedGeneration":0,"acceptedHash":null}',
      ),
    ).toBeUndefined();
    // A node id is a name, not a path.
    expect(
      parseControllerMessage(
        '{"type":"welcome","node":"../etc","controllerId":"c","heartbeatMs":5000}',
      ),
    ).toBeUndefined();
    expect(
      parseControllerMessage('{"type":"snapshot","generation":1,"hash":"h","config":[]}'),
    ).toBeUndefined();
  });
});
