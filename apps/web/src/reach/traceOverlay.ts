import type { IntentFile } from "@netloom/model";
import { nodeId, policyEdgeId } from "../canvas/graph";
import type { TraceOverlay } from "../canvas/overlay";
import { asName } from "../draft/ops";
import type { FlowForm, TraceResult } from "./flow";

/**
 * Where the trace runs on the canvas. The verdict, hops and deciding rule come from the
 * controller; this only maps them onto the drawn objects (the ends' interfaces, the policy
 * edge, chained services, the router) and marks where the decision fell.
 */
export function traceOverlay(doc: IntentFile, flow: FlowForm, result: TraceResult): TraceOverlay {
  const nodes: string[] = [];
  const edges: string[] = [];
  const workload = (name: string) => (doc.workloads ?? []).find((w) => w.name === name);
  const from = workload(flow.from);
  const to = workload(flow.to);
  const toNetworks = new Set((to?.interfaces ?? []).map((i) => i.network as string));
  const fromNetworks = new Set((from?.interfaces ?? []).map((i) => i.network as string));
  const fromIndex = Math.max(0, from?.interfaces.findIndex((i) => toNetworks.has(i.network)) ?? 0);
  const toIndex = Math.max(0, to?.interfaces.findIndex((i) => fromNetworks.has(i.network)) ?? 0);
  const fromNet = from?.interfaces[fromIndex]?.network as string | undefined;
  const toNet = to?.interfaces[toIndex]?.network as string | undefined;
  if (from) {
    nodes.push(nodeId.workload(from.name));
    edges.push(`if:${from.name}/${fromIndex}`);
  }
  if (fromNet) nodes.push(nodeId.network(fromNet));
  const rule = "rule" in result && typeof result.rule === "string" ? result.rule : lastRule(result);
  let decidedAt: string | null = null;
  if (fromNet && toNet && fromNet !== toNet) {
    for (const policy of doc.policies ?? []) {
      if (policy.attach.includes(asName(fromNet)) && policy.attach.includes(asName(toNet))) {
        const [a, b] =
          policy.attach.indexOf(asName(fromNet)) < policy.attach.indexOf(asName(toNet))
            ? [fromNet, toNet]
            : [toNet, fromNet];
        const id = policyEdgeId(policy.name, a, b);
        edges.push(id);
        if (rule?.startsWith(`policy:${policy.name}/`)) decidedAt = id;
      }
    }
    for (const router of doc.routers ?? []) {
      if (router.networks.includes(asName(fromNet)) && router.networks.includes(asName(toNet))) {
        nodes.push(nodeId.router(router.name));
        edges.push(`rtr:${router.name}:${fromNet}`, `rtr:${router.name}:${toNet}`);
      }
    }
  }
  for (const hop of result.hops) {
    const service = /^(?:firewall|service) (.+)$/.exec(hop.step)?.[1];
    if (service) nodes.push(nodeId.service(service));
  }
  if (toNet) nodes.push(nodeId.network(toNet));
  if (to) {
    nodes.push(nodeId.workload(to.name));
    edges.push(`if:${to.name}/${toIndex}`);
  }
  if (!decidedAt && rule) {
    const [kind, rest = ""] = rule.split(":");
    const name = rest.split("/")[0] ?? "";
    if (kind === "firewall") decidedAt = nodeId.service(name);
    else if (kind === "router") decidedAt = nodeId.router(name);
    else if (kind === "policy" && fromNet) decidedAt = nodeId.network(fromNet);
    else if (rule.startsWith("implicit:no-match:"))
      decidedAt = nodeId.network(rule.slice("implicit:no-match:".length));
    else if (kind === "sg" || rule.startsWith("implicit:sg-default:")) {
      const egress = result.hops.some((h) => h.rule === rule && h.step.startsWith("egress"));
      decidedAt =
        egress && from ? nodeId.workload(from.name) : to ? nodeId.workload(to.name) : null;
    }
  }
  return { verdict: result.verdict, nodes, edges, decidedAt, rule: rule ?? null };
}

function lastRule(result: TraceResult): string | undefined {
  for (let i = result.hops.length - 1; i >= 0; i--) {
    const rule = result.hops[i]?.rule;
    if (rule) return rule;
  }
  return undefined;
}
