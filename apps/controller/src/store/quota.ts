import { type IntentFile, NetloomError, type Problem } from "@netloom/model";
import { DEFAULT_QUOTAS, type Quotas, type TenantState } from "./types";

/** The quota figures an intent uses. */
export function usageOf(intent: IntentFile): Quotas {
  let rules = 0;
  for (const group of intent.securityGroups ?? []) rules += group.rules.length;
  for (const policy of intent.policies ?? []) rules += policy.rules.length;
  for (const service of intent.services ?? []) {
    if (service.type === "firewall") rules += service.rules.length;
  }
  let floatingIps = 0;
  for (const workload of intent.workloads ?? []) {
    for (const iface of workload.interfaces) if (iface.floatingIp) floatingIps++;
  }
  return {
    networks: intent.networks?.length ?? 0,
    workloads: intent.workloads?.length ?? 0,
    securityGroups: intent.securityGroups?.length ?? 0,
    policies: intent.policies?.length ?? 0,
    services: intent.services?.length ?? 0,
    routers: intent.routers?.length ?? 0,
    floatingIpPools: intent.floatingIpPools?.length ?? 0,
    assertions: intent.assertions?.length ?? 0,
    rules,
    floatingIps,
  };
}

/** The tenant's effective quotas: defaults overridden by what the cloud admin set. */
export function effectiveQuotas(state: Pick<TenantState, "quotas">): Quotas {
  return { ...DEFAULT_QUOTAS, ...state.quotas };
}

/**
 * QUOTA_EXCEEDED for every figure above its quota that this change makes grow (a quota lowered
 * below what a tenant already uses does not block changes that do not add to it).
 */
export function checkQuotas(before: IntentFile, after: IntentFile, quotas: Quotas): void {
  const used = usageOf(after);
  const had = usageOf(before);
  const problems: Problem[] = [];
  for (const key of Object.keys(quotas) as (keyof Quotas)[]) {
    if (used[key] > quotas[key] && used[key] > had[key]) {
      const kindPath = key === "rules" || key === "floatingIps" ? key : `${key}[${quotas[key]}]`;
      problems.push({
        path: kindPath,
        message: `quota exceeded: ${used[key]} ${key}, the tenant's quota is ${quotas[key]}`,
      });
    }
  }
  if (problems.length > 0) {
    throw new NetloomError(
      "QUOTA_EXCEEDED",
      problems.map((p) => `${p.path}: ${p.message}`).join("\n"),
      problems,
    );
  }
}
