import { mkdir, readFile, rename, writeFile } from "node:fs/promises";
import path from "node:path";

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

/** What `lab up` made, so `lab down` and `check --dataplane` find it: .netloom/lab/state.json. */
export interface LabState {
  version: 1;
  server: string;
  createdAt: string;
  underlayNamespace: string;
  nodes: LabNodeState[];
}

/** The lab's folder under the working directory. */
export const labDir = (cwd: string) => path.resolve(cwd, ".netloom", "lab");
export const labStatePath = (cwd: string) => path.join(labDir(cwd), "state.json");

export async function readLabState(cwd: string): Promise<LabState | undefined> {
  try {
    return JSON.parse(await readFile(labStatePath(cwd), "utf8")) as LabState;
  } catch {
    return undefined;
  }
}

/** Written through a rename: a crash never leaves half a state file. */
export async function writeLabState(cwd: string, state: LabState): Promise<void> {
  await mkdir(labDir(cwd), { recursive: true });
  const file = labStatePath(cwd);
  await writeFile(`${file}.tmp`, `${JSON.stringify(state, null, 2)}\n`);
  await rename(`${file}.tmp`, file);
}
