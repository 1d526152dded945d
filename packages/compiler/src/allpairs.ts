import type { Protocol, Verdict } from "@netloom/model";
import type { CompiledFabric, TenantConfig } from "./config";
import { type FlowEnd, FlowWalk, type IfaceRef, tenantIndex } from "./trace";

/** A protocol and (tcp/udp) destination port the matrix is computed for. */
export interface MatrixFlow {
  protocol: Protocol;
  port?: number;
}

/**
 * Reachability of every ordered pair of a tenant's workloads. `allowed[(i * n + j) * f + k]` is 1
 * when workload i reaches workload j with flow k (n workloads, f flows); the diagonal is 0.
 */
export interface ReachabilityMatrix {
  tenant: string;
  workloads: string[];
  flows: MatrixFlow[];
  allowed: Uint8Array;
}

/** The verdict of one cell of a matrix. */
export function matrixVerdict(
  matrix: ReachabilityMatrix,
  from: number,
  to: number,
  flow: number,
): Verdict {
  const cell = matrix.allowed[(from * matrix.workloads.length + to) * matrix.flows.length + flow];
  return cell === 1 ? "allow" : "deny";
}

/**
 * The flows a tenant's rules mention: icmp, plus each tcp/udp port (the first port of each
 * range) named by a policy, firewall or security group rule on the tenant's configs.
 */
function flowsOf(configs: Iterable<{ config: TenantConfig }>): MatrixFlow[] {
  const ports = new Set<string>();
  const seen = new Set<object>();
  const add = (protocol: Protocol, ranges: readonly { from: number }[]) => {
    for (const range of ranges) {
      if (protocol === "tcp" || protocol === "udp") ports.add(`${protocol}/${range.from}`);
      else if (protocol === "any") {
        ports.add(`tcp/${range.from}`);
        ports.add(`udp/${range.from}`);
      }
    }
  };
  for (const { config } of configs) {
    for (const network of config.networks) {
      if (seen.has(network)) continue;
      seen.add(network);
      for (const entry of network.acl) add(entry.protocol, entry.ports);
    }
    for (const group of config.securityGroups) {
      if (seen.has(group)) continue;
      seen.add(group);
      for (const entry of group.rules) add(entry.protocol, entry.ports);
    }
    for (const firewall of config.firewalls) {
      if (seen.has(firewall)) continue;
      seen.add(firewall);
      for (const entry of firewall.rules) add(entry.protocol, entry.ports);
    }
  }
  const flows: MatrixFlow[] = [{ protocol: "icmp" }];
  const sorted = [...ports]
    .map((text) => {
      const [protocol, port] = text.split("/");
      return {
        protocol: protocol === "udp" ? ("udp" as const) : ("tcp" as const),
        port: Number(port),
      };
    })
    .sort((a, b) =>
      a.protocol === b.protocol ? a.port - b.port : a.protocol < b.protocol ? -1 : 1,
    );
  flows.push(...sorted);
  return flows;
}

/** The reachability matrix of a tenant's workloads, computed on the compiled configs. */
export function allPairs(compiled: CompiledFabric, tenant: string): ReachabilityMatrix {
  const index = tenantIndex(compiled, tenant);
  if (index === undefined) return { tenant, workloads: [], flows: [], allowed: new Uint8Array(0) };
  const workloads = [...index.byWorkload.keys()].sort();
  const flows = flowsOf(index.configs.values());
  const ends: FlowEnd[] = workloads.map((name) => ({
    kind: "workload",
    name,
    ifaces: index.byWorkload.get(name) ?? ([] as IfaceRef[]),
  }));
  const count = workloads.length;
  const allowed = new Uint8Array(count * count * flows.length);
  const walks = flows.map((flow) => new FlowWalk(index, flow.protocol, flow.port, false));
  for (let i = 0; i < count; i++) {
    const from = ends[i];
    if (from === undefined) continue;
    for (let j = 0; j < count; j++) {
      const to = ends[j];
      if (i === j || to === undefined) continue;
      const base = (i * count + j) * flows.length;
      for (let k = 0; k < walks.length; k++) {
        if (walks[k]?.run(from, to).verdict === "allow") allowed[base + k] = 1;
      }
    }
  }
  return { tenant, workloads, flows, allowed };
}
