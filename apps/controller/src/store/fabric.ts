import { NetloomError, type Problem } from "@netloom/model";
import { notFound, staleRevision } from "./failures";
import type { FabricNodeView } from "./types";

/**
 * Checks a change to the fabric's forwarding nodes (a Fabric file, or one node's create or
 * update) against the nodes there are, and answers the nodes it removes (with `prune`, the ones
 * not listed). Names are listed once, underlays stay unique in the fabric the change leaves,
 * a removed node hosts no workload (`hosted` lists them as problems). Throws CONFLICT, NOT_FOUND
 * or INVALID (every problem by path).
 */
export function planNodes(
  nodes: readonly { name: string; underlay: string }[],
  current: readonly FabricNodeView[],
  options: {
    prune: boolean;
    expectedRevision?: number | undefined;
    mode: "upsert" | "create" | "update";
  },
  hosted: (node: string) => Problem[],
): FabricNodeView[] {
  const byName = new Map(current.map((node) => [node.name, node]));
  const seen = new Set<string>();
  const problems: Problem[] = [];
  nodes.forEach((node, index) => {
    if (seen.has(node.name)) {
      problems.push({ path: `nodes[${index}].name`, message: `${node.name} is listed twice` });
    }
    seen.add(node.name);
    const existing = byName.get(node.name);
    if (options.mode === "create" && existing) {
      throw new NetloomError("CONFLICT", `node ${node.name} exists`, [
        { path: "name", message: `node ${node.name} exists` },
      ]);
    }
    if (options.mode === "update" && !existing) throw notFound("node", node.name, "name");
    if (
      existing &&
      options.expectedRevision !== undefined &&
      existing.revision !== options.expectedRevision
    ) {
      throw staleRevision("node", node.name, existing.revision);
    }
  });
  const removed = options.prune ? current.filter((node) => !seen.has(node.name)) : [];
  for (const node of removed) problems.push(...hosted(node.name));
  // Underlays must stay unique in the fabric the change leaves behind.
  const final = new Map(
    current.filter((node) => !removed.includes(node)).map((n) => [n.name, n.underlay]),
  );
  for (const node of nodes) final.set(node.name, node.underlay);
  nodes.forEach((node, index) => {
    for (const [other, underlay] of final) {
      if (other !== node.name && underlay === node.underlay) {
        problems.push({
          path: `nodes[${index}].underlay`,
          message: `${node.underlay} is the underlay of node ${other}`,
        });
      }
    }
  });
  if (problems.length > 0) throw NetloomError.invalid(problems);
  return removed;
}
