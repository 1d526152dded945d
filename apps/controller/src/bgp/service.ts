import { mkdtempSync, rmSync } from "node:fs";
import { hostname, tmpdir } from "node:os";
import path from "node:path";
import { asIpv4, type BgpSpec, type Ipv4Prefix, learnedEvpnRouteSchema } from "@netloom/model";
import type { ControllerEvents } from "../events";
import { sameBgp } from "../store/evpn";
import type { Store } from "../store/store";
import { parseAnchorSubnet } from "./anchors";
import { BgpSpeaker, type BgpSpeakerStatus, type SpeakerLog } from "./speaker";

export interface BgpServiceOptions {
  /** Network namespace the speaker runs in (NETLOOM_BGP_NAMESPACE); absent: the controller's. */
  namespace?: string | undefined;
  /**
   * Where the speaker keeps its config, API socket and log; default a fresh directory under the
   * temp directory, made when a speaker first starts and removed on close.
   */
  workDir?: string | undefined;
  /** BGP port (NETLOOM_BGP_PORT, default 179): several speakers in one namespace need their own. */
  listenPort?: number | undefined;
  /**
   * Names this controller's learned routes in the store (NETLOOM_BGP_SOURCE; default the host
   * and namespace): stable across restarts, so a restarted controller replaces its own rows.
   */
  source?: string | undefined;
  /**
   * This speaker's router id (NETLOOM_BGP_ROUTER_ID), overriding the fabric's `bgp.routerId`:
   * redundant speakers (one per controller, the gateway peering with each) need their own.
   */
  routerId?: string | undefined;
  /**
   * This speaker's anchor subnet (NETLOOM_BGP_ANCHOR_SUBNET, e.g. 169.254.100.0/24, one per
   * redundant speaker): it originates one anchor /32 per VTEP in it, so that an FRR 8.4 gateway
   * keeps forwarding when another speaker dies (anchors.ts, decision 0008).
   */
  anchorSubnet?: string | undefined;
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
  private scratchDir: string | undefined;
  readonly source: string;
  private readonly anchorSubnet: Ipv4Prefix | undefined;

  constructor(
    private readonly store: Store,
    private readonly events: ControllerEvents,
    private readonly options: BgpServiceOptions,
  ) {
    this.source = options.source ?? `${hostname()}/${options.namespace ?? "host"}`;
    // Checked at once: a malformed setting stops the controller, not the speaker later.
    this.anchorSubnet = options.anchorSubnet ? parseAnchorSubnet(options.anchorSubnet) : undefined;
  }

  /** Starts the speaker if the fabric has a `bgp` section, and follows the section's changes. */
  async start(): Promise<void> {
    const unsubscribeEvents = this.events.on("changed", (change) => {
      if (change.tenantId === null) void this.follow();
    });
    // Another controller's change of the section reaches this store by a re-read, no event.
    const unsubscribeReloads = this.store.onFabricReloaded(() => void this.follow());
    this.unsubscribeChanges = () => {
      unsubscribeEvents();
      unsubscribeReloads();
    };
    await this.follow();
  }

  /** The running speaker (tests kill its gobgpd). */
  get current(): BgpSpeaker | undefined {
    return this.speaker;
  }

  /** Follows the stored section; a failed switch is logged and the next change tries again. */
  private follow(): Promise<void> {
    this.switching = this.switching
      .then(() => this.switchTo(this.store.fabricBgp()))
      .catch((error: unknown) => {
        this.running = undefined;
        this.options.log.error({ bgp: "speaker", err: error }, "starting the BGP speaker failed");
      });
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
      settings: this.options.routerId
        ? { ...wanted, routerId: asIpv4(this.options.routerId) }
        : wanted,
      namespace: this.options.namespace,
      workDir: path.join(this.workDir(), "bgp"),
      listenPort: this.options.listenPort,
      anchorSubnet: this.anchorSubnet,
      log: this.options.log,
      onLearned: async (routes) => {
        if (this.speaker !== speaker) return;
        // One malformed route from a peer must not keep the others from the nodes.
        const usable = routes.filter((route) => {
          const parsed = learnedEvpnRouteSchema.safeParse(route);
          if (!parsed.success) {
            this.options.log.warn(
              { bgp: "speaker", route, problem: parsed.error.issues[0]?.message },
              "ignoring a learned route that is not a valid type-5 route",
            );
          }
          return parsed.success;
        });
        await this.store.replaceLearnedRoutes(this.source, usable);
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

  private workDir(): string {
    if (this.options.workDir) return this.options.workDir;
    this.scratchDir ??= mkdtempSync(path.join(tmpdir(), "netloom-bgp-"));
    return this.scratchDir;
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
    if (this.scratchDir) rmSync(this.scratchDir, { recursive: true, force: true });
  }
}
