import { hostname } from "node:os";
import path from "node:path";
import type { BgpSpec } from "@netloom/model";
import type { ControllerEvents } from "../events";
import { sameBgp } from "../store/evpn";
import type { Store } from "../store/store";
import { BgpSpeaker, type BgpSpeakerStatus, type SpeakerLog } from "./speaker";

export interface BgpServiceOptions {
  /** Network namespace the speaker runs in (NETLOOM_BGP_NAMESPACE); absent: the controller's. */
  namespace?: string | undefined;
  /** Where the speaker keeps its config, API socket and log. */
  workDir: string;
  /** BGP port (NETLOOM_BGP_PORT, default 179): several speakers in one namespace need their own. */
  listenPort?: number | undefined;
  /**
   * Names this controller's learned routes in the store (NETLOOM_BGP_SOURCE; default the host
   * and namespace): stable across restarts, so a restarted controller replaces its own rows.
   */
  source?: string | undefined;
  log: SpeakerLog;
}

/** What the status views answer: no `bgp` section, or the speaker's state. */
export type BgpStatus = { configured: false } | ({ configured: true } & BgpSpeakerStatus);

/**
 * The controller's BGP door: runs a speaker while the fabric has a `bgp` section, starts a new
 * one when the section changes, feeds it the store's exports and the store its learned routes.
 */
export class BgpService {
  private speaker: BgpSpeaker | undefined;
  private running: BgpSpec | undefined;
  private unsubscribeExports: (() => void) | undefined;
  private unsubscribeChanges: (() => void) | undefined;
  private switching: Promise<void> = Promise.resolve();
  private closed = false;
  readonly source: string;

  constructor(
    private readonly store: Store,
    private readonly events: ControllerEvents,
    private readonly options: BgpServiceOptions,
  ) {
    this.source = options.source ?? `${hostname()}/${options.namespace ?? "host"}`;
  }

  /** Starts the speaker if the fabric has a `bgp` section, and follows the section's changes. */
  async start(): Promise<void> {
    this.unsubscribeChanges = this.events.on("changed", (change) => {
      if (change.tenantId === null) void this.follow();
    });
    await this.follow();
  }

  /** The running speaker (tests kill its gobgpd). */
  get current(): BgpSpeaker | undefined {
    return this.speaker;
  }

  private follow(): Promise<void> {
    this.switching = this.switching.then(() => this.switchTo(this.store.fabricBgp()));
    return this.switching;
  }

  private async switchTo(wanted: BgpSpec | undefined): Promise<void> {
    if (this.closed || sameBgp(this.running, wanted)) return;
    await this.stopSpeaker();
    this.running = wanted;
    if (!wanted) {
      // No more BGP: what was learned no longer holds.
      await this.store.replaceLearnedRoutes(this.source, []);
      return;
    }
    const speaker = new BgpSpeaker({
      settings: wanted,
      namespace: this.options.namespace,
      workDir: path.join(this.options.workDir, "bgp"),
      listenPort: this.options.listenPort,
      log: this.options.log,
      onLearned: async (routes) => {
        if (this.speaker !== speaker) return;
        await this.store.replaceLearnedRoutes(this.source, routes);
      },
    });
    this.speaker = speaker;
    await speaker.start();
    this.unsubscribeExports = this.store.onEvpnExportsChanged((routes) => {
      void speaker.setExports(routes);
    });
    await speaker.setExports(await this.store.evpnExports());
    this.options.log.info(
      { bgp: "speaker", localAs: wanted.localAs, peers: wanted.peers.length },
      "BGP speaker running",
    );
  }

  private async stopSpeaker(): Promise<void> {
    this.unsubscribeExports?.();
    this.unsubscribeExports = undefined;
    const speaker = this.speaker;
    this.speaker = undefined;
    await speaker?.stop();
  }

  async status(): Promise<BgpStatus> {
    const speaker = this.speaker;
    if (!speaker) return { configured: false };
    return { configured: true, ...(await speaker.status()) };
  }

  /** Stops the speaker with the controller (peers hold our routes for the restart time). */
  async close(): Promise<void> {
    this.closed = true;
    this.unsubscribeChanges?.();
    await this.switching;
    await this.stopSpeaker();
  }
}
