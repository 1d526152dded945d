import { EventEmitter, on } from "node:events";

/** A committed change: the tenant's new generation and the fabric's (null tenant: fabric-only). */
export interface ChangedEvent {
  tenantId: string | null;
  tenant: string | null;
  generation: number;
  fabricGeneration: number;
}

interface EventMap {
  changed: [ChangedEvent];
}

/**
 * The controller's in-process events. The store emits `changed` after each commit; the
 * distribution layer and subscriptions listen. Typed wrapper over node's EventEmitter.
 */
export class ControllerEvents {
  private readonly emitter = new EventEmitter();

  constructor() {
    // Every open SSE subscription is a listener; there is no fixed bound.
    this.emitter.setMaxListeners(0);
  }

  emit<K extends keyof EventMap>(event: K, ...args: EventMap[K]): void {
    this.emitter.emit(event, ...args);
  }

  on<K extends keyof EventMap>(event: K, listener: (...args: EventMap[K]) => void): () => void {
    this.emitter.on(event, listener as (...args: unknown[]) => void);
    return () => this.emitter.off(event, listener as (...args: unknown[]) => void);
  }

  /** Async iteration over events until `signal` aborts (tRPC SSE subscriptions). */
  async *iterate<K extends keyof EventMap>(
    event: K,
    signal?: AbortSignal,
  ): AsyncGenerator<EventMap[K][0]> {
    for await (const args of on(this.emitter, event, signal ? { signal } : {})) {
      yield (args as EventMap[K])[0];
    }
  }
}
