import { skipToken, useQuery } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { useMemo } from "react";
import { useTRPC } from "../trpc";
import type { ExternalRoutes } from "./graph";

const NONE: readonly ExternalRoutes[] = [];

/**
 * Issue 14: the gateways and learned prefixes at the external networks the tenant uses, for the
 * canvas's gateway nodes: `fabric.tenantExternalRoutes`, then each push of
 * `fabric.onTenantExternalRoutes` (routes come and go with the gateways' BGP sessions). Off
 * (`enabled` false) for documents shown without a tenant behind them; a failure draws no
 * gateway rather than none of the canvas.
 */
export function useExternalRoutes(tenant: string, enabled: boolean): readonly ExternalRoutes[] {
  const trpc = useTRPC();
  // The canvas renders once per frame of a layout: build the options once per tenant.
  const queryOptions = useMemo(
    () => ({ ...trpc.fabric.tenantExternalRoutes.queryOptions({ tenant }), enabled }),
    [trpc, tenant, enabled],
  );
  const subscriptionOptions = useMemo(
    () => trpc.fabric.onTenantExternalRoutes.subscriptionOptions(enabled ? { tenant } : skipToken),
    [trpc, tenant, enabled],
  );
  const initial = useQuery(queryOptions);
  const live = useSubscription(subscriptionOptions);
  return (live.data as readonly ExternalRoutes[] | undefined) ?? initial.data ?? NONE;
}
