import type { Problem } from "@netloom/model";
import { type ReactNode, useId } from "react";

/**
 * A labelled control with its problem shown right under it. The control gets the label as its
 * accessible name and is described by (and marked invalid by) the problem message.
 */
export function Field({
  label,
  problem,
  hint,
  children,
}: {
  label: string;
  problem?: string | undefined;
  hint?: string;
  children: (props: {
    id: string;
    "aria-invalid": boolean;
    "aria-describedby": string | undefined;
  }) => ReactNode;
}) {
  const id = useId();
  const errorId = `${id}-error`;
  return (
    <div className={`field${problem ? " invalid" : ""}`}>
      <label htmlFor={id}>{label}</label>
      {children({
        id,
        "aria-invalid": Boolean(problem),
        "aria-describedby": problem ? errorId : undefined,
      })}
      {problem ? (
        <div className="field-error" id={errorId} role="alert">
          {problem}
        </div>
      ) : hint ? (
        <div className="field-hint">{hint}</div>
      ) : null}
    </div>
  );
}

/** The first problem at exactly `path`. */
export function problemAt(problems: readonly Problem[], path: string): string | undefined {
  return problems.find((p) => p.path === path)?.message;
}

/** Problems not at any of `shown` paths: they still need to be shown once, somewhere. */
export function unplacedProblems(
  problems: readonly Problem[],
  shown: readonly string[],
): Problem[] {
  return problems.filter((p) => !shown.includes(p.path));
}

export function ProblemList({ problems }: { problems: readonly Problem[] }) {
  if (problems.length === 0) return null;
  return (
    <ul className="problem-list" role="alert">
      {problems.map((p) => (
        <li key={`${p.path}:${p.message}`}>
          {p.path ? <code>{p.path}</code> : null} {p.message}
        </li>
      ))}
    </ul>
  );
}
