import type { RouterOutputs } from "@netloom/controller/types";
import { useQuery } from "@tanstack/react-query";
import { kindLabel } from "../draft/ops";
import { draftStore, isDirty, useDraft } from "../draft/store";
import { useTRPC } from "../trpc";

type AuditEvent = RouterOutputs["intent"]["history"]["events"][number];

/**
 * The audit log, newest first. Restoring an earlier generation opens its review (the controller's
 * dry-run restore: plan, field diff, reachability delta), where it is confirmed explicitly.
 */
export function HistoryPanel({
  tenant,
  readOnly,
  onReview,
}: {
  tenant: string;
  readOnly: boolean;
  /** Opens the review, where a restore is planned and confirmed like any change. */
  onReview: () => void;
}) {
  const trpc = useTRPC();
  const dirty = useDraft(isDirty);
  const generation = useDraft((s) => s.baseGeneration);
  // Refetched by the `intent.changes` subscription (useTenantDocument) after every commit.
  const history = useQuery(trpc.intent.history.queryOptions({ tenant, limit: 200 }));
  const events = history.data?.events ?? [];
  const generations = [...new Set(events.map((e) => e.generation))];
  return (
    <div className="history">
      <h2>History</h2>
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
                  disabled={dirty}
                  title={dirty ? "Apply or discard the draft first" : undefined}
                  onClick={() => {
                    draftStore.reviewRestore(g);
                    onReview();
                  }}
                >
                  Review restore of generation {g}
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
