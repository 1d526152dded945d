import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { useTRPC } from "../trpc";
import type { ExternalRoutes } from "./graph";

const NONE: readonly ExternalRoutes[] = [];

/** Learned routes come and go with the gateways' BGP sessions: look again this often. */
const REFRESH_MS = 30_000;

/**
 * Issue 14: the gateways and learned prefixes at the external networks the tenant uses
 * (`fabric.tenantExternalRoutes`), for the canvas's gateway nodes. Off (`enabled` false) for
 * documents shown without a tenant behind them; a failure draws no gateway rather than none of
 * the canvas.
 */
export function useExternalRoutes(tenant: string, enabled: boolean): readonly ExternalRoutes[] {
  const trpc = useTRPC();
  // The canvas renders once per frame of a layout: build the query's options once per tenant.
  const options = useMemo(
    () => ({
      ...trpc.fabric.tenantExternalRoutes.queryOptions({ tenant }),
      enabled,
      refetchInterval: REFRESH_MS,
    }),
    [trpc, tenant, enabled],
  );
  const query = useQuery(options);
  return query.data ?? NONE;
}
