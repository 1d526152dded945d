import {
  type IntentFile,
  type Problem,
  type ValidationContext,
  validateIntent,
} from "@netloom/model";

/**
 * Spec section 3 on a whole candidate tenant, node references checked against the fabric, and
 * (spec 1.1) the fabric's external networks it may use and the outside space others declared.
 */
export function validateTenantIntent(
  intent: IntentFile,
  nodes: readonly string[],
  external: Omit<ValidationContext, "nodes"> = {},
): Problem[] {
  return validateIntent(intent, { ...external, nodes: new Set(nodes) });
}
