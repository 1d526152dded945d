import { flowClass, type ReachFlip } from "../lib/reachDelta";

/**
 * Who can reach whom after the change, that could not before, and the reverse: the pairs and
 * flow classes whose verdict flips. Null flips: the controller sent no delta.
 */
export function ReachDelta({ flips }: { flips: readonly ReachFlip[] | null }) {
  const opened = flips?.filter((f) => f.after === "allow") ?? [];
  const closed = flips?.filter((f) => f.after === "deny") ?? [];
  return (
    <section aria-labelledby="reach-delta-heading" className="reach-delta">
      <h3 id="reach-delta-heading">Reachability changes</h3>
      {flips === null ? (
        <p className="muted small">This controller does not report reachability changes.</p>
      ) : flips.length === 0 ? (
        <p className="small">No workload pair changes verdict: who reaches whom stays the same.</p>
      ) : (
        <>
          <FlipList title={`Newly denied (${closed.length})`} flips={closed} kind="deny" />
          <FlipList title={`Newly allowed (${opened.length})`} flips={opened} kind="allow" />
        </>
      )}
    </section>
  );
}

function FlipList({
  title,
  flips,
  kind,
}: {
  title: string;
  flips: readonly ReachFlip[];
  kind: "allow" | "deny";
}) {
  if (flips.length === 0) return null;
  return (
    <>
      <h4 className={kind === "deny" ? "bad" : "ok"}>{title}</h4>
      <ul className={`flips flips-${kind}`} aria-label={title}>
        {flips.map((flip) => (
          <li key={`${flip.from}>${flip.to}:${flowClass(flip)}`}>
            <strong>{flip.from}</strong> → <strong>{flip.to}</strong> {flowClass(flip)}:{" "}
            {flip.before} → {flip.after}
          </li>
        ))}
      </ul>
    </>
  );
}
