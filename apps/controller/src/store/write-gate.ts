import { NetloomError } from "@netloom/model";
import { InFlight } from "../in-flight";

/**
 * The store's writes in flight, so that closing can stop accepting new ones and wait for the
 * rest before the database closes under them (a commit finishing after the pool ended would
 * fail half-written, or write FabricState into a closed pool).
 */
export class WriteGate {
  private closed = false;
  private readonly inFlight = new InFlight();

  /** Runs a write; UNAVAILABLE once closing began (the client retries on another controller). */
  run<T>(write: () => Promise<T>): Promise<T> {
    if (this.closed) {
      return Promise.reject(
        new NetloomError("UNAVAILABLE", "the controller is shutting down; retry shortly"),
      );
    }
    return this.inFlight.track(write());
  }

  /** Counts a background write (one nobody awaits) as in flight until it settles. */
  track(write: Promise<unknown>): void {
    void this.inFlight.track(write);
  }

  /** Refuses new writes from now on; resolves once every write in flight has settled. */
  async close(): Promise<void> {
    this.closed = true;
    await this.inFlight.drained();
  }
}
