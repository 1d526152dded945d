import type { RouterOutputs } from "@netloom/controller/types";
import { useQueries, useQuery } from "@tanstack/react-query";
import { useSubscription } from "@trpc/tanstack-react-query";
import { type ConvergenceView, convergenceOf } from "../lib/convergence";
import { useTRPC } from "../trpc";

type TenantDetail = RouterOutputs["tenants"]["get"];

/** One tenant's usage and health: object counts, convergence, the last committed change. */
export interface TenantHealth {
  id: string;
  name: string;
  generation: number;
  detail: TenantDetail | undefined;
  convergence: ConvergenceView | undefined;
  lastChange: { at: string; actor: string } | undefined;
}

/**
 * Usage and health of every tenant the caller can see, for the picker cards and the operator's
 * tenant table. Convergence is the controller's one definition, per tenant (`fabric.tenantStatus`).
 */
export function useTenantHealth(): { pending: boolean; rows: TenantHealth[] } {
  const trpc = useTRPC();
  const list = useQuery(trpc.tenants.list.queryOptions());
  const tenants = list.data ?? [];
  const details = useQueries({
    queries: tenants.map((t) => trpc.tenants.get.queryOptions({ tenant: t.name })),
  });
  // The first answer per tenant, then one stream for every card (`fabric.onTenantsStatus`).
  const statuses = useQueries({
    queries: tenants.map((t) => trpc.fabric.tenantStatus.queryOptions({ tenant: t.name })),
  });
  const live = useSubscription(trpc.fabric.onTenantsStatus.subscriptionOptions(undefined));
  const liveByName = new Map((live.data ?? []).map((status) => [status.tenant, status]));
  const histories = useQueries({
    queries: tenants.map((t) => trpc.intent.history.queryOptions({ tenant: t.name, limit: 1 })),
  });
  const rows = tenants.map((tenant, index): TenantHealth => {
    const status = liveByName.get(tenant.name) ?? statuses[index]?.data;
    const last = histories[index]?.data?.events[0];
    return {
      id: tenant.id,
      name: tenant.name,
      generation: tenant.generation,
      detail: details[index]?.data,
      convergence: status ? convergenceOf(status) : undefined,
      lastChange: last ? { at: last.at, actor: last.actor } : undefined,
    };
  });
  return { pending: list.isPending, rows };
}

/** Object counts as one short phrase: "3 networks · 4 workloads · 2 policies". */
export function countsPhrase(detail: TenantDetail | undefined): string {
  if (!detail) return "counting…";
  const { networks, workloads, policies, services } = detail.used;
  const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
  return [
    plural(networks, "network"),
    plural(workloads, "workload"),
    plural(policies, "policy").replace("policys", "policies"),
    plural(services, "service"),
  ].join(" · ");
}
