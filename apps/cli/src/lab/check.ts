import { readFile } from "node:fs/promises";
import type { NodeConfig } from "@netloom/compiler";
import { type FlowToProbe, type ProbeLab, probeFlowOnLab } from "@netloom/dataplane";
import { NetloomError, type Protocol, type Verdict } from "@netloom/model";
import { type LabState, readLabState, resolveLabName } from "./state";

/** One expectation of an EXPECT file (spec section 4). */
export interface DataplaneExpectation extends FlowToProbe {
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
  /** The lab; default: the lab `labName` names under cwd (.netloom/lab/<name>/state.json). */
  lab?: ProbeLab;
  /** Which lab of cwd; absent, the only one up there (or "default"). */
  labName?: string | undefined;
  convergeTimeoutMs?: number;
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
 * `probeFlow` for `check --dataplane`: one flow as real packets on the lab (a TCP connect, a UDP
 * exchange or an ICMP echo from the source's namespace, or the outside namespace for an outside
 * address, to a listener started and stopped in the destination's), allow or deny.
 */
export function probeFlow(
  flow: FlowToProbe,
  tenant: string,
  configs: readonly NodeConfig[],
  lab: ProbeLab,
): Promise<Verdict> {
  return probeFlowOnLab(flow, tenant, configs, lab);
}

/**
 * `netloom check --dataplane`: every expectation as real packets on the lab, compared with the
 * expected verdict. Same result shape as the compiled check.
 */
export async function checkDataplane(
  options: CheckDataplaneOptions,
): Promise<{ total: number; mismatches: DataplaneMismatch[] }> {
  const progress = options.onProgress ?? (() => {});
  const name = options.lab ? undefined : await resolveLabName(options.cwd, options.labName);
  const state = name === undefined ? undefined : await readLabState(options.cwd, name);
  const lab = options.lab ?? (state ? { nodes: state.nodes, owner: state.name } : undefined);
  if (!lab) {
    throw new NetloomError(
      "NOT_FOUND",
      `no lab ${name ?? ""} is up here: run \`netloom lab up --nodes 2\` first`,
    );
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
  const configs = options.configs ?? (state ? await readAppliedConfigs(state) : []);
  const mismatches: DataplaneMismatch[] = [];
  for (const expectation of options.expectations) {
    const { verdict: expected, ...flow } = expectation;
    const got = await probeFlow(flow, options.tenant, configs, lab);
    const label = `${flow.from} -> ${flow.to} ${flow.protocol}${flow.port ? `/${flow.port}` : ""}`;
    progress(`dataplane: ${label}: ${got}${got === expected ? "" : ` (expected ${expected})`}`);
    if (got !== expected) mismatches.push({ ...flow, expected, got });
  }
  return { total: options.expectations.length, mismatches };
}
