import { flowClass, type ReachFlip, type Review, workloadsText } from "../lib/reachDelta";

/**
 * Who can reach whom after the change that could not before, and the reverse: the controller's
 * flips (workload classes and flow classes whose verdict changes). Null: no review was sent.
 */
export function ReachDelta({ reachability }: { reachability: Review["reachability"] | null }) {
  const flips = reachability?.flips ?? [];
  const opened = flips.filter((f) => f.after === "allow");
  const closed = flips.filter((f) => f.after === "deny");
  return (
    <section aria-labelledby="reach-delta-heading" className="reach-delta">
      <h3 id="reach-delta-heading">Reachability changes</h3>
      {reachability === null ? (
        <p className="muted small">The controller sent no reachability review for this plan.</p>
      ) : flips.length === 0 ? (
        <p className="small">No workload pair changes verdict: who reaches whom stays the same.</p>
      ) : (
        <>
          <p className="small">
            {reachability.flippedPairs} workload pair{reachability.flippedPairs === 1 ? "" : "s"}{" "}
            change verdict.
          </p>
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
          <li key={`${flip.from.join(",")}>${flip.to.join(",")}:${flowClass(flip)}`}>
            <strong>{workloadsText(flip.from)}</strong> → <strong>{workloadsText(flip.to)}</strong>{" "}
            {flowClass(flip)}: {flip.before} → {flip.after}
          </li>
        ))}
      </ul>
    </>
  );
}
