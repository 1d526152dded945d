import { Gauge, type Registry } from "prom-client";
import type { BgpService } from "./service";
import type { BgpPeerStatus } from "./speaker";

/**
 * Issue 14's series: per configured peer, whether its session is up and how many EVPN prefixes
 * it sent us and we sent it. One peer query per scrape feeds all three.
 */
export function registerBgpMetrics(registry: Registry, bgp: BgpService): void {
  let scrape: Promise<BgpPeerStatus[]> | undefined;
  /** The three gauges collect in one scrape: the peers are asked once. */
  const peers = () => {
    scrape ??= bgp.status().then((status) => {
      setImmediate(() => {
        scrape = undefined;
      });
      return status.configured ? status.peers : [];
    });
    return scrape;
  };
  const gauge = (name: string, help: string, value: (peer: BgpPeerStatus) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ["peer"],
      registers: [registry],
      async collect() {
        this.reset();
        for (const peer of await peers()) this.set({ peer: peer.name }, value(peer));
      },
    });
  gauge("netloom_bgp_peer_up", "1 while the BGP session with the peer is established", (peer) =>
    peer.state === "up" ? 1 : 0,
  );
  gauge(
    "netloom_bgp_prefixes_received",
    "EVPN prefixes the peer advertised to this controller's speaker",
    (peer) => peer.prefixesReceived,
  );
  gauge(
    "netloom_bgp_prefixes_advertised",
    "EVPN prefixes this controller's speaker advertised to the peer",
    (peer) => peer.prefixesAdvertised,
  );
}
