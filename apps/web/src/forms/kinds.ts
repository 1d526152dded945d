import {
  floatingIpPoolSchema,
  networkSchema,
  policySchema,
  type ResourceKind,
  type ResourceSpecs,
  routerSchema,
  securityGroupSchema,
  serviceSchema,
  workloadSchema,
} from "@netloom/model";
import type { z } from "zod";
import { networkShows } from "./network";
import { policyShows } from "./policy";
import { poolShows } from "./pool";
import { routerShows } from "./router";
import { securityGroupShows } from "./securityGroup";
import { serviceShows } from "./service";
import { workloadShows } from "./workload";

/** The kinds a form edits (assertions live in the Reachability tab). */
export type FormKind = Exclude<ResourceKind, "assertions">;

/**
 * Per kind: the model's zod schema (the very one the controller's procedures parse the file
 * with) and which problem paths the kind's fields show by the field. The create dialog and the
 * inspector both read it, so they check and place problems alike.
 */
export const KIND_FORMS: {
  [K in FormKind]: { schema: z.ZodType<ResourceSpecs[K]>; shows: (path: string) => boolean };
} = {
  networks: { schema: networkSchema, shows: networkShows },
  workloads: { schema: workloadSchema, shows: workloadShows },
  policies: { schema: policySchema, shows: policyShows },
  services: { schema: serviceSchema, shows: serviceShows },
  routers: { schema: routerSchema, shows: routerShows },
  floatingIpPools: { schema: floatingIpPoolSchema, shows: poolShows },
  securityGroups: { schema: securityGroupSchema, shows: securityGroupShows },
};
