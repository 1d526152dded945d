import {
  type ConvergenceView,
  convergenceState,
  convergenceSummary,
  describeBehind,
} from "../lib/convergence";

/**
 * Convergence as a badge, by the one definition: "converged", or "not converged" naming the
 * nodes behind. `long` spells out generation and node counts (the operator's fabric badge).
 */
export function ConvergenceBadge({
  convergence,
  long,
}: {
  convergence: ConvergenceView | undefined;
  long?: boolean;
}) {
  if (!convergence) return <span className="health health-unknown">status unknown</span>;
  const state = convergenceState(convergence);
  const text = long
    ? convergenceSummary(convergence)
    : convergence.converged
      ? "converged"
      : convergence.behind.length === 0
        ? "not converged: compiling"
        : `not converged: ${describeBehind(convergence.behind)}`;
  return (
    <span className={`health health-${state}`}>
      <span className="conv-dot" aria-hidden="true" /> {text}
    </span>
  );
}
