/**
 * A value computed on the server and pushed to every subscriber when it changes: the subscriber
 * gets the current value at once, then each new one. It is computed again when a wake source
 * fires (a committed change, a re-read fabric, ...) and every `intervalMs` for what changes
 * without an event (a BGP session going down), but only while someone subscribes, and once per
 * wake however many subscribers there are: a hundred operator views cost one computation.
 */
export interface LiveValueOptions<T> {
  compute: () => Promise<T> | T;
  /** Each registers `poke` and answers its unregister. */
  wakeOn: ReadonlyArray<(poke: () => void) => () => void>;
  /** 0: only the wake sources recompute. */
  intervalMs: number;
  /** What counts as a change; by default the JSON text (a value that ticks, such as an uptime,
   * can be left out here so it does not push every second). */
  fingerprint?: (value: T) => string;
  /** A failed computation keeps the last value and is reported here (log it with context). */
  onError: (error: unknown) => void;
}

export class LiveValue<T> {
  private latest: { value: T; version: number } | undefined;
  private readonly subscribers = new Set<() => void>();
  private stopSources: Array<() => void> = [];
  private timer: ReturnType<typeof setInterval> | undefined;
  private running: Promise<void> | undefined;
  private rerun = false;
  private lastFingerprint = "";

  constructor(private readonly options: LiveValueOptions<T>) {}

  /** The value now, then each change, until `signal` aborts. */
  async *iterate(signal?: AbortSignal): AsyncGenerator<T> {
    let wake: (() => void) | undefined;
    const notify = () => wake?.();
    this.join(notify);
    signal?.addEventListener("abort", notify);
    let seen = -1;
    try {
      while (!signal?.aborted) {
        const latest = this.latest;
        if (latest && latest.version !== seen) {
          seen = latest.version;
          yield latest.value;
          continue;
        }
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
      }
    } finally {
      signal?.removeEventListener("abort", notify);
      this.leave(notify);
    }
  }

  private join(notify: () => void): void {
    this.subscribers.add(notify);
    if (this.subscribers.size > 1) return;
    const poke = () => this.refresh();
    this.stopSources = this.options.wakeOn.map((source) => source(poke));
    if (this.options.intervalMs > 0) this.timer = setInterval(poke, this.options.intervalMs);
    this.refresh();
  }

  private leave(notify: () => void): void {
    this.subscribers.delete(notify);
    if (this.subscribers.size > 0) return;
    for (const stop of this.stopSources) stop();
    this.stopSources = [];
    clearInterval(this.timer);
    this.timer = undefined;
    // Nobody watches: the next subscriber must not be handed a value that went stale meanwhile.
    this.latest = undefined;
    this.lastFingerprint = "";
  }

  /** Computes again; wakes that arrive meanwhile fold into one more computation. */
  private refresh(): void {
    if (this.running) {
      this.rerun = true;
      return;
    }
    this.running = this.computeOnce().finally(() => {
      this.running = undefined;
      if (this.rerun && this.subscribers.size > 0) {
        this.rerun = false;
        this.refresh();
      }
    });
  }

  private async computeOnce(): Promise<void> {
    try {
      const value = await this.options.compute();
      if (this.subscribers.size === 0) return;
      const fingerprint = (this.options.fingerprint ?? JSON.stringify)(value);
      if (this.latest && fingerprint === this.lastFingerprint) return;
      this.lastFingerprint = fingerprint;
      this.latest = { value, version: (this.latest?.version ?? 0) + 1 };
      for (const notify of this.subscribers) notify();
    } catch (error) {
      this.options.onError(error);
    }
  }
}
