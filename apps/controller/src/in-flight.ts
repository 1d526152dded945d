/**
 * Work in flight that nobody awaits (a background write, a notification), so that closing can
 * wait for it before the database closes under it.
 */
export class InFlight {
  private readonly pending = new Set<Promise<unknown>>();

  /** Counts `work` until it settles; answers it unchanged (its outcome stays its caller's). */
  track<T>(work: Promise<T>): Promise<T> {
    const settled = work.then(
      () => undefined,
      () => undefined,
    );
    this.pending.add(settled);
    void settled.then(() => this.pending.delete(settled));
    return work;
  }

  /** Resolves once everything tracked, including what is tracked meanwhile, has settled. */
  async drained(): Promise<void> {
    while (this.pending.size > 0) await Promise.all([...this.pending]);
  }
}
