import type { RouterOutputs } from "@netloom/controller/types";
import { createClient } from "../client";
import { resolveConnection } from "../connection";
import { type CommandIo, EXIT, type ExitCode } from "../io";
import type { ParsedArgs } from "../run";

type FabricStatus = RouterOutputs["fabric"]["status"];
type TenantStatus = RouterOutputs["fabric"]["tenantStatus"];
type BgpStatus = RouterOutputs["bgp"]["status"];

/**
 * `netloom status [--tenant T]`: the fabric's nodes (operators), or one tenant's nodes, by the
 * controller's one definition of convergence. Stale and lagging nodes are named; the summary
 * never counts a silent node as converged.
 */
export async function statusCommand(args: ParsedArgs, io: CommandIo): Promise<ExitCode> {
  const client = createClient(resolveConnection(io, args.values.server));
  const tenant = args.values.tenant;
  const status =
    tenant !== undefined
      ? await client.fabric.tenantStatus.query({ tenant })
      : await client.fabric.status.query();
  // Issue 14: operators also see the BGP speaker's peers, when the fabric has a `bgp` section.
  const bgp = tenant === undefined ? await client.bgp.status.query() : undefined;
  const withBgp = bgp?.configured ? { ...status, bgp } : status;
  if (args.values.json) io.stdout(`${JSON.stringify(withBgp, null, 2)}\n`);
  else if ("tenant" in status) io.stdout(formatTenantStatus(status));
  else io.stdout(formatFabricStatus(status) + (bgp ? formatBgpPeers(bgp) : ""));
  return EXIT.ok;
}

function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => (row[column] ?? "").length)),
  );
  const line = (cells: string[]) =>
    cells
      .map((cell, i) => cell.padEnd(widths[i] ?? 0))
      .join("  ")
      .trimEnd();
  return [line(header), ...rows.map(line)];
}

/** "stale: compute-2; lagging: compute-1", or "" when every node is converged. */
export function namedProblems(summary: { stale: string[]; lagging: string[] }): string {
  const parts: string[] = [];
  if (summary.stale.length > 0) parts.push(`stale: ${summary.stale.join(", ")}`);
  if (summary.lagging.length > 0) parts.push(`lagging: ${summary.lagging.join(", ")}`);
  return parts.join("; ");
}

/** Human output of `status`: a table of nodes, then the verdict, naming the nodes behind it. */
export function formatFabricStatus(status: FabricStatus): string {
  const rows = status.nodes.map((node) => [
    node.name,
    node.underlay,
    `${node.appliedGeneration}/${node.desiredGeneration ?? status.generation}`,
    node.state,
    node.drift.count > 0 ? `${node.drift.count} (last ${node.drift.lastRepaired ?? "?"})` : "-",
    node.lastError ?? "",
  ]);
  const lines = table(["NODE", "UNDERLAY", "APPLIED/DESIRED", "STATE", "DRIFT", "ERROR"], rows);
  const problems = namedProblems(status);
  const verdict = status.converged
    ? `converged (${status.counts.converged}/${status.counts.nodes} nodes)`
    : `not converged (${status.counts.converged}/${status.counts.nodes} nodes converged${problems ? `; ${problems}` : ""})`;
  lines.push(`fabric generation ${status.generation}: ${verdict}`);
  if (status.compiledGeneration < status.generation) {
    lines.push(`compiling: generation ${status.compiledGeneration} compiled so far`);
  }
  if (status.compileError) {
    lines.push(`compile failed at ${status.compileError.at}: ${status.compileError.message}`);
  }
  return `${lines.join("\n")}\n`;
}

/** Human output of `status --tenant T`: the tenant's nodes and what each applied. */
export function formatTenantStatus(status: TenantStatus): string {
  const rows = status.nodes.map((node) => [
    node.name,
    node.appliedGeneration === null ? "?" : String(node.appliedGeneration),
    node.state,
  ]);
  const lines = table(["NODE", "APPLIED", "STATE"], rows);
  const problems = namedProblems(status);
  const converged = status.nodes.filter((node) => node.converged).length;
  const verdict = status.converged
    ? `converged (${converged}/${status.nodes.length} nodes)`
    : `not converged (${converged}/${status.nodes.length} nodes converged${problems ? `; ${problems}` : ""})`;
  lines.push(
    `tenant ${status.tenant} generation ${status.generation}, applied ${status.appliedGeneration}: ${verdict}`,
  );
  if (status.compiledGeneration < status.generation) {
    lines.push(`compiling: generation ${status.compiledGeneration} compiled so far`);
  }
  return `${lines.join("\n")}\n`;
}

/** Human output of the speaker's peers (issue 14); nothing when the fabric has no `bgp`. */
export function formatBgpPeers(bgp: BgpStatus): string {
  if (!bgp.configured) return "";
  const rows = bgp.peers.map((peer) => [
    peer.name,
    peer.address,
    String(peer.as),
    peer.state,
    peer.state === "up" ? formatUptime(peer.uptimeSeconds) : "-",
    String(peer.prefixesReceived),
    String(peer.prefixesAdvertised),
  ]);
  const lines = [
    "",
    ...table(["BGP PEER", "ADDRESS", "AS", "STATE", "UPTIME", "RECEIVED", "ADVERTISED"], rows),
    `bgp AS ${bgp.localAs} router id ${bgp.routerId}: speaker ${bgp.running ? "running" : "not running"}, ${bgp.exported.length} routes exported, ${bgp.learned.length} learned`,
  ];
  return `${lines.join("\n")}\n`;
}

function formatUptime(seconds: number): string {
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h > 0
    ? `${h}h${String(m).padStart(2, "0")}m`
    : m > 0
      ? `${m}m${String(s).padStart(2, "0")}s`
      : `${s}s`;
}
