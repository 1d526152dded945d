import type { IntentFile } from "@netloom/model";
import { describe, expect, it } from "vitest";
import {
  describeBehind,
  fabricConvergence,
  fabricSummary,
  type NodeReport,
  networkConvergence,
  tenantConvergence,
  unreachableNodes,
} from "../src/lib/convergence";

function node(name: string, over: Partial<NodeReport> = {}): NodeReport {
  return {
    name,
    converged: true,
    stale: false,
    connected: true,
    appliedGeneration: 3,
    desiredGeneration: 3,
    lastError: null,
    ...over,
  };
}

const doc = {
  apiVersion: "netloom/v1",
  tenant: "t",
  networks: [
    { name: "web", subnets: [{ cidr: "10.1.0.0/24" }] },
    { name: "db", subnets: [{ cidr: "10.2.0.0/24" }] },
  ],
  workloads: [
    { name: "web-1", node: "compute-1", interfaces: [{ network: "web" }] },
    { name: "db-1", node: "compute-2", interfaces: [{ network: "db" }] },
  ],
} as unknown as IntentFile;

describe("one convergence definition", () => {
  it("a node that acked but stopped reporting is not converged, and is named", () => {
    // The server's own `converged` says true (it acked); stale must still win.
    const status = {
      generation: 3,
      nodes: [node("compute-1"), node("compute-2", { stale: true, connected: false })],
    };
    const fabric = fabricConvergence(status);
    expect(fabric.converged).toBe(false);
    expect(fabric.convergedNodes).toBe(1);
    expect(fabric.behind).toEqual([{ name: "compute-2", health: "stale" }]);
    expect(fabricSummary(fabric)).toBe(
      "Not converged: compute-2 not reporting · 1/2 nodes · gen 3",
    );
    expect(unreachableNodes(status, doc)).toEqual(["compute-2"]);
    // Only the nodes that hold the tenant: a dead node hosting nothing of it is not named.
    const onlyWeb = { ...doc, workloads: doc.workloads?.slice(0, 1) } as IntentFile;
    expect(unreachableNodes(status, onlyWeb)).toEqual([]);
  });

  it("a reporting node that has not acked is lagging", () => {
    const fabric = fabricConvergence({
      generation: 4,
      nodes: [node("compute-1", { converged: false }), node("compute-2")],
    });
    expect(fabric.behind).toEqual([{ name: "compute-1", health: "lagging" }]);
    expect(describeBehind(fabric.behind)).toBe("compute-1 applying");
  });

  it("no nodes is not converged", () => {
    expect(fabricConvergence({ generation: 1, nodes: [] }).converged).toBe(false);
  });

  it("networks follow only the nodes that hold them", () => {
    const status = {
      generation: 3,
      nodes: [node("compute-1"), node("compute-2", { stale: true })],
    };
    const view = networkConvergence(status, doc, doc);
    expect(view.web).toEqual({ state: "converged", behind: [] });
    expect(view.db).toEqual({ state: "pending", behind: [{ name: "compute-2", health: "stale" }] });
    expect(tenantConvergence(status, doc).converged).toBe(false);
  });

  it("draft networks are not applied, never converged", () => {
    const status = { generation: 3, nodes: [node("compute-1"), node("compute-2")] };
    const draft = {
      ...doc,
      networks: [...(doc.networks ?? []), { name: "cache", subnets: [{ cidr: "10.3.0.0/24" }] }],
    } as IntentFile;
    const view = networkConvergence(status, draft, doc);
    expect(view.cache?.state).toBe("not-applied");
    expect(view.web?.state).toBe("converged");
    // An edited network is not applied either until the edit is.
    const edited = {
      ...doc,
      networks: [
        { name: "web", subnets: [{ cidr: "10.9.0.0/24" }] },
        ...(doc.networks ?? []).slice(1),
      ],
    } as IntentFile;
    expect(networkConvergence(status, edited, doc).web?.state).toBe("not-applied");
  });

  it("a workload placed on an unknown node keeps its network unconverged", () => {
    const status = { generation: 3, nodes: [node("compute-1")] };
    const view = networkConvergence(status, doc, doc);
    expect(view.db).toEqual({ state: "pending", behind: [{ name: "compute-2", health: "stale" }] });
  });
});
