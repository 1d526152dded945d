import { readFile, rename, writeFile } from "node:fs/promises";
import type { NodeConfig } from "@netloom/compiler";
import {
  createLinuxDriver,
  createMemoryDriver,
  type DataplaneDriver,
  type LinuxDriverOptions,
} from "@netloom/dataplane";
import { asGeneration, assertNever, type Generation } from "@netloom/model";
import {
  type AckMessage,
  AGENT_PATH,
  type AgentMessage,
  applyDelta,
  type ControllerMessage,
  type DriftReport,
  type HeartbeatMessage,
  type HelloMessage,
  messageText,
  type NackMessage,
  type NackReason,
  PROTOCOL_VERSION,
  parseControllerMessage,
  snapshotMessageSchema,
} from "@netloom/protocol";
import WebSocket from "ws";

/** How to build the dataplane: a driver name, or a driver instance (tests, benchmarks). */
export type DriverChoice = "memory" | "linux" | DataplaneDriver;

/** Where the agent logs: pino's shape (`logger.error({ err, ... }, "message")`). */
export interface AgentLogger {
  info(context: Record<string, unknown>, message: string): void;
  warn(context: Record<string, unknown>, message: string): void;
  error(context: Record<string, unknown>, message: string): void;
}

export interface AgentOptions {
  /**
   * Controller base URLs: `http://host:7070` (or `ws://...`), one or several (a list, or one
   * string with commas). The agent starts at one picked by its node name (spreading nodes over
   * the controllers) and moves to the next when the connection fails or falls silent.
   */
  controller: string | readonly string[];
  /** Index in the controller list to try first (default: picked by the node name). */
  firstController?: number;
  node: string;
  /** Node token, or a cloud admin token to register the node (then `underlay` is needed). */
  token: string;
  driver: DriverChoice;
  /** The node's underlay address: for self-registration, and the Linux driver. */
  underlay?: string;
  /** Extra options of the Linux driver (e.g. `nodeNamespace` in the lab). */
  linux?: Omit<Partial<LinuxDriverOptions>, "node" | "underlayIp">;
  /** Compare desired with actual state this often (ms, default 10000). */
  resyncMs?: number;
  /** Reconnect backoff bounds (ms, default 100 to 5000, doubling, with jitter). */
  backoffMinMs?: number;
  backoffMaxMs?: number;
  /** Heartbeat period before the controller says otherwise (ms, default 5000). */
  heartbeatMs?: number;
  /**
   * A connection that brings nothing (no message, no pong) for this long is dead: the agent
   * drops it and moves to the next controller (ms; default one heartbeat period, pinged five
   * times in it).
   */
  silentAfterMs?: number;
  /** Keeps the last applied config here so a restarted agent reconciles before reconnecting. */
  stateFile?: string;
  /** Called with the node token when the controller issued one (self-registration). */
  onToken?: (token: string) => void;
  /** Plain log lines (tests); `logger` takes precedence when given. */
  log?: (line: string) => void;
  /** Structured logger (pino); failures are logged here with their context. */
  logger?: AgentLogger;
  /** Sees every message from the controller before it is handled (tests, debugging). */
  onMessage?: (message: ControllerMessage) => void;
}

/** A config the agent holds: accepted from the controller, or applied to the dataplane. */
export interface HeldConfig {
  generation: Generation;
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
  /** The controller URL of the current (or last) connection. */
  readonly controller: string | undefined;
  /** Drift repaired so far (reported in heartbeats). */
  readonly drift: DriftReport;
  /** Failures since start, by kind (reported in heartbeats). */
  readonly errors: Readonly<Record<string, number>>;
  /** Resolves when `predicate` holds after some state change (or at once). */
  waitFor(predicate: (agent: Agent) => boolean, timeoutMs?: number): Promise<void>;
  /** Runs a reconcile now (as the periodic resync does). */
  resync(): Promise<string[]>;
  /** Disconnects and stops; the dataplane keeps forwarding unless `teardown` is set. */
  stop(options?: { teardown?: boolean }): Promise<void>;
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

/** The controller URLs of `--controller`: a list, or comma-separated, without blanks. */
export function controllerUrls(controller: string | readonly string[]): string[] {
  const list = typeof controller === "string" ? [controller] : [...controller];
  return list
    .flatMap((entry) => entry.split(","))
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
}

/** Where a node starts in the controller list: stable per node, spread over the list. */
function firstController(node: string, count: number): number {
  let hash = 0;
  for (const char of node) hash = (hash * 31 + char.charCodeAt(0)) >>> 0;
  return count === 0 ? 0 : hash % count;
}

const GENERATION_ZERO = asGeneration(0);

function isMissingFile(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === "ENOENT";
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Starts an agent: connects to the controller, applies what it is sent through the driver, acks
 * each generation once applied, and keeps the dataplane equal to the last config it accepted
 * (level-triggered) whether or not the controller is reachable.
 */
export function startAgent(options: AgentOptions): Agent {
  const controllers = controllerUrls(options.controller);
  if (controllers.length === 0) throw new Error("agent: at least one controller URL is needed");
  const logLine = options.log ?? (() => {});
  const logger = options.logger;
  const log = (line: string) => {
    if (logger) logger.info({ node: options.node }, line);
    else logLine(line);
  };
  const errors: Record<string, number> = {};
  /** Every failure goes through here: logged with its context, counted by kind. */
  const report = (kind: string, error: unknown, context: Record<string, unknown> = {}) => {
    errors[kind] = (errors[kind] ?? 0) + 1;
    const message = error instanceof Error ? error.message : String(error);
    if (logger)
      logger.error({ node: options.node, kind, err: error, ...context }, `${kind} failed`);
    else logLine(`${kind} failed: ${message}`);
  };
  let controllerIndex =
    (options.firstController ?? firstController(options.node, controllers.length)) %
    controllers.length;
  /** Connections tried since one last got a welcome: a whole round failed means back off. */
  let failedInRow = 0;
  const resyncMs = options.resyncMs ?? 10_000;
  const backoffMin = options.backoffMinMs ?? 100;
  const backoffMax = options.backoffMaxMs ?? 5000;
  let token = options.token;
  let heartbeatMs = options.heartbeatMs ?? 5000;

  let accepted: HeldConfig | undefined;
  let applied: HeldConfig | undefined;
  let lastRepaired: string[] = [];
  const drift: DriftReport = { count: 0, lastRepaired: null, at: null };
  let silenceTimer: NodeJS.Timeout | undefined;
  let lastHeard = 0;
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
    return createLinuxDriver({ node: options.node, underlayIp: underlay, ...options.linux });
  })();
  driverReady.then(
    (driver) => {
      driverInstance = driver;
    },
    (error: unknown) => {
      if (!stopped) report("driver", error);
    },
  );

  const notify = () => {
    for (const waiter of [...waiters]) {
      waiters.delete(waiter);
      waiter();
    }
  };

  const send = (message: AgentMessage) => {
    if (socket?.readyState === WebSocket.OPEN) socket.send(messageText(message));
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
        // The dataplane holds it whether or not the state file could be written: ack anyway.
        await saveState(target).catch((error: unknown) =>
          report("state-file", error, { file: options.stateFile, generation: target.generation }),
        );
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

  const nack = (generation: Generation, reason: NackReason, message: string) => {
    const refusal: NackMessage = {
      type: "nack",
      generation,
      reason,
      message,
      appliedGeneration: applied?.generation ?? GENERATION_ZERO,
      appliedHash: applied?.hash ?? null,
      acceptedGeneration: accepted?.generation ?? applied?.generation ?? GENERATION_ZERO,
      acceptedHash: accepted?.hash ?? applied?.hash ?? null,
    };
    send(refusal);
  };

  const reconcile = (): Promise<string[]> =>
    serially(async () => {
      const driver = await driverReady;
      if (!applied || stopped) return [];
      const repairs = await driver.reconcile(applied.config);
      if (repairs.repaired.length > 0) {
        lastRepaired = repairs.repaired;
        drift.count += repairs.repaired.length;
        drift.lastRepaired = repairs.repaired[repairs.repaired.length - 1] ?? null;
        drift.at = new Date().toISOString();
        log(`reconcile repaired ${repairs.repaired.length}: ${repairs.repaired.join(", ")}`);
      }
      return repairs.repaired;
    });

  /** Takes a config from the controller if it is not older than what the agent holds. */
  const accept = (generation: Generation, hash: string, config: () => NodeConfig | undefined) => {
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
        .catch((error: unknown) => report("reconcile", error, { generation, hash }));
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
    converge().catch((error: unknown) => report("apply", error, { generation, hash }));
  };

  const receive = (message: ControllerMessage) => {
    switch (message.type) {
      case "welcome": {
        heartbeatMs = message.heartbeatMs;
        backoff = backoffMin;
        failedInRow = 0;
        const hello: HelloMessage = {
          type: "hello",
          protocol: PROTOCOL_VERSION,
          appliedGeneration: applied?.generation ?? GENERATION_ZERO,
          appliedHash: applied?.hash ?? null,
          acceptedGeneration: accepted?.generation ?? applied?.generation ?? GENERATION_ZERO,
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
      heartbeat().catch((error: unknown) => report("heartbeat", error));
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
      appliedGeneration: applied?.generation ?? GENERATION_ZERO,
      appliedHash: applied?.hash ?? null,
      counters,
      tenantCounters,
      repaired: lastRepaired,
      drift: { ...drift },
      errors: { ...errors },
    };
    send(message);
  };

  const stopSilenceWatch = () => {
    if (silenceTimer) clearInterval(silenceTimer);
    silenceTimer = undefined;
  };

  /**
   * Watches the open connection: pings the controller (ws answers pings by itself) and drops
   * the connection when nothing came back for `silentAfterMs`, so a black-holed controller is
   * left as surely as a dead one.
   */
  const watchSilence = (ws: WebSocket) => {
    stopSilenceWatch();
    lastHeard = Date.now();
    // Pinged five times a period: a live controller is never silent for a whole one.
    const tick = Math.max(20, Math.floor(heartbeatMs / 5));
    silenceTimer = setInterval(() => {
      const silentAfter = options.silentAfterMs ?? heartbeatMs;
      if (Date.now() - lastHeard > silentAfter) {
        log(`controller ${controllerUrl(ws)} silent for ${Date.now() - lastHeard} ms: leaving it`);
        stopSilenceWatch();
        ws.terminate();
        return;
      }
      if (ws.readyState === WebSocket.OPEN) ws.ping();
    }, tick);
  };

  const socketUrls = new WeakMap<WebSocket, string>();
  const controllerUrl = (ws: WebSocket) => socketUrls.get(ws) ?? "?";
  let currentController: string | undefined;

  const connect = () => {
    if (stopped) return;
    const base = controllers[controllerIndex % controllers.length] ?? controllers[0] ?? "";
    currentController = base;
    const ws = new WebSocket(agentUrl(base, options.node, options.underlay), {
      headers: { authorization: `Bearer ${token}` },
      perMessageDeflate: false,
    });
    socketUrls.set(ws, base);
    socket = ws;
    let welcomed = false;
    ws.on("open", () => {
      connected = true;
      log(`connected to ${base}`);
      watchSilence(ws);
      notify();
    });
    ws.on("pong", () => {
      lastHeard = Date.now();
    });
    ws.on("message", (data, isBinary) => {
      lastHeard = Date.now();
      if (isBinary) return;
      const message = parseControllerMessage(data.toString());
      if (!message) {
        report("protocol", new Error("malformed message from the controller"), {
          controller: base,
        });
        return;
      }
      if (message.type === "welcome") welcomed = true;
      options.onMessage?.(message);
      receive(message);
    });
    ws.on("unexpected-response", (_request, response) => {
      log(`controller ${base} refused the connection: HTTP ${response.statusCode}`);
      ws.terminate();
    });
    ws.on("error", (error) => {
      log(`connection to ${base} failed: ${error.message}`);
    });
    ws.on("close", () => {
      if (socket === ws) socket = undefined;
      stopSilenceWatch();
      connected = false;
      if (heartbeatTimer) clearTimeout(heartbeatTimer);
      heartbeatTimer = undefined;
      notify();
      if (stopped) return;
      // Headless: the dataplane keeps the last config. Move on to the next controller at once;
      // only when a whole round of them failed, wait (jittered, doubling backoff).
      if (!welcomed) failedInRow += 1;
      controllerIndex = (controllerIndex + 1) % controllers.length;
      let delay = 0;
      if (controllers.length === 1 || failedInRow >= controllers.length) {
        delay = backoff / 2 + Math.random() * (backoff / 2);
        backoff = Math.min(backoff * 2, backoffMax);
        if (failedInRow >= controllers.length) failedInRow = 0;
      }
      reconnectTimer = setTimeout(() => {
        // Level-triggered: check the dataplane before taking new orders.
        reconcile()
          .catch((error: unknown) => report("reconcile", error, { when: "reconnect" }))
          .finally(connect);
      }, delay);
    });
  };

  let resyncTimer: NodeJS.Timeout | undefined;
  const resyncTick = () => {
    // A failed apply is retried; an applied config is checked against the dataplane.
    const retry = applyFailed || (accepted !== undefined && accepted.hash !== applied?.hash);
    (retry ? converge() : reconcile().then(() => undefined)).catch((error: unknown) =>
      report(retry ? "apply" : "reconcile", error, { when: "resync" }),
    );
    if (!stopped) resyncTimer = setTimeout(resyncTick, resyncMs);
  };
  resyncTimer = setTimeout(resyncTick, resyncMs / 2 + Math.random() * resyncMs);

  const stateFileSchema = snapshotMessageSchema.pick({
    generation: true,
    hash: true,
    config: true,
  });
  (async () => {
    if (options.stateFile) {
      let text: string | undefined;
      try {
        text = await readFile(options.stateFile, "utf8");
      } catch (error) {
        // No state yet: the controller's snapshot will bring it.
        if (!isMissingFile(error)) report("state-file", error, { file: options.stateFile });
      }
      if (text !== undefined) {
        let parsed: ReturnType<typeof stateFileSchema.safeParse> | undefined;
        try {
          parsed = stateFileSchema.safeParse(JSON.parse(text));
        } catch (error) {
          report("state-file", error, { file: options.stateFile });
        }
        if (parsed && !parsed.success) {
          report("state-file", parsed.error, { file: options.stateFile });
        } else if (parsed?.success) {
          accepted = parsed.data;
          applied = parsed.data;
          await reconcile().catch((error: unknown) =>
            report("reconcile", error, { when: "start" }),
          );
        }
      }
    }
    connect();
  })().catch((error: unknown) => report("start", error));

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
    get controller() {
      return currentController;
    },
    get drift() {
      return { ...drift };
    },
    get errors() {
      return { ...errors };
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
      stopSilenceWatch();
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
