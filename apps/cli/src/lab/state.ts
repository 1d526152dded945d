import { mkdir, readdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";
import { LAB_NAME_PATTERN } from "@netloom/dataplane";
import { NetloomError } from "@netloom/model";
import type { LabGatewayState } from "./gateway";

/** The lab `lab up` makes when given no `--name`. */
export const DEFAULT_LAB_NAME = "default";

/** One lab node as `lab up` made it. */
export interface LabNodeState {
  name: string;
  namespace: string;
  underlay: string;
  /** Process id (and process group) of the node's agent, started with setsid. */
  agentPid: number | null;
  log: string;
  /** Where the agent keeps the config it applied: `check --dataplane` reads it. */
  configFile: string;
}

/**
 * What `lab up` made, so `lab down` and `check --dataplane` find it:
 * `.netloom/lab/<name>/state.json`. Every namespace of the lab starts with `nl-<name>.`.
 */
export interface LabState {
  version: 2;
  name: string;
  server: string;
  createdAt: string;
  underlayNamespace: string;
  nodes: LabNodeState[];
  /** Issue 14: the namespace on the underlay where the lab's controller runs its BGP speaker. */
  speaker?: { namespace: string; address: string };
  /**
   * Redundant speakers (`lab up --gateway --speakers N`, N > 1): every speaker namespace, the
   * first being `speaker`; run one controller per namespace, each with its own router id and
   * anchor subnet (NETLOOM_BGP_ANCHOR_SUBNET, decision 0008).
   */
  speakers?: { namespace: string; address: string; anchorSubnet: string }[];
  /** Issue 14: the FRR data-center gateway (`lab up --gateway`). */
  gateway?: LabGatewayState;
  /** Issue 14: the lab whose underlay this one stands on (`lab up --underlay-of`). */
  underlayOf?: string;
}

/** Refuses a lab name that could not own its namespaces alone (see LAB_NAME_PATTERN). */
export function checkLabName(name: string): string {
  if (!LAB_NAME_PATTERN.test(name)) {
    throw new NetloomError(
      "INVALID",
      `--name: "${name}" is not a lab name (a lowercase letter, then up to 15 letters or digits)`,
      [
        {
          path: "--name",
          message: `"${name}" is not a lab name: a lowercase letter, then up to 15 letters or digits`,
        },
      ],
    );
  }
  return name;
}

const labsRoot = (cwd: string) => path.resolve(cwd, ".netloom", "lab");

/** One lab's folder (state, agent logs, configs and tokens) under the working directory. */
export const labDir = (cwd: string, name: string) => path.join(labsRoot(cwd), checkLabName(name));
export const labStatePath = (cwd: string, name: string) =>
  path.join(labDir(cwd, name), "state.json");

export async function readLabState(cwd: string, name: string): Promise<LabState | undefined> {
  let text: string;
  try {
    text = await readFile(labStatePath(cwd, name), "utf8");
  } catch {
    return undefined;
  }
  const state = JSON.parse(text) as Partial<LabState>;
  if (state.version !== 2) {
    throw new NetloomError(
      "PRECONDITION_FAILED",
      `${labStatePath(cwd, name)} is from another netloom version: remove it and its namespaces`,
    );
  }
  return state as LabState;
}

/** Names of the labs that have a state under the working directory. */
export async function listLabs(cwd: string): Promise<string[]> {
  let entries: string[];
  try {
    entries = await readdir(labsRoot(cwd));
  } catch {
    return [];
  }
  const labs: string[] = [];
  for (const entry of entries.sort()) {
    if (!LAB_NAME_PATTERN.test(entry)) continue;
    if ((await readLabState(cwd, entry).catch(() => undefined)) !== undefined) labs.push(entry);
  }
  return labs;
}

/**
 * The lab a command means: the one named; else the only lab up here; else the default name.
 * Two labs up here and none named is ambiguous and refused.
 */
export async function resolveLabName(cwd: string, name: string | undefined): Promise<string> {
  if (name !== undefined) return checkLabName(name);
  const labs = await listLabs(cwd);
  if (labs.length === 1 && labs[0] !== undefined) return labs[0];
  if (labs.length > 1) {
    throw new NetloomError(
      "INVALID",
      `${labs.length} labs are up here (${labs.join(", ")}): say which with --name`,
      [{ path: "--name", message: `required when several labs are up here (${labs.join(", ")})` }],
    );
  }
  return DEFAULT_LAB_NAME;
}

/** The lab a command line names: `--name`, else NETLOOM_LAB, else none (see resolveLabName). */
export function labNameOf(
  option: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): string | undefined {
  return option ?? (env.NETLOOM_LAB || undefined);
}

/** Written through a rename: a crash never leaves half a state file. */
export async function writeLabState(cwd: string, state: LabState): Promise<void> {
  await mkdir(labDir(cwd, state.name), { recursive: true });
  const file = labStatePath(cwd, state.name);
  await writeFile(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
}
