import type { Problem } from "@netloom/model";
import { type ReactNode, useState } from "react";
import { moveItem } from "../draft/ops";
import { problemAt } from "../ui/Field";

/** One editable column of a rule table. */
export interface RuleColumn<R> {
  key: string;
  label: string;
  /** Drawn on the rule's second line, with its label as a caption (keeps tables narrow). */
  second?: boolean;
  /** Renders the cell's control; `label` is its accessible name, `problem` its error if any. */
  cell: (args: {
    rule: R;
    index: number;
    update: (next: R) => void;
    label: string;
    problem: string | undefined;
    readOnly: boolean;
  }) => ReactNode;
}

/**
 * An ordered rule list (first match wins): rows reorder by dragging their handle (or with the
 * move buttons, for keyboards), each cell shows its own problem. `pathPrefix` is where the
 * rules sit in the object (`rules`), so `rules[2].ports` lands under row 3's ports cell.
 */
export function RuleTable<R>({
  caption,
  rules,
  columns,
  onChange,
  newRule,
  problems,
  pathPrefix = "rules",
  readOnly,
  hits,
}: {
  caption: string;
  rules: readonly R[];
  columns: RuleColumn<R>[];
  onChange: (rules: R[]) => void;
  newRule: () => R;
  problems: readonly Problem[];
  pathPrefix?: string;
  readOnly: boolean;
  /** Hit count per row index, where the fabric reports them. */
  hits?: (index: number) => number | undefined;
}) {
  const [dragging, setDragging] = useState<number | null>(null);
  const [over, setOver] = useState<number | null>(null);
  const update = (index: number, next: R) => {
    const copy = [...rules];
    copy[index] = next;
    onChange(copy);
  };
  const primary = columns.filter((c) => !c.second);
  const secondary = columns.filter((c) => c.second);
  const span = secondary.length > 0 ? 2 : 1;
  const cell = (column: RuleColumn<R>, rule: R, index: number) =>
    column.cell({
      rule,
      index,
      update: (next) => update(index, next),
      label: `Rule ${index + 1} ${column.label}`,
      problem: problemAt(problems, `${pathPrefix}[${index}].${column.key}`),
      readOnly,
    });
  return (
    <div className="rule-table-wrap">
      <table className="rule-table" aria-label={caption}>
        <thead>
          <tr>
            <th scope="col" className="narrow">
              #
            </th>
            {primary.map((c) => (
              <th scope="col" key={c.key}>
                {c.label}
              </th>
            ))}
            {hits ? (
              <th scope="col" className="narrow" title="packets matched, as reported by the fabric">
                hits
              </th>
            ) : null}
            {readOnly ? null : <th scope="col" className="narrow" aria-label="actions" />}
          </tr>
        </thead>
        {rules.map((rule, index) => {
          const rowProblem = problemAt(problems, `${pathPrefix}[${index}]`);
          return (
            <tbody
              // biome-ignore lint/suspicious/noArrayIndexKey: rules have no identity but their position
              key={index}
              className={`rule${dragging === index ? " dragging" : ""}${over === index ? " drop-over" : ""}${rowProblem ? " invalid" : ""}`}
              onDragOver={(event) => {
                if (dragging === null) return;
                event.preventDefault();
                setOver(index);
              }}
              onDrop={(event) => {
                event.preventDefault();
                if (dragging !== null && dragging !== index) {
                  onChange(moveItem(rules, dragging, index));
                }
                setDragging(null);
                setOver(null);
              }}
            >
              <tr>
                <td className="narrow" rowSpan={span}>
                  {readOnly ? (
                    index + 1
                  ) : (
                    <button
                      type="button"
                      className="drag-handle"
                      draggable
                      aria-label={`Reorder rule ${index + 1}`}
                      title="Drag to reorder, or use the arrow keys (first match wins)"
                      onDragStart={(event) => {
                        event.dataTransfer.setData("text/plain", String(index));
                        event.dataTransfer.effectAllowed = "move";
                        setDragging(index);
                      }}
                      onDragEnd={() => {
                        setDragging(null);
                        setOver(null);
                      }}
                      onKeyDown={(event) => {
                        if (event.key === "ArrowUp" && index > 0) {
                          event.preventDefault();
                          onChange(moveItem(rules, index, index - 1));
                        } else if (event.key === "ArrowDown" && index < rules.length - 1) {
                          event.preventDefault();
                          onChange(moveItem(rules, index, index + 1));
                        }
                      }}
                    >
                      ⋮⋮ {index + 1}
                    </button>
                  )}
                </td>
                {primary.map((column) => (
                  <td key={column.key}>{cell(column, rule, index)}</td>
                ))}
                {hits ? (
                  <td className="narrow num" rowSpan={span}>
                    {hits(index) ?? "–"}
                  </td>
                ) : null}
                {readOnly ? null : (
                  <td className="narrow" rowSpan={span}>
                    <button
                      type="button"
                      className="icon-button"
                      aria-label={`Remove rule ${index + 1}`}
                      onClick={() => onChange(rules.filter((_, i) => i !== index))}
                    >
                      ×
                    </button>
                  </td>
                )}
              </tr>
              {secondary.length > 0 ? (
                <tr className="second-line">
                  <td colSpan={primary.length}>
                    <div className="second-cells">
                      {secondary.map((column) => (
                        <div key={column.key} className="second-cell">
                          <span className="caption" aria-hidden="true">
                            {column.label}
                          </span>
                          {cell(column, rule, index)}
                        </div>
                      ))}
                    </div>
                  </td>
                </tr>
              ) : null}
            </tbody>
          );
        })}
      </table>
      {rules.length === 0 ? (
        <p className="muted small">No rules: nothing matches, so traffic is denied.</p>
      ) : null}
      {problems
        .filter((p) => /^\w+\[\d+\]$/.test(p.path) && p.path.startsWith(pathPrefix))
        .map((p) => (
          <div key={p.path + p.message} className="field-error" role="alert">
            {p.path}: {p.message}
          </div>
        ))}
      {readOnly ? null : (
        <button
          type="button"
          className="small-button"
          onClick={() => onChange([...rules, newRule()])}
        >
          + Add rule
        </button>
      )}
    </div>
  );
}

/** A cell control: text input with its problem under it. */
export function TextCell({
  value,
  onChange,
  label,
  problem,
  readOnly,
  placeholder,
  width,
}: {
  value: string;
  onChange: (value: string) => void;
  label: string;
  problem: string | undefined;
  readOnly: boolean;
  placeholder?: string;
  width?: number;
}) {
  return (
    <Cell problem={problem}>
      <input
        aria-label={label}
        value={value}
        placeholder={placeholder}
        readOnly={readOnly}
        aria-invalid={Boolean(problem)}
        style={width ? { width } : undefined}
        onChange={(event) => onChange(event.target.value)}
      />
    </Cell>
  );
}

export function SelectCell<T extends string>({
  value,
  options,
  onChange,
  label,
  problem,
  readOnly,
}: {
  value: T;
  options: readonly T[];
  onChange: (value: T) => void;
  label: string;
  problem: string | undefined;
  readOnly: boolean;
}) {
  return (
    <Cell problem={problem}>
      <select
        aria-label={label}
        value={value}
        disabled={readOnly}
        aria-invalid={Boolean(problem)}
        onChange={(event) => onChange(event.target.value as T)}
      >
        {options.map((o) => (
          <option key={o} value={o}>
            {o}
          </option>
        ))}
      </select>
    </Cell>
  );
}

/** A table cell holding one control, with the control's problem under it. */
function Cell({ problem, children }: { problem: string | undefined; children: ReactNode }) {
  return (
    <div className={`cell${problem ? " invalid" : ""}`}>
      {children}
      {problem ? (
        <div className="field-error" role="alert">
          {problem}
        </div>
      ) : null}
    </div>
  );
}

/** Ports as typed: a number stays a number (the file form), anything else a string. */
export function parsePortsInput(text: string): number | string | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  return /^\d+$/.test(trimmed) ? Number(trimmed) : trimmed;
}
