import { assertNever } from "@netloom/model";

/**
 * The one definition of "converged", used by `fabric.status`, the tenant convergence query, the
 * CLI and (through the API) the portal: a node is converged when an agent for it is connected
 * (heard from within the stale bound) and has acked the config it should hold now. A
 * disconnected or silent node is never converged, whatever it acked before. Pure: the callers
 * gather the observations (this controller's sessions, the database for the others').
 */

/** What is known of one node fabric-wide, from whichever controller serves its agent. */
export interface NodeObservation {
  name: string;
  /** Hash of the config the node should hold now (null: none compiled for it yet). */
  desiredHash: string | null;
  /** Hash the agent last reported as applied. */
  appliedHash: string | null;
  /** Newest time any controller heard from the agent (epoch ms), null when never. */
  lastSeenAt: number | null;
  /**
   * False when the agent is known to have disconnected and no controller heard from it since;
   * true otherwise (a fresh heartbeat through any controller means a connection somewhere).
   */
  connected: boolean;
}

/**
 * Where a node stands: `converged`; `lagging` (connected, has not acked its config yet);
 * `stale` (no heartbeat within the bound); `disconnected` (its agent left, or never came).
 */
export type NodeConvergence = "converged" | "lagging" | "stale" | "disconnected";

export function nodeConvergence(
  node: NodeObservation,
  now: number,
  staleAfterMs: number,
): NodeConvergence {
  if (node.lastSeenAt === null || !node.connected) return "disconnected";
  if (now - node.lastSeenAt > staleAfterMs) return "stale";
  if (node.desiredHash === null || node.appliedHash !== node.desiredHash) return "lagging";
  return "converged";
}

/** Nodes by where they stand, and the verdict over all of them. */
export interface ConvergenceSummary {
  converged: boolean;
  /** Names of nodes connected but not at their config yet. */
  lagging: string[];
  /** Names of nodes not heard from within the bound, or disconnected. */
  stale: string[];
  convergedCount: number;
  total: number;
}

/**
 * The verdict over a set of nodes: converged only when the compile is current (`compileCurrent`:
 * everything committed is compiled) and every node is converged. No nodes, compile current:
 * converged (nothing has to hold it).
 */
export function summarize(
  nodes: readonly { name: string; state: NodeConvergence }[],
  compileCurrent: boolean,
): ConvergenceSummary {
  const lagging: string[] = [];
  const stale: string[] = [];
  let convergedCount = 0;
  for (const node of nodes) {
    switch (node.state) {
      case "converged":
        convergedCount += 1;
        break;
      case "lagging":
        lagging.push(node.name);
        break;
      case "stale":
      case "disconnected":
        stale.push(node.name);
        break;
      default:
        assertNever(node.state, "node convergence");
    }
  }
  return {
    converged: compileCurrent && convergedCount === nodes.length,
    lagging,
    stale,
    convergedCount,
    total: nodes.length,
  };
}
