import { randomUUID } from "node:crypto";
import pg from "pg";
import { z } from "zod";
import { InFlight } from "../in-flight";
import type { SqlRunner } from "../migrate";
import type { FabricChange } from "./feed";

const CHANNEL = "netloom_fabric";

/**
 * How changes committed through other controllers reach this one. Controllers share nothing but
 * PostgreSQL: the committing controller NOTIFYs after its commit, the others LISTEN; a poll of
 * FabricState.generation catches anything a dropped listener connection missed.
 */
export interface CrossControllerWatch {
  /** Tells the other controllers about a change committed here. */
  publish(change: FabricChange): Promise<void>;
  close(): Promise<void>;
}

export interface WatchOptions {
  sql: SqlRunner;
  /** PostgreSQL URL for the LISTEN connection; absent: no listener (PGlite, or poll only). */
  databaseUrl?: string | undefined;
  /** Poll FabricState.generation this often; 0 disables polling. */
  pollMs: number;
  /** The highest generation this controller has seen or queued. */
  knownGeneration(): number;
  /** A change from another controller (`"full"` when only the generation is known). */
  onRemote(change: FabricChange | "full"): void;
  /** A failure of the listener or the poll: logged and counted by the caller. */
  onFailure(kind: string, error: unknown, context?: Record<string, unknown>): void;
}

/** A NOTIFY payload, as `publish` writes it. */
const payloadSchema = z.object({
  origin: z.string(),
  tenantId: z.string().nullable(),
  fabricGeneration: z.number(),
  tenantGeneration: z.number().optional(),
});

/** How long to wait before listening again after the listener connection failed. */
const RELISTEN_MS = 1000;

export async function startWatch(options: WatchOptions): Promise<CrossControllerWatch> {
  const origin = randomUUID();
  let closed = false;
  let client: pg.Client | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;
  /** A NOTIFY is in flight on the listener's connection. */
  let notifying = false;
  /** NOTIFYs and polls in flight: close waits for them (they use the store's pool). */
  const inFlight = new InFlight();

  const onNotification = (message: pg.Notification) => {
    if (message.channel !== CHANNEL || !message.payload) return;
    let value: unknown;
    try {
      value = JSON.parse(message.payload);
    } catch (error) {
      options.onFailure("notify-payload", error, { payload: message.payload });
      options.onRemote("full");
      return;
    }
    const parsed = payloadSchema.safeParse(value);
    if (!parsed.success) {
      options.onFailure("notify-payload", parsed.error, { payload: message.payload });
      options.onRemote("full");
      return;
    }
    if (parsed.data.origin === origin) return;
    const { tenantId, fabricGeneration, tenantGeneration } = parsed.data;
    options.onRemote({
      tenantId,
      fabricGeneration,
      ...(tenantGeneration !== undefined ? { tenantGeneration } : {}),
    });
  };

  /** Listens again after a failure, until it works or the watch closes; then catches up. */
  const relisten = () => {
    if (closed || reconnectTimer) return;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = undefined;
      listen().then(
        // Anything may have been missed while the listener was down.
        () => options.onRemote("full"),
        (error: unknown) => {
          options.onFailure("listen", error);
          relisten();
        },
      );
    }, RELISTEN_MS);
  };

  const listen = async (): Promise<void> => {
    if (!options.databaseUrl || closed) return;
    const next = new pg.Client({ connectionString: options.databaseUrl });
    next.on("notification", onNotification);
    next.on("error", (error) => {
      if (closed) return;
      options.onFailure("listen", error);
      if (client === next) client = undefined;
      next.end().catch((endError: unknown) => options.onFailure("listen-end", endError));
      relisten();
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      next.end().catch(() => {
        // Ending a client that never connected fails too; the connect error is the one reported.
      });
      throw error;
    }
    client = next;
  };
  await listen();

  // A generation ahead of this controller is only taken as missed once a whole poll period
  // passed without its NOTIFY: the writer raises FabricState and notifies at about the same
  // time, and a poll that beats the NOTIFY by a millisecond must not cost a full re-read and
  // recompile of the fabric.
  let aheadSeen = 0;
  const poller =
    options.pollMs > 0
      ? setInterval(() => {
          if (closed) return;
          void inFlight.track(poll());
        }, options.pollMs)
      : undefined;
  poller?.unref();

  function poll(): Promise<void> {
    return options.sql
      .query<{ generation: number }>('SELECT generation FROM "FabricState" WHERE id = 1')
      .then((rows) => {
        const generation = Number(rows[0]?.generation ?? 0);
        const known = options.knownGeneration();
        if (aheadSeen > known) {
          aheadSeen = 0;
          options.onRemote("full");
        } else {
          aheadSeen = generation > known ? generation : 0;
        }
      })
      .catch((error: unknown) => options.onFailure("poll", error));
  }

  return {
    publish(change) {
      if (!options.databaseUrl || closed) return Promise.resolve();
      return inFlight.track(notify(change));
    },
    async close() {
      closed = true;
      if (poller) clearInterval(poller);
      if (reconnectTimer) clearTimeout(reconnectTimer);
      await inFlight.drained();
      await client?.end().catch((error: unknown) => options.onFailure("listen-end", error));
    },
  };

  /** Tells the other controllers of a change committed here. */
  async function notify(change: FabricChange): Promise<void> {
    const params = [
      CHANNEL,
      JSON.stringify({
        origin,
        tenantId: change.tenantId,
        fabricGeneration: change.fabricGeneration,
        ...(change.tenantGeneration !== undefined
          ? { tenantGeneration: change.tenantGeneration }
          : {}),
      }),
    ];
    // On the listener's own connection when it is up: an idle pg client writes the query to
    // its socket within this call, before the caller goes on to compile the change (seconds
    // of synchronous work on a large fabric), so the other controllers start following at
    // once. A pool query would first wait for a checkout that only completes after it.
    // Only while it is idle: a pg client queues a second query behind the first (deprecated,
    // and no faster than the pool then).
    const listener = notifying ? undefined : client;
    if (listener) {
      notifying = true;
      try {
        await listener.query("SELECT pg_notify($1, $2)", params);
        return;
      } catch (error) {
        // The listener's connection is failing (its error handler re-listens): the pool next.
        options.onFailure("notify-listener", error);
      } finally {
        notifying = false;
      }
    }
    await options.sql.query("SELECT pg_notify($1, $2)", params);
  }
}
