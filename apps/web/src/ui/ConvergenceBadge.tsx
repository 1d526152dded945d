import {
  describeBehind,
  type FabricConvergence,
  fabricState,
  fabricSummary,
} from "../lib/convergence";

/**
 * Convergence as a badge, by the one definition: "converged", or "not converged" naming the
 * nodes behind. `long` spells out generation and node counts (the operator's fabric badge).
 */
export function ConvergenceBadge({
  convergence,
  long,
}: {
  convergence: FabricConvergence | undefined;
  long?: boolean;
}) {
  if (!convergence) return <span className="health health-unknown">status unknown</span>;
  const state = fabricState(convergence);
  const text = long
    ? fabricSummary(convergence)
    : convergence.nodes === 0
      ? "no nodes"
      : convergence.converged
        ? "converged"
        : `not converged: ${describeBehind(convergence.behind)}`;
  return (
    <span className={`health health-${state}`}>
      <span className="conv-dot" aria-hidden="true" /> {text}
    </span>
  );
}
