import type { RouterOutputs } from "@netloom/controller/types";

/** The signed-in user, as `auth.me` answers. */
export type Me = RouterOutputs["auth"]["me"];
/** Live fabric status, as `fabric.status` and the `fabric.onStatus` subscription answer. */
export type FabricStatus = RouterOutputs["fabric"]["status"];
