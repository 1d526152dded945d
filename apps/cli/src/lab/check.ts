import { readFile } from "node:fs/promises";
import type { LocalInterface, NodeConfig, TenantConfig } from "@netloom/compiler";
import { type ProbeSpec, probe, workloadNamespace } from "@netloom/dataplane";
import { NetloomError, type Protocol, type Verdict } from "@netloom/model";
import { type LabState, readLabState } from "./state";

/** One expectation of an EXPECT file (spec section 4). */
export interface DataplaneExpectation {
  from: string;
  to: string;
  protocol: Protocol;
  port?: number;
  verdict: Verdict;
}

export interface DataplaneMismatch {
  from: string;
  to: string;
  protocol: Protocol;
  port?: number;
  expected: Verdict;
  got: Verdict;
}

/** The controller calls `check --dataplane` makes (a tRPC client of the controller fits). */
export interface LabStatusClient {
  fabric: { status: { query(): Promise<{ converged: boolean }> } };
}

export interface CheckDataplaneOptions {
  tenant: string;
  expectations: readonly DataplaneExpectation[];
  cwd: string;
  /** Used to wait until every agent applied the newest config. */
  client?: LabStatusClient;
  onProgress?: (line: string) => void;
  /** The nodes' configs; default: what each lab agent last applied (its state file). */
  configs?: NodeConfig[];
  /** The lab; default: .netloom/lab/state.json under cwd. */
  lab?: Pick<LabState, "nodes">;
  convergeTimeoutMs?: number;
}

interface Endpoint {
  namespace: string;
  port: LocalInterface;
}

interface TenantView {
  ports: { node: string; tenant: TenantConfig; port: LocalInterface; namespace: string }[];
  loadBalancers: TenantConfig["loadBalancers"];
}

function tenantView(
  tenant: string,
  configs: readonly NodeConfig[],
  lab: Pick<LabState, "nodes">,
): TenantView {
  const view: TenantView = { ports: [], loadBalancers: [] };
  const seenLb = new Set<string>();
  for (const config of configs) {
    const node = lab.nodes.find((candidate) => candidate.name === config.node);
    if (!node) continue;
    for (const tenantConfig of config.tenants) {
      if (tenantConfig.tenant !== tenant) continue;
      for (const port of tenantConfig.localInterfaces) {
        view.ports.push({
          node: config.node,
          tenant: tenantConfig,
          port,
          namespace: workloadNamespace(node.namespace, tenantConfig.tenantId, port.workload),
        });
      }
      for (const lb of tenantConfig.loadBalancers) {
        if (seenLb.has(lb.ruleId)) continue;
        seenLb.add(lb.ruleId);
        view.loadBalancers.push(lb);
      }
    }
  }
  return view;
}

/** A workload's interface toward `peerNetwork` when it has one, else its first (spec 2). */
function endpointOf(view: TenantView, end: string, peerNetwork?: string): Endpoint | undefined {
  const byIp = view.ports.find((entry) => entry.port.ip === end);
  const candidates = byIp
    ? view.ports.filter((entry) => entry.port.workload === byIp.port.workload)
    : view.ports.filter((entry) => entry.port.workload === end);
  if (candidates.length === 0) return undefined;
  if (byIp) return { namespace: byIp.namespace, port: byIp.port };
  const sorted = [...candidates].sort((a, b) => a.port.interfaceIndex - b.port.interfaceIndex);
  const chosen = sorted.find((entry) => entry.port.network === peerNetwork) ?? sorted[0];
  return chosen ? { namespace: chosen.namespace, port: chosen.port } : undefined;
}

const networkOf = (view: TenantView, end: string) =>
  view.ports.find((entry) => entry.port.workload === end || entry.port.ip === end)?.port.network;

/**
 * Sends one expectation's flow as real packets on the lab and returns what happened. The
 * listener runs in the destination's namespace (every member's, for a load balancer VIP).
 */
export async function probeFlow(
  flow: Omit<DataplaneExpectation, "verdict">,
  view: TenantView,
): Promise<Verdict> {
  const source = endpointOf(view, flow.from, networkOf(view, flow.to));
  if (!source) {
    throw new NetloomError(
      "NOT_FOUND",
      `${flow.from}: no workload of this tenant with that name or address runs on the lab`,
    );
  }
  const spec: ProbeSpec = {
    sourceNamespace: source.namespace,
    sourceIp: source.port.ip,
    listenNamespaces: [],
    host: flow.to,
    protocol: flow.protocol,
    ...(flow.port === undefined ? {} : { port: flow.port }),
  };
  const lb = view.loadBalancers.find(
    (candidate) =>
      candidate.vip === flow.to &&
      candidate.protocol === flow.protocol &&
      (flow.port === undefined || candidate.port === flow.port),
  );
  if (lb) {
    spec.port = lb.port;
    spec.listenPort = lb.members[0]?.port ?? lb.port;
    spec.listenNamespaces = lb.members.flatMap((member) => {
      const endpoint = endpointOf(view, member.ip);
      return endpoint ? [endpoint.namespace] : [];
    });
    return probe(spec);
  }
  const target = endpointOf(view, flow.to, source.port.network);
  if (!target) {
    throw new NetloomError(
      "NOT_FOUND",
      `${flow.to}: no workload of this tenant with that name or address runs on the lab`,
    );
  }
  spec.host = target.port.ip;
  spec.listenNamespaces = [target.namespace];
  return probe(spec);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function readAppliedConfigs(lab: LabState): Promise<NodeConfig[]> {
  const configs: NodeConfig[] = [];
  for (const node of lab.nodes) {
    try {
      const held = JSON.parse(await readFile(node.configFile, "utf8")) as { config?: NodeConfig };
      if (held.config) configs.push(held.config);
    } catch {
      // a node that applied nothing yet hosts nothing
    }
  }
  return configs;
}

/**
 * `netloom check --dataplane`: every expectation as real packets on the lab, compared with the
 * expected verdict. Same result shape as the compiled check.
 */
export async function checkDataplane(
  options: CheckDataplaneOptions,
): Promise<{ total: number; mismatches: DataplaneMismatch[] }> {
  const progress = options.onProgress ?? (() => {});
  const lab = options.lab ?? (await readLabState(options.cwd));
  if (!lab) {
    throw new NetloomError("NOT_FOUND", "no lab is up here: run `netloom lab up --nodes 2` first");
  }
  if (options.client && !options.configs) {
    const deadline = Date.now() + (options.convergeTimeoutMs ?? 30_000);
    while (!(await options.client.fabric.status.query()).converged) {
      if (Date.now() > deadline) {
        throw new NetloomError("INTERNAL", "the lab's agents did not converge in time");
      }
      await sleep(250);
    }
  }
  const configs = options.configs ?? (await readAppliedConfigs(lab as LabState));
  const view = tenantView(options.tenant, configs, lab);
  const mismatches: DataplaneMismatch[] = [];
  for (const expectation of options.expectations) {
    const { verdict: expected, ...flow } = expectation;
    const got = await probeFlow(flow, view);
    const label = `${flow.from} -> ${flow.to} ${flow.protocol}${flow.port ? `/${flow.port}` : ""}`;
    progress(`dataplane: ${label}: ${got}${got === expected ? "" : ` (expected ${expected})`}`);
    if (got !== expected) mismatches.push({ ...flow, expected, got });
  }
  return { total: options.expectations.length, mismatches };
}
