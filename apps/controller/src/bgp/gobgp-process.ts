import { type ChildProcess, spawn } from "node:child_process";
import { closeSync, openSync, rmSync } from "node:fs";

/** Backoff between restarts of a dying gobgpd: doubling from the first, up to the last. */
export const RESTART_BACKOFF_MS = { first: 250, max: 10_000 };
/** A run this long counts as healthy: the next death restarts at the first backoff again. */
const HEALTHY_RUN_MS = 30_000;

export interface GobgpProcessOptions {
  configFile: string;
  /** gobgpd's API socket (`unix://…`). */
  apiTarget: string;
  /** Network namespace to run in; absent: the controller's own. */
  namespace: string | undefined;
  logFile: string;
  /** Called after each (re)start with whether it is a restart (the speaker re-originates). */
  onStart: (restart: boolean) => void;
  onExit: (description: string) => void;
  binary?: string;
}

/**
 * One gobgpd, supervised: started, restarted with backoff whenever it dies, stopped with the
 * controller. A restart sets gobgpd's graceful-restart flag (-r), so peers keep our routes while
 * the speaker comes back and re-originates them.
 */
export class GobgpProcess {
  private child: ChildProcess | undefined;
  private stopped = false;
  private backoffMs = RESTART_BACKOFF_MS.first;
  private timer: NodeJS.Timeout | undefined;
  private starts = 0;

  constructor(private readonly options: GobgpProcessOptions) {}

  /** The running gobgpd's process id (tests kill it to prove the restart). */
  get pid(): number | undefined {
    return this.child?.exitCode === null ? this.child.pid : undefined;
  }

  /** How many times gobgpd was started (1 + restarts). */
  get startCount(): number {
    return this.starts;
  }

  start(): void {
    if (this.stopped || this.child) return;
    const restart = this.starts > 0;
    this.starts += 1;
    const binary = this.options.binary ?? "gobgpd";
    const gobgpd = [
      binary,
      ...["-f", this.options.configFile, "-t", "toml"],
      ...["--api-hosts", this.options.apiTarget, "--pprof-disable", "--log-plain"],
      ...(restart ? ["--graceful-restart"] : []),
    ];
    // `ip netns exec` execs gobgpd in place: the child's pid is gobgpd's.
    const argv = this.options.namespace
      ? ["ip", "netns", "exec", this.options.namespace, ...gobgpd]
      : gobgpd;
    const [command = binary, ...args] = argv;
    // A killed gobgpd leaves its socket behind, and the next one would not bind it.
    if (this.options.apiTarget.startsWith("unix://")) {
      rmSync(this.options.apiTarget.slice("unix://".length), { force: true });
    }
    const log = openSync(this.options.logFile, "a");
    const startedAt = Date.now();
    const child = spawn(command, args, { stdio: ["ignore", log, log] });
    closeSync(log);
    this.child = child;
    child.on("error", (error) =>
      this.exited(child, startedAt, `could not start: ${error.message}`),
    );
    child.on("exit", (code, signal) =>
      this.exited(child, startedAt, `exited (${signal ?? `code ${code}`})`),
    );
    this.options.onStart(restart);
  }

  private exited(child: ChildProcess, startedAt: number, description: string): void {
    if (this.child !== child) return;
    this.child = undefined;
    if (this.stopped) return;
    if (Date.now() - startedAt > HEALTHY_RUN_MS) this.backoffMs = RESTART_BACKOFF_MS.first;
    this.options.onExit(`gobgpd ${description}; restarting in ${this.backoffMs} ms`);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.start();
    }, this.backoffMs);
    this.backoffMs = Math.min(this.backoffMs * 2, RESTART_BACKOFF_MS.max);
  }

  /**
   * Stops gobgpd for good. Killed, not asked to stop: a clean stop sends peers a Cease and they
   * drop our routes at once, while a dropped session lets them hold the routes for the
   * graceful-restart time (a controller restart, an upgrade) before withdrawing.
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const gone = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    child.kill("SIGKILL");
    await gone;
  }
}
