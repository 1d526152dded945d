import { evpnType5RouteSchema, learnedEvpnRouteSchema } from "@netloom/model";
import { z } from "zod";
import { requireCloudReader } from "../auth/principal";
import { LiveValue } from "../live/live-value";
import { authedProcedure, router, type Services } from "../trpc";

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

/** The speaker, its peers and the routes, as `bgp.status` answers and `bgp.onStatus` pushes. */
async function bgpStatusOf(services: Services): Promise<BgpStatusView> {
  const { store, bgp } = services;
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
}

/** Sessions change without any event of ours (a peer going down): look at them this often. */
const PEER_POLL_MS = 2_000;

/** One live status per controller, however many operators watch it. */
const liveStatuses = new WeakMap<Services, LiveValue<BgpStatusView>>();

function liveStatusOf(services: Services): LiveValue<BgpStatusView> {
  const existing = liveStatuses.get(services);
  if (existing) return existing;
  const live = new LiveValue<BgpStatusView>({
    compute: () => bgpStatusOf(services),
    wakeOn: [
      (poke) => services.store.onEvpnExportsChanged(poke),
      (poke) => services.events.on("changed", poke),
      (poke) => services.store.onFabricReloaded(poke),
    ],
    intervalMs: PEER_POLL_MS,
    // Uptime grows every second: the view ticks it on its own from when it was pushed.
    fingerprint: (status) =>
      JSON.stringify({ ...status, peers: status.peers.map((p) => ({ ...p, uptimeSeconds: 0 })) }),
    onError: (error) => services.log?.error({ err: error, bgp: "status" }, "BGP status failed"),
  });
  liveStatuses.set(services, live);
  return live;
}

/** Issue 14: the BGP door's state, for operators (cloud-wide roles) only. */
export const bgpRouter = router({
  status: authedProcedure
    .input(z.void())
    .output(bgpStatusSchema)
    .query(({ ctx }) => {
      requireCloudReader(ctx.principal);
      return bgpStatusOf(ctx.services);
    }),
  /** The same, pushed on each change (session up or down, prefix counts, routes). */
  onStatus: authedProcedure.subscription(async function* ({ ctx, signal }) {
    requireCloudReader(ctx.principal);
    yield* liveStatusOf(ctx.services).iterate(signal);
  }),
});
