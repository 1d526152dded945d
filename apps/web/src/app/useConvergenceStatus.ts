import type { RouterOutputs } from "@netloom/controller/types";
import { useQuery } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { failureOf } from "../errors";
import { useTRPC } from "../trpc";

/** One tenant's convergence, as `fabric.tenantStatus` answers (the controller's one definition). */
export type TenantStatus = RouterOutputs["fabric"]["tenantStatus"];
/** Every node, as `fabric.status` answers (cloud readers only). */
export type FabricStatus = RouterOutputs["fabric"]["status"];

/**
 * A tenant's live convergence: the first answer of `fabric.tenantStatus`, then each push of
 * `fabric.onTenantStatus`. Every tenant view (pill, inspector, review) reads it from here.
 */
export function useTenantStatus(tenant: string) {
  const trpc = useTRPC();
  const initial = useQuery(trpc.fabric.tenantStatus.queryOptions({ tenant }));
  const live = useSubscription(trpc.fabric.onTenantStatus.subscriptionOptions({ tenant }));
  const status: TenantStatus | undefined = (live.data as TenantStatus | undefined) ?? initial.data;
  const error = live.error ?? initial.error;
  return { status, error: error ? failureOf(error) : null };
}

/** The whole fabric, live (`fabric.status`, then `fabric.onStatus`): the operator's node view. */
export function useFabricStatus() {
  const trpc = useTRPC();
  const initial = useQuery(trpc.fabric.status.queryOptions());
  const live = useSubscription(trpc.fabric.onStatus.subscriptionOptions(undefined));
  const status: FabricStatus | undefined = (live.data as FabricStatus | undefined) ?? initial.data;
  const error = live.error ?? initial.error;
  return { status, error: error ? failureOf(error) : null };
}
