import type { RouterOutputs } from "@netloom/controller/types";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { kindLabel } from "../draft/ops";
import { useDraft } from "../draft/store";
import { failureOf } from "../errors";
import { useTRPC } from "../trpc";

type AuditEvent = RouterOutputs["intent"]["history"]["events"][number];

/** The audit log, newest first, and restoring the intent of an earlier generation. */
export function HistoryPanel({ tenant, readOnly }: { tenant: string; readOnly: boolean }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const generation = useDraft((s) => s.baseGeneration);
  // Refetched by the `intent.changes` subscription (useTenantDocument) after every commit.
  const history = useQuery(trpc.intent.history.queryOptions({ tenant, limit: 200 }));
  const restore = useMutation(trpc.intent.restore.mutationOptions());
  const [message, setMessage] = useState<string | null>(null);
  const events = history.data?.events ?? [];
  const generations = [...new Set(events.map((e) => e.generation))];
  return (
    <div className="history">
      <h2>History</h2>
      {message ? (
        <div className="applied-note" role="status">
          {message}
        </div>
      ) : null}
      {history.isPending ? <p className="muted">Loading…</p> : null}
      {history.error ? (
        <div className="field-error" role="alert">
          {history.error.message}
        </div>
      ) : null}
      <ol className="generations">
        {generations.map((g) => (
          <li key={g}>
            <div className="gen-head">
              <strong>Generation {g}</strong>
              {g === generation ? <span className="tag">current</span> : null}
              <span className="muted small">
                {formatTime(events.find((e) => e.generation === g)?.at)}
              </span>
              <span className="grow" />
              {readOnly || g === generation ? null : (
                <button
                  type="button"
                  className="small-button"
                  aria-label={`Restore generation ${g}`}
                  disabled={restore.isPending}
                  onClick={async () => {
                    try {
                      const result = await restore.mutateAsync({ tenant, generation: g });
                      setMessage(`Restored generation ${g} as generation ${result.generation}.`);
                      await queryClient.invalidateQueries({
                        queryKey: trpc.intent.export.queryKey({ tenant }),
                      });
                    } catch (error) {
                      setMessage(`Restore refused: ${failureOf(error).message}`);
                    }
                  }}
                >
                  Restore
                </button>
              )}
            </div>
            <ul className="events">
              {events
                .filter((e) => e.generation === g)
                .map((e) => (
                  <EventRow key={e.id} event={e} />
                ))}
            </ul>
          </li>
        ))}
      </ol>
    </div>
  );
}

function EventRow({ event }: { event: AuditEvent }) {
  return (
    <li className={`event change-${event.action}`}>
      <span className="event-action">{event.action}</span> {kindLabel(event.kind)}{" "}
      <strong>{event.name}</strong> <span className="muted small">by {event.actor}</span>
    </li>
  );
}

function formatTime(at: string | undefined): string {
  if (!at) return "";
  const date = new Date(at);
  return date.toLocaleString(undefined, { dateStyle: "short", timeStyle: "medium" });
}
