/**
 * The speaker's view of the fabric's BGP settings and routes. Until the model carries them
 * (evpn-core), they are declared here with the same shape as the fabric file's `bgp` section.
 */

/** One configured BGP neighbour: a data-center gateway or another netloom domain's speaker. */
export interface BgpPeerSettings {
  name: string;
  address: string;
  as: number;
}

/** The fabric file's `bgp` section. */
export interface BgpSettings {
  localAs: number;
  routerId: string;
  peers: BgpPeerSettings[];
  /** How long peers keep our routes while the speaker restarts (default 120). */
  gracefulRestartSeconds?: number | undefined;
}

/** An EVPN type-5 (IP prefix) route, exported for a node or learned from a peer. */
export interface EvpnType5Route {
  prefix: string;
  vni: number;
  routerMac: string;
  nexthop: string;
  routeTarget: string;
}

/** A type-5 route one of the peers advertised (`peer` is its configured name). */
export interface LearnedEvpnRoute extends EvpnType5Route {
  peer: string;
}
