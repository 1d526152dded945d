/** One open subscription stream: whose, by which credential, and how to end it. */
interface OpenStream {
  userId: string;
  credential: string | undefined;
  controller: AbortController;
}

/**
 * Open subscription streams by user and credential, so that a revocation ends them at once:
 * a role change ends every stream of the user (they reconnect and are authorized afresh), a
 * logout or token deletion ends the streams that credential opened.
 */
export class StreamRegistry {
  private readonly open = new Set<OpenStream>();

  /** Registers a stream; its signal aborts on revocation. `release` when the stream ends. */
  register(
    userId: string,
    credential: string | undefined,
  ): {
    signal: AbortSignal;
    release: () => void;
  } {
    const stream: OpenStream = { userId, credential, controller: new AbortController() };
    this.open.add(stream);
    return { signal: stream.controller.signal, release: () => this.open.delete(stream) };
  }

  /** Ends every open stream of the user. */
  endUser(userId: string, reason: string): number {
    return this.end((stream) => stream.userId === userId, reason);
  }

  /** Ends every open stream opened with the credential. */
  endCredential(credential: string, reason: string): number {
    return this.end((stream) => stream.credential === credential, reason);
  }

  /** Open streams (metrics, tests). */
  get size(): number {
    return this.open.size;
  }

  private end(matches: (stream: OpenStream) => boolean, reason: string): number {
    let ended = 0;
    for (const stream of this.open) {
      if (!matches(stream)) continue;
      this.open.delete(stream);
      stream.controller.abort(new Error(reason));
      ended += 1;
    }
    return ended;
  }
}

/**
 * Yields `source` until `signal` aborts, then stops at once, even while the source is waiting
 * for its next value (its `return` is requested without waiting for it).
 */
export async function* untilAborted<T>(
  source: AsyncIterable<T>,
  signal: AbortSignal,
  hooks: { onEnd: () => void; onCleanupError: (error: unknown) => void },
): AsyncGenerator<T> {
  const iterator = source[Symbol.asyncIterator]();
  const aborted = new Promise<{ done: true; value: undefined }>((resolve) => {
    if (signal.aborted) resolve({ done: true, value: undefined });
    signal.addEventListener("abort", () => resolve({ done: true, value: undefined }), {
      once: true,
    });
  });
  try {
    while (!signal.aborted) {
      const next = await Promise.race([iterator.next(), aborted]);
      if (next.done) return;
      yield next.value;
    }
  } finally {
    hooks.onEnd();
    // The source may be parked on an event that never comes: do not wait for its cleanup.
    iterator.return?.()?.catch(hooks.onCleanupError);
  }
}
