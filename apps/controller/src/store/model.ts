import { type IntentFile, type Problem, validateIntent } from "@netloom/model";

/** Spec section 3 on a whole candidate tenant, node references checked against the fabric. */
export function validateTenantIntent(intent: IntentFile, nodes: readonly string[]): Problem[] {
  return validateIntent(intent, { nodes: new Set(nodes) });
}
