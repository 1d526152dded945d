import type { CompileInput } from "@netloom/compiler";
import type { Problem } from "@netloom/model";

/** Checks a tenant's stored assertions against a candidate compile input. */
export interface AssertionChecker {
  /** The assertions of `tenant` that the candidate breaks, as problems (`assertions[i]`). */
  check(input: CompileInput, tenant: string): Problem[];
}
