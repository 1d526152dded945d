import { spawn } from "node:child_process";
import { existsSync, openSync } from "node:fs";
import { readFile, rm } from "node:fs/promises";
import path from "node:path";
import { fileURLToPath } from "node:url";
import {
  createOutsideHost,
  createUnderlay,
  destroyNamespaces,
  destroyOwnedNamespaces,
  labNode,
  listNamespaces,
  OUTSIDE_UNDERLAY,
  ownerPrefix,
  underlayNamespace,
} from "@netloom/dataplane";
import { NetloomError } from "@netloom/model";
import {
  createGateway,
  GATEWAY_DEFAULTS,
  joinUnderlay,
  redundantAnchorSubnet,
  redundantSpeakerUnderlay,
  removeGateway,
  speakerNamespace,
  speakerUnderlay,
} from "./gateway";
import {
  checkLabName,
  DEFAULT_LAB_NAME,
  type LabNodeState,
  type LabState,
  labDir,
  labStatePath,
  readLabState,
  resolveLabName,
  writeLabState,
} from "./state";

/** The controller calls the lab makes (a tRPC client of the controller fits). */
export interface LabFabricClient {
  fabric: {
    applyFile: {
      mutate(input: { document: unknown; dryRun?: boolean; prune?: boolean }): Promise<unknown>;
    };
  };
}

/** Node addresses per underlay slot: a lab joining another's underlay takes the next 50. */
const NODES_PER_SLOT = 49;

export interface LabUpOptions {
  /** Number of forwarding nodes, named compute-1 … compute-N. */
  nodes: number;
  /**
   * The lab's name (default "default"): every namespace it makes starts with `nl-<name>.`, so
   * labs of different names stand side by side and each removes only its own.
   */
  name?: string | undefined;
  /** Registers the nodes in the fabric; absent, the agents register themselves. */
  client?: LabFabricClient;
  connection: { server: string; token: string | undefined };
  /** The lab keeps its state and logs under `<cwd>/.netloom/lab/<name>`. */
  cwd: string;
  onProgress?: (line: string) => void;
  /** The agent's command (default: the workspace's netloom-agent through node). */
  agentCommand?: string[];
  /**
   * Issue 14: an FRR data-center gateway on the underlay peering with the lab's speaker
   * namespace, an "internet" host behind it, and the fabric's `bgp` section set to match.
   */
  gateway?: boolean;
  /** Issue 14: a speaker namespace on the underlay without a gateway (peer domains only). */
  speaker?: boolean;
  /**
   * With `gateway`: how many speaker namespaces (default 1). More than one is the redundant
   * deployment: one controller per speaker namespace, FRR peering with each.
   */
  speakers?: number;
  /**
   * Issue 14: stand on that lab's underlay (one underlay, two domains) with addresses of its
   * own: nodes at 198.18.0.(61…), the speaker at 198.18.0.201. No outside host of its own.
   */
  underlayOf?: string | undefined;
}

/** `lab up --speakers`: redundant speaker namespaces at most (198.18.0.210+ is free below 240). */
const MAX_SPEAKERS = 4;

function defaultAgentCommand(): string[] {
  const here = path.dirname(fileURLToPath(import.meta.url));
  const bin = path.resolve(here, "../../../agent/bin/netloom-agent.js");
  return existsSync(bin) ? [process.execPath, bin] : ["netloom-agent"];
}

function startAgent(
  node: ReturnType<typeof labNode>,
  options: LabUpOptions,
  dir: string,
  outsideUnderlay: string | undefined,
): LabNodeState {
  const log = path.join(dir, `${node.name}.log`);
  const configFile = path.join(dir, `${node.name}.config.json`);
  const [command, ...baseArgs] = options.agentCommand ?? defaultAgentCommand();
  if (!command) throw new NetloomError("INVALID", "empty agent command");
  const out = openSync(log, "a");
  // detached = setsid: the agent outlives this command and its terminal.
  const child = spawn(
    command,
    [
      ...baseArgs,
      "--controller",
      options.connection.server,
      "--node",
      node.name,
      "--driver",
      "linux",
      "--underlay",
      node.underlay,
      "--node-namespace",
      node.namespace,
      "--state-file",
      configFile,
      "--token-file",
      path.join(dir, `${node.name}.token`),
    ],
    {
      detached: true,
      stdio: ["ignore", out, out],
      // The token goes through the environment, not the command line other users can read.
      env: {
        ...process.env,
        NETLOOM_AGENT_TOKEN: options.connection.token ?? "",
        // External networks' subnets are routed to the lab's outside host (if it has one).
        NETLOOM_OUTSIDE_UNDERLAY: outsideUnderlay ?? "",
      },
    },
  );
  child.unref();
  return {
    name: node.name,
    namespace: node.namespace,
    underlay: node.underlay,
    agentPid: child.pid ?? null,
    log,
    configFile,
  };
}

/**
 * `netloom lab up --nodes N [--name X]`: an underlay namespace with a bridge, N node namespaces
 * at 198.18.0.(10+i), the nodes registered in the fabric, one agent per node with the Linux
 * driver, all named `nl-X.…`. Running it again replaces the lab's agents and keeps its
 * namespaces; other labs are never touched.
 */
export async function labUp(options: LabUpOptions): Promise<LabState> {
  const progress = options.onProgress ?? (() => {});
  const name = checkLabName(options.name ?? DEFAULT_LAB_NAME);
  if (process.getuid?.() !== 0) {
    throw new NetloomError("FORBIDDEN", "lab up needs root (network namespaces)");
  }
  const previous = await readLabState(options.cwd, name);
  if (previous) {
    progress(`lab ${name}: stopping the agents of the previous run`);
    await stopAgents(previous);
  }
  const host = options.underlayOf === undefined ? undefined : await hostLab(options, name);
  const slot = host ? 1 : 0;
  if (slot > 0 || options.gateway) {
    if (options.nodes > NODES_PER_SLOT) {
      throw new NetloomError(
        "INVALID",
        `--nodes: at most ${NODES_PER_SLOT} with --gateway or --underlay-of`,
        [{ path: "--nodes", message: `at most ${NODES_PER_SLOT} with --gateway or --underlay-of` }],
      );
    }
  }
  const nodes = Array.from({ length: options.nodes }, (_, i) => {
    const node = labNode(i + 1, name);
    return slot === 0 ? node : { ...node, underlay: `198.18.0.${10 + 50 * slot + i + 1}` };
  });
  // A smaller lab than before: the nodes beyond N go, with everything behind them.
  const nodePrefix = `${ownerPrefix(name)}n-`;
  const beyond = (await listNamespaces(nodePrefix)).filter((ns) => {
    const index = Number(/^(\d+)$/.exec(ns.slice(nodePrefix.length))?.[1]);
    return Number.isInteger(index) && index > options.nodes;
  });
  for (const ns of beyond) {
    await destroyNamespaces(`${ns}-`);
    await destroyNamespaces(ns);
  }
  const underlay = host ? host.underlayNamespace : underlayNamespace(name);
  let outsideUnderlay: string | undefined;
  if (host) {
    progress(
      `lab ${name}: ${nodes.length} node namespaces on ${underlay} (lab ${host.name}'s underlay)`,
    );
    for (const [i, node] of nodes.entries()) {
      await joinUnderlay(underlay, node.namespace, `s${slot}n${i + 1}`, node.underlay);
    }
  } else {
    progress(`lab ${name}: underlay ${underlay} and ${nodes.length} node namespaces`);
    await createUnderlay(nodes, underlay);
    await createOutsideHost(underlay, name);
    outsideUnderlay = OUTSIDE_UNDERLAY;
    progress(
      `lab ${name}: outside host at ${OUTSIDE_UNDERLAY} (one namespace per external network)`,
    );
  }

  const dir = labDir(options.cwd, name);
  const state: LabState = {
    version: 2,
    name,
    server: options.connection.server,
    createdAt: new Date().toISOString(),
    underlayNamespace: underlay,
    nodes: [],
    ...(host ? { underlayOf: host.name } : {}),
  };
  let bgp: object | undefined;
  if (options.gateway || options.speaker || host) {
    const speaker = { namespace: speakerNamespace(name), address: speakerUnderlay(slot) };
    await joinUnderlay(underlay, speaker.namespace, `speaker${slot}`, speaker.address);
    state.speaker = speaker;
    progress(
      `lab ${name}: speaker namespace ${speaker.namespace} at ${speaker.address}: run the controller with NETLOOM_BGP_NAMESPACE=${speaker.namespace}`,
    );
  }
  const speakerCount = options.speakers ?? 1;
  if (!Number.isInteger(speakerCount) || speakerCount < 1 || speakerCount > MAX_SPEAKERS) {
    throw new NetloomError("INVALID", `--speakers: 1 to ${MAX_SPEAKERS}`, [
      { path: "--speakers", message: `1 to ${MAX_SPEAKERS}` },
    ]);
  }
  if (speakerCount > 1 && !options.gateway) {
    throw new NetloomError("INVALID", "--speakers: only with --gateway", [
      { path: "--speakers", message: "only with --gateway" },
    ]);
  }
  if (speakerCount > 1 && state.speaker && !host) {
    const first = { ...state.speaker, anchorSubnet: redundantAnchorSubnet(0) };
    state.speakers = [first];
    progress(
      `lab ${name}: redundant speakers: run the first controller with NETLOOM_BGP_ANCHOR_SUBNET=${first.anchorSubnet} too`,
    );
    for (let index = 1; index < speakerCount; index += 1) {
      const extra = {
        namespace: speakerNamespace(name, index),
        address: redundantSpeakerUnderlay(index),
        anchorSubnet: redundantAnchorSubnet(index),
      };
      await joinUnderlay(underlay, extra.namespace, `speaker0-${index}`, extra.address);
      state.speakers.push(extra);
      progress(
        `lab ${name}: speaker namespace ${extra.namespace} at ${extra.address}: run another controller on the same database with NETLOOM_BGP_NAMESPACE=${extra.namespace} NETLOOM_BGP_ROUTER_ID=${extra.address} NETLOOM_BGP_ANCHOR_SUBNET=${extra.anchorSubnet}`,
      );
    }
  }
  if (options.gateway && state.speaker) {
    if (host) {
      throw new NetloomError(
        "INVALID",
        "--gateway: the lab owning the underlay holds the gateway",
        [
          {
            path: "--gateway",
            message: "not with --underlay-of: the lab owning the underlay holds it",
          },
        ],
      );
    }
    const gateway = await createGateway({
      lab: name,
      underlayNamespace: underlay,
      speakers: (state.speakers ?? [state.speaker]).map((speaker) => ({
        address: speaker.address,
        as: GATEWAY_DEFAULTS.fabricAs,
      })),
    });
    state.gateway = gateway;
    bgp = {
      localAs: GATEWAY_DEFAULTS.fabricAs,
      routerId: state.speaker.address,
      peers: [{ name: "gateway", address: gateway.address, as: gateway.as }],
    };
    progress(
      `lab ${name}: FRR gateway ${gateway.address} (AS ${gateway.as}) in ${gateway.namespace}, L3 VNI ${gateway.vni}, route target ${gateway.routeTarget}, router MAC ${gateway.routerMac}; internet ${gateway.internetPrefix} with a host at ${gateway.internetHost}`,
    );
  }

  if (options.client) {
    progress(
      `lab: registering ${nodes.map((node) => node.name).join(", ")} with ${options.connection.server}`,
    );
    await options.client.fabric.applyFile.mutate({
      document: {
        apiVersion: "netloom/v1",
        kind: "Fabric",
        nodes: nodes.map((node) => ({ name: node.name, underlay: node.underlay })),
        ...(bgp ? { bgp } : {}),
      },
    });
    if (bgp) progress(`lab ${name}: the fabric's bgp section peers the speaker with the gateway`);
  }

  await writeLabState(options.cwd, state);
  for (const node of nodes) {
    const started = startAgent(node, options, dir, outsideUnderlay);
    state.nodes.push(started);
    // Recorded after each start: a failure half-way still leaves every agent findable by down.
    await writeLabState(options.cwd, state);
    progress(
      `lab: ${node.name} ${node.underlay} in ${node.namespace}, agent pid ${started.agentPid}, log ${started.log}`,
    );
  }
  progress(`lab ${name}: up, state in ${labStatePath(options.cwd, name)}`);
  return state;
}

/** The lab whose underlay `--underlay-of` names: it must be up here, and not a guest itself. */
async function hostLab(options: LabUpOptions, name: string): Promise<LabState> {
  const hostName = checkLabName(options.underlayOf ?? "");
  const host = await readLabState(options.cwd, hostName);
  const problem = (message: string) =>
    new NetloomError("INVALID", `--underlay-of: ${message}`, [{ path: "--underlay-of", message }]);
  if (hostName === name) throw problem("a lab cannot stand on its own underlay");
  if (!host) throw problem(`no lab ${hostName} is up here`);
  if (host.underlayOf)
    throw problem(`lab ${hostName} stands on ${host.underlayOf}'s underlay itself`);
  return host;
}

async function isAgentProcess(pid: number): Promise<boolean> {
  try {
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8");
    return cmdline.includes("netloom-agent");
  } catch {
    return false;
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Stops the agents the lab recorded, by their process group; never by name. */
async function stopAgents(state: LabState): Promise<void> {
  const pids = state.nodes.flatMap((node) => (node.agentPid ? [node.agentPid] : []));
  const alive = [];
  for (const pid of pids) if (await isAgentProcess(pid)) alive.push(pid);
  for (const pid of alive) signal(pid, "SIGTERM");
  for (let i = 0; i < 20 && alive.length > 0; i += 1) {
    await sleep(100);
    for (const pid of [...alive]) {
      if (!(await isAgentProcess(pid))) alive.splice(alive.indexOf(pid), 1);
    }
  }
  for (const pid of alive) signal(pid, "SIGKILL");
}

function signal(pid: number, name: NodeJS.Signals) {
  try {
    process.kill(-pid, name);
  } catch {
    try {
      process.kill(pid, name);
    } catch {
      // already gone
    }
  }
}

export interface LabDownOptions {
  cwd: string;
  /** The lab; absent, the only lab up here (or "default"). */
  name?: string | undefined;
  onProgress?: (line: string) => void;
}

/**
 * `netloom lab down [--name X]`: stops X's agents, deletes X's namespaces (`nl-X.…`: every
 * table and device X made lives in one of them) and forgets X. Other labs are not touched.
 */
export async function labDown(options: LabDownOptions): Promise<void> {
  const progress = options.onProgress ?? (() => {});
  const name = await resolveLabName(options.cwd, options.name);
  const state = await readLabState(options.cwd, name);
  if (state) {
    progress(`lab ${name}: stopping ${state.nodes.length} agents`);
    await stopAgents(state);
    if (state.gateway) {
      progress(`lab ${name}: stopping the FRR gateway`);
      await removeGateway(state.gateway);
    }
  }
  const removed = await destroyOwnedNamespaces(name);
  progress(`lab ${name}: removed ${removed.length} namespaces`);
  // The agents' saved configs, tokens and logs belong to this lab: a later one starts clean.
  await rm(labDir(options.cwd, name), { recursive: true, force: true });
  progress(`lab ${name}: down`);
}
