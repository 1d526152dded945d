import { useQuery } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { failureOf } from "../errors";
import type { StatusReport } from "../lib/convergence";
import { useTRPC } from "../trpc";
import type { FabricStatus } from "./types";

/**
 * The live node status every convergence view reads: the first answer of `fabric.status`, then
 * each push of `fabric.onStatus`. The one place that names the status source, so moving to a
 * tenant-scoped convergence feed is one edit here.
 */
export function useFabricStatus(): {
  status: (FabricStatus & StatusReport) | undefined;
  error: ReturnType<typeof failureOf> | null;
} {
  const trpc = useTRPC();
  const initial = useQuery(trpc.fabric.status.queryOptions());
  const live = useSubscription(trpc.fabric.onStatus.subscriptionOptions(undefined));
  const status = (live.data as FabricStatus | undefined) ?? initial.data;
  const error = live.error ?? initial.error;
  return { status, error: error ? failureOf(error) : null };
}
