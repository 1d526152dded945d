import { failureOf } from "../errors";
import type { TrpcClient } from "../trpc";
import type { Position } from "./layered";

/**
 * The tenant's layout document on the controller (router/layout.ts): one picture shared by
 * every user of the tenant. Moves are merged by node id and sent in small batches; an
 * auto-layout replaces the document. Read-only users load it and never write.
 */
export interface LayoutSync {
  load(): Promise<Record<string, Position>>;
  /** Queues moved nodes; sent together shortly after the last one. */
  move(positions: Record<string, Position>): void;
  /** Replaces the whole document (auto-layout, undo of one). */
  replace(positions: Record<string, Position>): void;
}

const BATCH_MS = 250;

export function createLayoutSync(
  client: TrpcClient,
  tenant: string,
  writable: boolean,
  onError: (message: string | null) => void,
): LayoutSync {
  let pending: Record<string, Position> = {};
  let timer: ReturnType<typeof setTimeout> | undefined;
  // Saves go out one at a time and in order, so a replace is never overtaken by an older move.
  let chain: Promise<void> = Promise.resolve();
  const send = (positions: Record<string, Position>, replace: boolean) => {
    chain = chain
      .then(() => client.layout.save.mutate({ tenant, positions, replace }))
      .then(
        () => onError(null),
        (error: unknown) => {
          const failure = failureOf(error);
          console.error(`saving the layout of ${tenant} failed`, failure);
          onError(`Layout not saved: ${failure.message}`);
        },
      );
  };
  const flush = () => {
    timer = undefined;
    const batch = pending;
    pending = {};
    if (Object.keys(batch).length > 0) send(batch, false);
  };
  return {
    async load() {
      const document = await client.layout.get.query({ tenant });
      return document.positions;
    },
    move(positions) {
      if (!writable) return;
      Object.assign(pending, positions);
      clearTimeout(timer);
      timer = setTimeout(flush, BATCH_MS);
    },
    replace(positions) {
      if (!writable) return;
      clearTimeout(timer);
      pending = {};
      send(positions, true);
    },
  };
}
