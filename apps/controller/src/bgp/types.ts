/**
 * The speaker speaks the model's language: the Fabric file's `bgp` section and its peers, and
 * type-5 routes as the store keeps them (packages/model, evpn-routes.ts).
 */
export type {
  BgpPeerSpec as BgpPeerSettings,
  BgpSpec as BgpSettings,
  EvpnType5Route,
  LearnedEvpnRoute,
} from "@netloom/model";
