import { evpnType5RouteSchema, learnedEvpnRouteSchema } from "@netloom/model";
import { z } from "zod";
import { requireCloudReader } from "../auth/principal";
import { authedProcedure, router } from "../trpc";

const peerSchema = z.object({
  name: z.string(),
  address: z.string(),
  as: z.number().int(),
  state: z.enum(["up", "down"]),
  upSince: z.string().nullable(),
  uptimeSeconds: z.number().int(),
  prefixesReceived: z.number().int(),
  prefixesAdvertised: z.number().int(),
});

/** What `bgp.status` answers: the speaker, its peers, and the routes exported and learned. */
export const bgpStatusSchema = z.object({
  configured: z.boolean(),
  running: z.boolean(),
  localAs: z.number().int().nullable(),
  routerId: z.string().nullable(),
  /** How many times gobgpd was started by this controller (1 + restarts). */
  starts: z.number().int(),
  peers: z.array(peerSchema),
  /** The type-5 routes this fabric exports (what the speaker originates). */
  exported: z.array(evpnType5RouteSchema),
  /** Every learned route the nodes are programmed with, with the peer it came from. */
  learned: z.array(learnedEvpnRouteSchema),
});
export type BgpStatusView = z.infer<typeof bgpStatusSchema>;

/** Issue 14: the BGP door's state, for operators (cloud-wide roles) only. */
export const bgpRouter = router({
  status: authedProcedure
    .input(z.void())
    .output(bgpStatusSchema)
    .query(async ({ ctx }) => {
      requireCloudReader(ctx.principal);
      const { store, bgp } = ctx.services;
      const speaker = bgp ? await bgp.status() : { configured: false as const };
      const exported = await store.evpnExports();
      const learned = store.learnedRoutes();
      if (!speaker.configured) {
        return {
          configured: false,
          running: false,
          localAs: null,
          routerId: null,
          starts: 0,
          peers: [],
          exported,
          learned,
        };
      }
      return {
        configured: true,
        running: speaker.running,
        localAs: speaker.localAs,
        routerId: speaker.routerId,
        starts: speaker.starts,
        peers: speaker.peers,
        exported,
        learned,
      };
    }),
});
