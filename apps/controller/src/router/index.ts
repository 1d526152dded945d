import { router } from "../trpc";
import { authRouter } from "./auth";
import { bgpRouter } from "./bgp";
import { fabricRouter } from "./fabric";
import { intentRouter } from "./intent";
import { layoutRouter } from "./layout";
import { reachRouter } from "./reach";
import {
  assertionsRouter,
  floatingIpPoolsRouter,
  networksRouter,
  policiesRouter,
  routersRouter,
  securityGroupsRouter,
  servicesRouter,
  workloadsRouter,
} from "./resources";
import { tenantsRouter } from "./tenants";
import { usersRouter } from "./users";

/** Every procedure of the controller. Clients import its type only (`AppRouter`). */
export const appRouter = router({
  auth: authRouter,
  tenants: tenantsRouter,
  users: usersRouter,
  networks: networksRouter,
  workloads: workloadsRouter,
  securityGroups: securityGroupsRouter,
  policies: policiesRouter,
  services: servicesRouter,
  routers: routersRouter,
  floatingIpPools: floatingIpPoolsRouter,
  assertions: assertionsRouter,
  fabric: fabricRouter,
  intent: intentRouter,
  reach: reachRouter,
  layout: layoutRouter,
  bgp: bgpRouter,
});

export type AppRouter = typeof appRouter;
