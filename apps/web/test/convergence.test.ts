import type { IntentFile } from "@netloom/model";
import { describe, expect, it } from "vitest";
import {
  convergenceOf,
  convergenceSummary,
  describeBehind,
  type NodeState,
  networkConvergence,
  type StatusReport,
  unreachableNodes,
} from "../src/lib/convergence";

/** A status answer as the controller sends it: verdict and names derived from node states. */
function status(states: Record<string, NodeState>, compileCurrent = true): StatusReport {
  const nodes = Object.entries(states).map(([name, state]) => ({ name, state }));
  return {
    generation: 3,
    converged: compileCurrent && nodes.every((n) => n.state === "converged"),
    lagging: nodes.filter((n) => n.state === "lagging").map((n) => n.name),
    stale: nodes
      .filter((n) => n.state === "stale" || n.state === "disconnected")
      .map((n) => n.name),
    nodes,
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

describe("the controller's convergence, worded once", () => {
  it("names a node that stopped reporting in the pill and the review warning", () => {
    const report = status({ "compute-1": "converged", "compute-2": "disconnected" });
    const view = convergenceOf(report);
    expect(view.converged).toBe(false);
    expect(view.convergedNodes).toBe(1);
    expect(convergenceSummary(view)).toBe(
      "Not converged: compute-2 not reporting · 1/2 nodes · gen 3",
    );
    expect(unreachableNodes(report)).toEqual(["compute-2"]);
  });

  it("lists nodes not reporting before nodes still applying", () => {
    const view = convergenceOf(
      status({ "compute-1": "lagging", "compute-2": "stale", "compute-3": "converged" }),
    );
    expect(describeBehind(view.behind)).toBe("compute-2 not reporting, compute-1 applying");
  });

  it("never calls a pending compile converged, even with every node at its config", () => {
    const view = convergenceOf(status({ "compute-1": "converged" }, false));
    expect(view.converged).toBe(false);
    expect(convergenceSummary(view)).toBe("Not converged: compiling · 1/1 nodes · gen 3");
  });

  it("narrows to a network the nodes that host it", () => {
    const report = status({ "compute-1": "converged", "compute-2": "stale" });
    const view = networkConvergence(report, doc, doc);
    expect(view.web).toEqual({ state: "converged", behind: [] });
    expect(view.db).toEqual({ state: "pending", behind: [{ name: "compute-2", health: "stale" }] });
  });

  it("calls draft and edited networks not applied, never converged", () => {
    const report = status({ "compute-1": "converged", "compute-2": "converged" });
    const draft = {
      ...doc,
      networks: [...(doc.networks ?? []), { name: "cache", subnets: [{ cidr: "10.3.0.0/24" }] }],
    } as IntentFile;
    const view = networkConvergence(report, draft, doc);
    expect(view.cache?.state).toBe("not-applied");
    expect(view.web?.state).toBe("converged");
    const edited = {
      ...doc,
      networks: [
        { name: "web", subnets: [{ cidr: "10.9.0.0/24" }] },
        ...(doc.networks ?? []).slice(1),
      ],
    } as IntentFile;
    expect(networkConvergence(report, edited, doc).web?.state).toBe("not-applied");
    expect(networkConvergence(undefined, doc, doc).web?.state).toBe("unknown");
  });
});
