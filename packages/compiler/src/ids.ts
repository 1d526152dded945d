import { shortId } from "./hash";

/** Port id of an interface: from the tenant id (never a name alone), workload and index. */
export function portIdOf(tenantId: string, workload: string, index: number): string {
  return shortId(`port:${tenantId}/${workload}/${index}`, 11);
}

/** Short tenant key for device names. */
export function tenantKeyOf(tenantId: string): string {
  return shortId(`tenant:${tenantId}`, 6);
}
