import { logStoreError } from "../db";
import type { SqlRunner } from "../migrate";
import { RAISE_FABRIC_SQL } from "./sql";

/**
 * Records committed fabric generations in FabricState outside the changes' transactions,
 * coalesced: one write in flight at a time, always to the highest generation seen. Keeps the
 * hot row out of every transaction (its lock would serialize all commits behind one fsync each).
 */
export class FabricStateWriter {
  private raising: Promise<void> | null = null;
  private raiseTo = 0;

  constructor(private readonly sql: SqlRunner) {}

  /** Raises FabricState to at least `generation`, in the background. */
  raise(generation: number): void {
    this.raiseTo = Math.max(this.raiseTo, generation);
    if (this.raising) return;
    this.raising = (async () => {
      let written = 0;
      while (written < this.raiseTo) {
        const target = this.raiseTo;
        await this.sql.query(RAISE_FABRIC_SQL, [target]).catch((error: unknown) => {
          // The sequence stays ahead; the next open (reloadFabric) raises the row from it.
          logStoreError(error, `raising FabricState to ${target}`);
        });
        written = target;
      }
    })().finally(() => {
      this.raising = null;
    });
  }

  /** Resolves once FabricState holds every generation raised so far. */
  async flush(): Promise<void> {
    while (this.raising) await this.raising;
  }
}
