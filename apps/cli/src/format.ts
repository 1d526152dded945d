import { formatReview } from "@netloom/compiler";
import type { RouterOutputs } from "@netloom/controller/types";

type ApplyResult = RouterOutputs["intent"]["applyFile"] | RouterOutputs["fabric"]["applyFile"];
type TraceResult = RouterOutputs["reach"]["trace"];
type CheckResult = RouterOutputs["reach"]["check"];
type StatusResult = RouterOutputs["fabric"]["status"];

const ACTION_MARK = { create: "+", update: "~", delete: "-" } as const;

/** Human output of `apply`: object changes, and with `--dry-run` the per-node plan. */
export function formatApplyResult(result: ApplyResult, dryRun: boolean): string {
  const lines: string[] = [];
  if ("changed" in result) {
    lines.push(...result.changed.map((name) => `~ node ${name}`));
    lines.push(
      dryRun
        ? `dry run: ${result.changed.length} node(s) would change; nothing stored`
        : `fabric applied: ${result.changed.length} node(s) changed, fabric generation ${result.fabricGeneration}`,
    );
    return `${lines.join("\n")}\n`;
  }
  for (const change of result.changes) {
    lines.push(`${ACTION_MARK[change.action]} ${change.kind}/${change.name}`);
  }
  if (dryRun && result.plan) {
    lines.push("", "forwarding nodes:");
    if (result.plan.nodes.length === 0) lines.push("  no config changes");
    for (const node of result.plan.nodes) {
      const counts = Object.entries(node.counts)
        .filter(([, c]) => c.added + c.removed + c.modified > 0)
        .map(([kind, c]) => `${kind} +${c.added} -${c.removed} ~${c.modified}`)
        .join(", ");
      lines.push(`  ${node.node} (${node.status}): ${counts || "no entries"}`);
      for (const item of node.items.slice(0, 50)) {
        lines.push(
          `    ${item.change === "add" ? "+" : item.change === "remove" ? "-" : "~"} ${item.kind} ${item.key}`,
        );
      }
      if (node.items.length > 50) lines.push(`    ... ${node.items.length - 50} more`);
    }
  }
  if (dryRun && result.review) {
    // Field diffs of the changed objects and the reachability delta (compiler's formatReview).
    lines.push("", "review:", formatReview(result.review).trimEnd());
  }
  for (const broken of result.brokenAssertions) {
    lines.push(`assertion broken: ${broken.path}: ${broken.message}`);
  }
  if (dryRun) lines.push(`dry run: ${result.changes.length} object change(s); nothing stored`);
  else if (result.changes.length === 0)
    lines.push(`tenant ${result.tenant}: no changes (generation ${result.generation})`);
  else lines.push(`tenant ${result.tenant} at generation ${result.generation}`);
  return `${lines.join("\n")}\n`;
}

/** Human output of `trace`: verdict, reason, then one hop a line. */
export function formatTrace(result: TraceResult): string {
  const lines = [`${result.verdict}: ${result.reason}`];
  for (const [index, hop] of result.hops.entries()) {
    const rule = hop.rule ? `  [${hop.rule}]` : "";
    const detail = hop.detail ? `  ${hop.detail}` : "";
    lines.push(`  ${index + 1}. ${hop.node}  ${hop.step}${rule}${detail}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Human output of `check`: one line per mismatch, then the tally. */
export function formatCheck(result: Pick<CheckResult, "total" | "mismatches">): string {
  const lines = result.mismatches.map(
    (m) =>
      `mismatch: ${m.from} -> ${m.to} ${m.protocol}${m.port === undefined ? "" : `/${m.port}`}: expected ${m.expected}, got ${m.got}`,
  );
  lines.push(`${result.total - result.mismatches.length}/${result.total} verdicts as expected`);
  return `${lines.join("\n")}\n`;
}

/** Human output of `status`: a table of nodes, then whether the fabric converged. */
export function formatStatus(status: StatusResult): string {
  const rows = status.nodes.map((node) => [
    node.name,
    node.underlay,
    `${node.appliedGeneration}/${node.desiredGeneration ?? status.generation}`,
    node.converged ? "converged" : "pending",
    node.stale ? "stale" : node.connected ? "connected" : "disconnected",
  ]);
  const header = ["NODE", "UNDERLAY", "APPLIED/DESIRED", "CONFIG", "AGENT"];
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  const lines = [line(header), ...rows.map(line)];
  lines.push(
    `fabric generation ${status.generation}: ${status.converged ? "converged" : "not converged"} (${status.counts.converged}/${status.counts.nodes} nodes)`,
  );
  return `${lines.join("\n")}\n`;
}
