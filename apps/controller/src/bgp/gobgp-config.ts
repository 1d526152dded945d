import { type BgpSpec, gracefulRestartSeconds } from "@netloom/model";

export interface GobgpConfigOptions {
  /** TCP port the speaker accepts sessions on (179 unless several speakers share a namespace). */
  listenPort: number;
}

const quoted = (text: string) => JSON.stringify(text);

/**
 * gobgpd's TOML configuration for the fabric's `bgp` section: every peer over l2vpn-evpn with
 * graceful restart, so a restarting speaker does not make its peers withdraw our routes.
 * Short connect-retry: a peer that comes up later is found within seconds, not two minutes.
 */
export function renderGobgpConfig(settings: BgpSpec, options: GobgpConfigOptions): string {
  const restartTime = gracefulRestartSeconds(settings);
  const lines = [
    "[global.config]",
    `  as = ${settings.localAs}`,
    `  router-id = ${quoted(settings.routerId)}`,
    `  port = ${options.listenPort}`,
  ];
  for (const peer of settings.peers) {
    lines.push(
      "",
      "[[neighbors]]",
      "  [neighbors.config]",
      `    neighbor-address = ${quoted(peer.address)}`,
      `    peer-as = ${peer.as}`,
      `    description = ${quoted(peer.name)}`,
      "  [neighbors.timers.config]",
      "    connect-retry = 5",
      "    hold-time = 30",
      "    keepalive-interval = 10",
      "  [neighbors.graceful-restart.config]",
      "    enabled = true",
      `    restart-time = ${restartTime}`,
      "  [[neighbors.afi-safis]]",
      "    [neighbors.afi-safis.config]",
      `      afi-safi-name = "l2vpn-evpn"`,
      "    [neighbors.afi-safis.mp-graceful-restart.config]",
      "      enabled = true",
    );
  }
  return `${lines.join("\n")}\n`;
}
