import type { RouterOutputs } from "@netloom/controller/types";

/** The signed-in user, as `auth.me` answers. */
export type Me = RouterOutputs["auth"]["me"];
