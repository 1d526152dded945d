import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { gracefulRestartSeconds, type Ipv4Prefix } from "@netloom/model";
import { anchorRoutes } from "./anchors";
import { GobgpCli, type MonitorHandle, type NeighborState } from "./gobgp-cli";
import { renderGobgpConfig } from "./gobgp-config";
import { GobgpProcess } from "./gobgp-process";
import {
  LearnedTable,
  nlriKey,
  pathsOfJson,
  readPath,
  routeContentKey,
  sortRoutes,
} from "./gobgp-routes";
import type { BgpPeerSettings, BgpSettings, EvpnType5Route, LearnedEvpnRoute } from "./types";

/** The logger the speaker reports to (pino's shape). */
export interface SpeakerLog {
  info(details: object, message: string): void;
  warn(details: object, message: string): void;
  error(details: object, message: string): void;
}

export interface BgpSpeakerOptions {
  settings: BgpSettings;
  /** Network namespace gobgpd runs in (NETLOOM_BGP_NAMESPACE); absent: the controller's. */
  namespace?: string | undefined;
  /** Config file, API socket and log of this speaker. */
  workDir: string;
  /** BGP port to accept sessions on (default 179). */
  listenPort?: number;
  /**
   * Redundant speakers: this speaker's anchor subnet, one /32 per VTEP originated besides the
   * exports (anchors.ts); absent: no anchors.
   */
  anchorSubnet?: Ipv4Prefix | undefined;
  /** Every change of the learned routes, the whole set (the store replaces its copy). */
  onLearned: (routes: LearnedEvpnRoute[]) => Promise<void> | void;
  log: SpeakerLog;
  /** Binaries (tests may point elsewhere). */
  gobgpd?: string;
  gobgp?: string;
}

/** One configured peer as the operator sees it. */
export interface BgpPeerStatus extends BgpPeerSettings {
  state: "up" | "down";
  /** Since when the session is established (ISO), null while down. */
  upSince: string | null;
  uptimeSeconds: number;
  prefixesReceived: number;
  prefixesAdvertised: number;
}

/** Everything the status views show about the speaker. */
export interface BgpSpeakerStatus {
  running: boolean;
  localAs: number;
  routerId: string;
  /** How many times gobgpd was started (1 + restarts). */
  starts: number;
  peers: BgpPeerStatus[];
  exported: EvpnType5Route[];
  learned: LearnedEvpnRoute[];
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
/** Learned-route changes arriving together reach the store as one replacement. */
const LEARN_DEBOUNCE_MS = 50;

/**
 * The controller as a BGP speaker: one supervised gobgpd, the fabric's exports originated and
 * withdrawn by difference (never a flush), the peers' type-5 routes learned from gobgp's monitor
 * stream and handed over whole on every change.
 */
export class BgpSpeaker {
  private readonly cli: GobgpCli;
  private readonly process: GobgpProcess;
  private readonly peerByAddress: Map<string, BgpPeerSettings>;
  /** The fabric's exports, as last given. */
  private exports: EvpnType5Route[] = [];
  /** What gobgpd should hold of ours: the exports and their anchors, by NLRI. */
  private desired = new Map<string, EvpnType5Route>();
  /** What gobgpd holds of ours, by NLRI (emptied when gobgpd restarts). */
  private readonly advertised = new Map<string, EvpnType5Route>();
  private learnedTable: LearnedTable;
  private published: LearnedEvpnRoute[] = [];
  private monitor: MonitorHandle | undefined;
  private reconciling: Promise<void> = Promise.resolve();
  private learnTimer: NodeJS.Timeout | undefined;
  /** After a restart, learned routes are held (graceful restart) until the peers are back. */
  private holdingLearned = false;
  private run = 0;
  private stopped = false;

  constructor(private readonly options: BgpSpeakerOptions) {
    const socket = path.join(options.workDir, "gobgp.sock");
    const apiTarget = `unix://${socket}`;
    this.cli = new GobgpCli(apiTarget, options.gobgp);
    this.peerByAddress = new Map(options.settings.peers.map((peer) => [peer.address, peer]));
    this.learnedTable = this.newTable();
    this.process = new GobgpProcess({
      configFile: path.join(options.workDir, "gobgpd.toml"),
      apiTarget,
      namespace: options.namespace,
      logFile: path.join(options.workDir, "gobgpd.log"),
      binary: options.gobgpd,
      onStart: (restart) => {
        void this.started(restart);
      },
      onExit: (description) => options.log.warn({ bgp: "speaker" }, description),
    });
  }

  private newTable(): LearnedTable {
    return new LearnedTable((address) => this.peerByAddress.get(address)?.name);
  }

  get settings(): BgpSettings {
    return this.options.settings;
  }

  /** The running gobgpd's process id. */
  get pid(): number | undefined {
    return this.process.pid;
  }

  async start(): Promise<void> {
    await mkdir(this.options.workDir, { recursive: true });
    await writeFile(
      path.join(this.options.workDir, "gobgpd.toml"),
      renderGobgpConfig(this.options.settings, { listenPort: this.options.listenPort ?? 179 }),
    );
    this.process.start();
    await this.waitReady(this.run);
  }

  private async waitReady(run: number): Promise<boolean> {
    for (let i = 0; i < 200; i += 1) {
      if (this.stopped || run !== this.run) return false;
      if (await this.cli.ready()) return true;
      await sleep(50);
    }
    return false;
  }

  /** Each gobgpd run: once its API answers, originate everything and watch the table. */
  private async started(restart: boolean): Promise<void> {
    this.run += 1;
    const run = this.run;
    this.advertised.clear();
    this.monitor?.stop();
    this.monitor = undefined;
    if (!(await this.waitReady(run))) {
      if (!this.stopped && run === this.run) {
        this.options.log.error({ bgp: "speaker" }, "gobgpd did not answer on its API");
      }
      return;
    }
    this.options.log.info(
      { bgp: "speaker", pid: this.process.pid, restart },
      restart ? "gobgpd restarted: re-originating the exports" : "gobgpd started",
    );
    await this.reconcile();
    this.learnedTable = this.newTable();
    if (restart) {
      this.holdingLearned = true;
      void this.releaseWhenPeersBack(run);
    }
    this.watch(run);
  }

  /** Streams gobgpd's table; a monitor that ends while gobgpd runs is started again. */
  private watch(run: number): void {
    const monitor = this.cli.monitor(
      (line) => {
        if (run !== this.run) return;
        let changed = false;
        for (const raw of pathsOfJson(line)) {
          const read = readPath(raw);
          if (read && this.learnedTable.apply(read)) changed = true;
        }
        if (changed) this.scheduleLearned();
      },
      (error) => {
        if (!this.stopped && run === this.run) {
          this.options.log.warn({ bgp: "speaker", err: error }, "gobgp monitor failed");
        }
      },
    );
    this.monitor = monitor;
    void monitor.ended.then(async () => {
      if (this.stopped || run !== this.run || this.monitor !== monitor) return;
      await sleep(1_000);
      if (!this.stopped && run === this.run && this.process.pid !== undefined) {
        this.learnedTable = this.newTable();
        this.watch(run);
      }
    });
  }

  /**
   * Graceful restart on our side: the nodes keep forwarding on what was learned before until
   * every peer is back and has had time to send its table (or the restart time is over).
   */
  private async releaseWhenPeersBack(run: number): Promise<void> {
    const restartSeconds = gracefulRestartSeconds(this.options.settings);
    const deadline = Date.now() + restartSeconds * 1000;
    while (!this.stopped && run === this.run && Date.now() < deadline) {
      const peers = await this.cli
        .neighbors([...this.peerByAddress.keys()])
        .catch(() => [] as NeighborState[]);
      if (peers.length === this.peerByAddress.size && peers.every((peer) => peer.established)) {
        await sleep(2_000);
        break;
      }
      await sleep(500);
    }
    if (run !== this.run) return;
    this.holdingLearned = false;
    this.scheduleLearned();
  }

  private scheduleLearned(): void {
    if (this.holdingLearned || this.learnTimer) return;
    this.learnTimer = setTimeout(() => {
      this.learnTimer = undefined;
      const routes = this.learnedTable.list();
      this.published = routes;
      void Promise.resolve(this.options.onLearned(routes)).catch((error: unknown) =>
        this.options.log.error({ bgp: "speaker", err: error }, "storing learned routes failed"),
      );
    }, LEARN_DEBOUNCE_MS);
  }

  /** The routes the fabric exports now: originated and withdrawn by difference. */
  setExports(routes: readonly EvpnType5Route[]): Promise<void> {
    this.exports = sortRoutes([...routes]);
    const originated = [...routes, ...anchorRoutes(routes, this.options.anchorSubnet)];
    this.desired = new Map(originated.map((route) => [nlriKey(route), route]));
    return this.reconcile();
  }

  /** One reconcile at a time, each against the newest wanted set. */
  private reconcile(): Promise<void> {
    this.reconciling = this.reconciling.then(() => this.reconcileNow());
    return this.reconciling;
  }

  private async reconcileNow(): Promise<void> {
    if (this.stopped || this.process.pid === undefined) return;
    try {
      for (const [key, route] of [...this.advertised]) {
        if (this.desired.has(key)) continue;
        await this.cli.deleteRoute(route);
        this.advertised.delete(key);
      }
      for (const [key, route] of this.desired) {
        const held = this.advertised.get(key);
        if (held && routeContentKey(held) === routeContentKey(route)) continue;
        await this.cli.addRoute(route);
        this.advertised.set(key, route);
      }
    } catch (error) {
      // gobgpd died meanwhile: its next run originates everything again.
      this.options.log.warn({ bgp: "speaker", err: error }, "originating the exports failed");
    }
  }

  /** The peers' sessions now (a down gobgpd shows every peer down). */
  async peers(): Promise<BgpPeerStatus[]> {
    const peers = this.options.settings.peers;
    const states = await this.cli
      .neighbors(peers.map((peer) => peer.address))
      .catch(() => [] as NeighborState[]);
    const now = Date.now();
    return peers.map((peer) => {
      const state = states.find((entry) => entry.address === peer.address);
      const up = state?.established === true;
      return {
        ...peer,
        state: up ? "up" : "down",
        upSince: up && state.upSince ? state.upSince.toISOString() : null,
        uptimeSeconds:
          up && state.upSince ? Math.max(0, Math.round((now - state.upSince.getTime()) / 1000)) : 0,
        prefixesReceived: up ? state.prefixesReceived : 0,
        prefixesAdvertised: up ? state.prefixesAdvertised : 0,
      };
    });
  }

  /** The fabric's exports this speaker originates (its anchors aside). */
  exported(): EvpnType5Route[] {
    return this.exports;
  }

  /** What the nodes were last given. */
  learned(): LearnedEvpnRoute[] {
    return this.published;
  }

  async status(): Promise<BgpSpeakerStatus> {
    return {
      running: this.process.pid !== undefined,
      localAs: this.options.settings.localAs,
      routerId: this.options.settings.routerId,
      starts: this.process.startCount,
      peers: await this.peers(),
      exported: this.exported(),
      learned: this.learned(),
    };
  }

  /** Stops gobgpd and its monitor; peers keep our routes for the graceful-restart time. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.learnTimer) clearTimeout(this.learnTimer);
    this.monitor?.stop();
    await this.reconciling;
    await this.process.stop();
  }
}
