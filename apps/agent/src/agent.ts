import { readFile, rename, writeFile } from "node:fs/promises";
import type { NodeConfig } from "@netloom/compiler";
import {
  type AckMessage,
  AGENT_PATH,
  type AgentMessage,
  applyDelta,
  type ControllerMessage,
  createMemoryDriver,
  type DataplaneDriver,
  type HeartbeatMessage,
  type HelloMessage,
  type NackMessage,
  type NackReason,
  PROTOCOL_VERSION,
  parseControllerMessage,
} from "@netloom/dataplane";
import { assertNever } from "@netloom/model";
import WebSocket from "ws";

/** How to build the dataplane: a driver name, or a driver instance (tests, benchmarks). */
export type DriverChoice = "memory" | "linux" | DataplaneDriver;

export interface AgentOptions {
  /** Controller base URL: `http://host:7070` (or `ws://...`). */
  controller: string;
  node: string;
  /** Node token, or a cloud admin token to register the node (then `underlay` is needed). */
  token: string;
  driver: DriverChoice;
  /** The node's underlay address: for self-registration, and the Linux driver. */
  underlay?: string;
  /** Extra options of the Linux driver (e.g. `nodeNamespace` in the lab). */
  linux?: Record<string, unknown>;
  /** Compare desired with actual state this often (ms, default 10000). */
  resyncMs?: number;
  /** Reconnect backoff bounds (ms, default 100 to 5000, doubling, with jitter). */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** Heartbeat period before the controller says otherwise (ms, default 5000). */
  heartbeatMs?: number;
  /** Keeps the last applied config here so a restarted agent reconciles before reconnecting. */
  stateFile?: string;
  /** Called with the node token when the controller issued one (self-registration). */
  onToken?: (token: string) => void;
  log?: (line: string) => void;
  /** Sees every message from the controller before it is handled (tests, debugging). */
  onMessage?: (message: ControllerMessage) => void;
}

/** A config the agent holds: accepted from the controller, or applied to the dataplane. */
export interface HeldConfig {
  generation: number;
  hash: string;
  config: NodeConfig;
}

/** A running agent. */
export interface Agent {
  readonly node: string;
  readonly driver: Promise<DataplaneDriver>;
  /** Last config accepted from the controller (may not be applied yet). */
  readonly accepted: HeldConfig | undefined;
  /** Last config the driver applied. */
  readonly applied: HeldConfig | undefined;
  readonly connected: boolean;
  /** Resolves when `predicate` holds after some state change (or at once). */
  waitFor(predicate: (agent: Agent) => boolean, timeoutMs?: number): Promise<void>;
  /** Runs a reconcile now (as the periodic resync does). */
  resync(): Promise<string[]>;
  /** Disconnects and stops; the dataplane keeps forwarding unless `teardown` is set. */
  stop(options?: { teardown?: boolean }): Promise<void>;
}

interface LinuxModule {
  createLinuxDriver(options: Record<string, unknown>): DataplaneDriver;
}

function isLinuxModule(value: unknown): value is LinuxModule {
  return (
    typeof value === "object" &&
    value !== null &&
    "createLinuxDriver" in value &&
    typeof value.createLinuxDriver === "function"
  );
}

/**
 * Loads the Linux driver at run time, so the agent neither needs it to build nor loads it when
 * running on the memory driver.
 */
async function loadLinuxDriver(options: Record<string, unknown>): Promise<DataplaneDriver> {
  const dataplane: unknown = await import("@netloom/dataplane");
  if (isLinuxModule(dataplane)) return dataplane.createLinuxDriver(options);
  const linuxUrl = new URL("./linux/index.ts", import.meta.resolve("@netloom/dataplane"));
  const linux: unknown = await import(linuxUrl.href);
  if (!isLinuxModule(linux)) throw new Error("the Linux driver does not export createLinuxDriver");
  return linux.createLinuxDriver(options);
}

function agentUrl(controller: string, node: string, underlay: string | undefined): string {
  const url = new URL(controller);
  if (url.protocol === "http:") url.protocol = "ws:";
  if (url.protocol === "https:") url.protocol = "wss:";
  url.pathname = `${url.pathname.replace(/\/$/, "")}${AGENT_PATH}`;
  url.searchParams.set("node", node);
  if (underlay) url.searchParams.set("underlay", underlay);
  return url.href;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Starts an agent: connects to the controller, applies what it is sent through the driver, acks
 * each generation once applied, and keeps the dataplane equal to the last config it accepted
 * (level-triggered) whether or not the controller is reachable.
 */
export function startAgent(options: AgentOptions): Agent {
  const log = options.log ?? (() => {});
  const resyncMs = options.resyncMs ?? 10_000;
  const backoffMin = options.backoffMinMs ?? 100;
  const backoffMax = options.backoffMaxMs ?? 5000;
  let token = options.token;
  let heartbeatMs = options.heartbeatMs ?? 5000;

  let accepted: HeldConfig | undefined;
  let applied: HeldConfig | undefined;
  let lastRepaired: string[] = [];
  let socket: WebSocket | undefined;
  let connected = false;
  let stopped = false;
  let backoff = backoffMin;
  let heartbeatTimer: NodeJS.Timeout | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;
  const waiters = new Set<() => void>();

  let driverInstance: DataplaneDriver | undefined;
  const driverReady: Promise<DataplaneDriver> = (async () => {
    if (typeof options.driver !== "string") return options.driver;
    if (options.driver === "memory") return createMemoryDriver();
    // The Linux driver needs the underlay address: from the options, else the first config.
    let underlay = options.underlay;
    while (!underlay) {
      await new Promise<void>((resolve) => waiters.add(resolve));
      underlay = accepted?.config.underlay;
      if (stopped) throw new Error("agent stopped");
    }
    return loadLinuxDriver({ node: options.node, underlayIp: underlay, ...options.linux });
  })();
  driverReady.then(
    (driver) => {
      driverInstance = driver;
    },
    () => undefined,
  );

  const notify = () => {
    for (const waiter of [...waiters]) {
      waiters.delete(waiter);
      waiter();
    }
  };

  const send = (message: AgentMessage) => {
    if (socket?.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
  };

  // Applies and reconciles run one at a time; a config that arrives meanwhile waits its turn
  // and intermediate ones are skipped (only the newest accepted config matters).
  let work: Promise<void> = Promise.resolve();
  const serially = <T>(task: () => Promise<T>): Promise<T> => {
    const run = work.then(task);
    work = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  };

  let applyFailed = false;
  const converge = (): Promise<void> =>
    serially(async () => {
      const driver = await driverReady;
      while (accepted && accepted.hash !== applied?.hash && !stopped) {
        const target = accepted;
        try {
          await driver.apply(target.config, target.generation);
        } catch (error) {
          applyFailed = true;
          const message = error instanceof Error ? error.message : String(error);
          log(`apply of generation ${target.generation} failed: ${message}`);
          nack(target.generation, "apply-failed", message);
          notify();
          return;
        }
        applyFailed = false;
        applied = target;
        await saveState(target);
        if (accepted === target) {
          const ack: AckMessage = { type: "ack", generation: target.generation, hash: target.hash };
          send(ack);
        }
        notify();
      }
    });

  const saveState = async (held: HeldConfig) => {
    if (!options.stateFile) return;
    const temporary = `${options.stateFile}.tmp`;
    await writeFile(temporary, JSON.stringify(held));
    await rename(temporary, options.stateFile);
  };

  const nack = (generation: number, reason: NackReason, message: string) => {
    const refusal: NackMessage = {
      type: "nack",
      generation,
      reason,
      message,
      appliedGeneration: applied?.generation ?? 0,
      appliedHash: applied?.hash ?? null,
      acceptedGeneration: accepted?.generation ?? applied?.generation ?? 0,
      acceptedHash: accepted?.hash ?? applied?.hash ?? null,
    };
    send(refusal);
  };

  const reconcile = (): Promise<string[]> =>
    serially(async () => {
      const driver = await driverReady;
      if (!applied || stopped) return [];
      const report = await driver.reconcile(applied.config);
      if (report.repaired.length > 0) {
        lastRepaired = report.repaired;
        log(`reconcile repaired ${report.repaired.length}: ${report.repaired.join(", ")}`);
      }
      return report.repaired;
    });

  /** Takes a config from the controller if it is not older than what the agent holds. */
  const accept = (generation: number, hash: string, config: () => NodeConfig | undefined) => {
    const held = accepted ?? applied;
    if (held && hash === held.hash) {
      // The same config again (reconnect, or another controller): check the dataplane, re-ack.
      if (generation > held.generation) {
        accepted = { generation, hash, config: held.config };
        if (applied?.hash === hash) applied = accepted;
      }
      reconcile()
        .then(() => converge())
        .then(() => {
          if (applied?.hash === hash) send({ type: "ack", generation: applied.generation, hash });
        })
        .catch(() => undefined);
      return;
    }
    if (held && generation <= held.generation) {
      log(`refused generation ${generation}: holding generation ${held.generation}`);
      nack(
        generation,
        "stale-generation",
        `generation ${generation} is older than ${held.generation}`,
      );
      return;
    }
    const next = config();
    if (!next) return;
    accepted = { generation, hash, config: next };
    notify();
    converge().catch(() => undefined);
  };

  const receive = (message: ControllerMessage) => {
    switch (message.type) {
      case "welcome": {
        heartbeatMs = message.heartbeatMs;
        backoff = backoffMin;
        const hello: HelloMessage = {
          type: "hello",
          protocol: PROTOCOL_VERSION,
          appliedGeneration: applied?.generation ?? 0,
          appliedHash: applied?.hash ?? null,
          acceptedGeneration: accepted?.generation ?? applied?.generation ?? 0,
          acceptedHash: accepted?.hash ?? applied?.hash ?? null,
        };
        send(hello);
        startHeartbeats();
        break;
      }
      case "registered":
        token = message.token;
        options.onToken?.(message.token);
        log(`registered as ${message.node}`);
        break;
      case "snapshot":
        accept(message.generation, message.hash, () => message.config);
        break;
      case "delta": {
        const base = accepted ?? applied;
        accept(message.generation, message.hash, () => {
          if (!base || base.hash !== message.baseHash) {
            nack(message.generation, "base-mismatch", `holding ${base?.hash ?? "nothing"}`);
            return undefined;
          }
          return applyDelta(base.config, message);
        });
        break;
      }
      default:
        assertNever(message, "controller message");
    }
  };

  // Periodic work starts at a random phase: a thousand agents started (or reconnected) together
  // must not heartbeat or reconcile in lockstep.
  const startHeartbeats = () => {
    if (heartbeatTimer) clearTimeout(heartbeatTimer);
    const beat = () => {
      heartbeat().catch(() => undefined);
      heartbeatTimer = setTimeout(beat, heartbeatMs);
    };
    heartbeatTimer = setTimeout(beat, Math.random() * heartbeatMs);
  };

  const heartbeat = async () => {
    const tenantCounters = driverInstance ? await driverInstance.tenantCounters() : {};
    // The per-node sum stays on the wire for controllers that know only `counters`.
    const counters: Record<string, number> = {};
    for (const counts of Object.values(tenantCounters)) {
      for (const [ruleId, packets] of Object.entries(counts)) {
        counters[ruleId] = (counters[ruleId] ?? 0) + packets;
      }
    }
    const message: HeartbeatMessage = {
      type: "heartbeat",
      appliedGeneration: applied?.generation ?? 0,
      appliedHash: applied?.hash ?? null,
      counters,
      tenantCounters,
      repaired: lastRepaired,
    };
    send(message);
  };

  const connect = () => {
    if (stopped) return;
    const ws = new WebSocket(agentUrl(options.controller, options.node, options.underlay), {
      headers: { authorization: `Bearer ${token}` },
      perMessageDeflate: false,
    });
    socket = ws;
    ws.on("open", () => {
      connected = true;
      log(`connected to ${options.controller}`);
      notify();
    });
    ws.on("message", (data, isBinary) => {
      if (isBinary) return;
      const message = parseControllerMessage(data.toString());
      if (!message) {
        log("ignored a malformed message");
        return;
      }
      options.onMessage?.(message);
      receive(message);
    });
    ws.on("unexpected-response", (_request, response) => {
      log(`controller refused the connection: HTTP ${response.statusCode}`);
      ws.terminate();
    });
    ws.on("error", (error) => {
      log(`connection error: ${error.message}`);
    });
    ws.on("close", () => {
      if (socket === ws) socket = undefined;
      connected = false;
      if (heartbeatTimer) clearTimeout(heartbeatTimer);
      heartbeatTimer = undefined;
      notify();
      if (stopped) return;
      // Headless: the dataplane keeps the last config; reconnect with jittered backoff.
      const delay = backoff / 2 + Math.random() * (backoff / 2);
      backoff = Math.min(backoff * 2, backoffMax);
      reconnectTimer = setTimeout(() => {
        // Level-triggered: check the dataplane before taking new orders.
        reconcile()
          .catch(() => undefined)
          .finally(connect);
      }, delay);
    });
  };

  let resyncTimer: NodeJS.Timeout | undefined;
  const resyncTick = () => {
    // A failed apply is retried; an applied config is checked against the dataplane.
    const retry = applyFailed || (accepted !== undefined && accepted.hash !== applied?.hash);
    (retry ? converge() : reconcile().then(() => undefined)).catch(() => undefined);
    if (!stopped) resyncTimer = setTimeout(resyncTick, resyncMs);
  };
  resyncTimer = setTimeout(resyncTick, resyncMs / 2 + Math.random() * resyncMs);

  (async () => {
    if (options.stateFile) {
      try {
        const held = JSON.parse(await readFile(options.stateFile, "utf8")) as HeldConfig;
        accepted = held;
        applied = held;
        await reconcile();
      } catch {
        // No state yet: the controller's snapshot will bring it.
      }
    }
    connect();
  })().catch((error: unknown) => log(`start failed: ${String(error)}`));

  const agent: Agent = {
    node: options.node,
    driver: driverReady,
    get accepted() {
      return accepted;
    },
    get applied() {
      return applied;
    },
    get connected() {
      return connected;
    },
    async waitFor(predicate, timeoutMs = 10_000) {
      const deadline = Date.now() + timeoutMs;
      while (!predicate(agent)) {
        const left = deadline - Date.now();
        if (left <= 0)
          throw new Error(`agent ${options.node}: condition not met in ${timeoutMs} ms`);
        await Promise.race([
          new Promise<void>((resolve) => waiters.add(resolve)),
          sleep(Math.min(left, 200)),
        ]);
      }
    },
    resync: () => reconcile(),
    async stop(stopOptions = {}) {
      stopped = true;
      if (resyncTimer) clearTimeout(resyncTimer);
      if (heartbeatTimer) clearTimeout(heartbeatTimer);
      if (reconnectTimer) clearTimeout(reconnectTimer);
      notify();
      const ws = socket;
      if (ws && ws.readyState !== WebSocket.CLOSED) {
        await new Promise<void>((resolve) => {
          ws.once("close", () => resolve());
          ws.close(1000, "agent stopping");
          setTimeout(() => {
            ws.terminate();
            resolve();
          }, 1000).unref();
        });
      }
      await work;
      if (stopOptions.teardown && driverInstance) await driverInstance.teardown();
    },
  };
  return agent;
}
