import { randomUUID } from "node:crypto";
import pg from "pg";
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
}

export async function startWatch(options: WatchOptions): Promise<CrossControllerWatch> {
  const origin = randomUUID();
  let closed = false;
  let client: pg.Client | undefined;
  let reconnectTimer: NodeJS.Timeout | undefined;

  const listen = async (): Promise<void> => {
    if (!options.databaseUrl || closed) return;
    const next = new pg.Client({ connectionString: options.databaseUrl });
    next.on("notification", (message) => {
      if (message.channel !== CHANNEL || !message.payload) return;
      try {
        const parsed = JSON.parse(message.payload) as Partial<FabricChange> & { origin?: string };
        if (parsed.origin === origin) return;
        if (typeof parsed.fabricGeneration !== "number") return;
        options.onRemote({
          tenantId: typeof parsed.tenantId === "string" ? parsed.tenantId : null,
          fabricGeneration: parsed.fabricGeneration,
        });
      } catch {
        options.onRemote("full");
      }
    });
    next.on("error", () => {
      if (closed || client !== next) return;
      client = undefined;
      next.end().catch(() => undefined);
      resubscribe();
    });
    try {
      await next.connect();
      await next.query(`LISTEN ${CHANNEL}`);
    } catch (error) {
      next.end().catch(() => undefined);
      throw error;
    }
    client = next;
  };
  // Until the database takes the LISTEN again (a restart can take a while), try every second;
  // then catch up on anything committed while the listener was down.
  const resubscribe = (): void => {
    if (closed) return;
    reconnectTimer = setTimeout(() => {
      listen()
        .then(() => options.onRemote("full"))
        .catch(resubscribe);
    }, 1000);
  };
  await listen();

  const poller =
    options.pollMs > 0
      ? setInterval(() => {
          options.sql
            .query<{ generation: number }>('SELECT generation FROM "FabricState" WHERE id = 1')
            .then((rows) => {
              const generation = Number(rows[0]?.generation ?? 0);
              if (generation > options.knownGeneration()) options.onRemote("full");
            })
            .catch(() => undefined);
        }, options.pollMs)
      : undefined;
  poller?.unref();

  return {
    async publish(change) {
      if (!options.databaseUrl) return;
      await options.sql.query("SELECT pg_notify($1, $2)", [
        CHANNEL,
        JSON.stringify({ ...change, origin }),
      ]);
    },
    async close() {
      closed = true;
      if (poller) clearInterval(poller);
      if (reconnectTimer) clearTimeout(reconnectTimer);
      await client?.end().catch(() => undefined);
    },
  };
}
