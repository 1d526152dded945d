import type { Problem } from "@netloom/model";
import type { HTMLAttributes, ReactNode } from "react";
import { Field } from "../ui/Field";

/**
 * A labelled text input (the label is its accessible name) with its problem under it. In the
 * inspector it edits the draft in place, so `readOnly` keeps it selectable but fixed.
 */
export function TextField({
  label,
  problem,
  hint,
  value,
  onChange,
  placeholder,
  readOnly,
  type,
  inputMode,
}: {
  label: string;
  problem: string | undefined;
  hint?: string;
  value: string | number;
  onChange: (value: string) => void;
  placeholder?: string;
  readOnly?: boolean;
  type?: "number";
  inputMode?: HTMLAttributes<HTMLInputElement>["inputMode"];
}) {
  return (
    <Field label={label} problem={problem} hint={hint}>
      {(props) => (
        <input
          {...props}
          type={type}
          value={value}
          placeholder={placeholder}
          inputMode={inputMode}
          readOnly={readOnly}
          onChange={(e) => onChange(e.target.value)}
        />
      )}
    </Field>
  );
}

/**
 * A labelled select over names, each option showing its value. `emptyOption` adds a first
 * option with the value "" (meaning none, or explaining why there is nothing to pick).
 */
export function SelectField({
  label,
  problem,
  hint,
  value,
  options,
  onChange,
  emptyOption,
  disabled,
}: {
  label: string;
  problem: string | undefined;
  hint?: string | undefined;
  value: string;
  options: readonly string[];
  onChange: (value: string) => void;
  emptyOption?: string | undefined;
  disabled?: boolean;
}) {
  return (
    <Field label={label} problem={problem} hint={hint}>
      {(props) => (
        <select
          {...props}
          value={value}
          disabled={disabled}
          onChange={(e) => onChange(e.target.value)}
        >
          {emptyOption === undefined ? null : <option value="">{emptyOption}</option>}
          {options.map((option) => (
            <option key={option} value={option}>
              {option}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** The options of a select editing an existing value: the current one stays pickable. */
export function withCurrent(current: string | undefined, options: readonly string[]): string[] {
  return [...new Set([...(current === undefined ? [] : [current]), ...options])];
}

/** The layer-4 protocol of a load balancer: anything but "udp" is "tcp". */
export function ProtocolField({
  problem,
  value,
  onChange,
  disabled,
}: {
  problem: string | undefined;
  value: "tcp" | "udp";
  onChange: (value: "tcp" | "udp") => void;
  disabled?: boolean;
}) {
  return (
    <SelectField
      label="Protocol"
      problem={problem}
      value={value}
      options={["tcp", "udp"]}
      disabled={disabled}
      onChange={(next) => onChange(next === "udp" ? "udp" : "tcp")}
    />
  );
}

/** A fieldset of checkboxes picking some of `options`, with one problem for the whole set. */
export function Checklist({
  legend,
  options,
  selected,
  onChange,
  problem,
  emptyText,
  readOnly,
}: {
  legend: ReactNode;
  options: readonly string[];
  selected: readonly string[];
  onChange: (next: string[]) => void;
  problem: string | undefined;
  /** Shown when there is nothing to pick. */
  emptyText: string;
  readOnly?: boolean;
}) {
  return (
    <fieldset className={`checklist${problem ? " invalid" : ""}`}>
      <legend>{legend}</legend>
      {options.length === 0 ? <span className="muted small">{emptyText}</span> : null}
      {options.map((option) => (
        <label key={option} className="check">
          <input
            type="checkbox"
            checked={selected.includes(option)}
            disabled={readOnly}
            onChange={(e) =>
              onChange(
                e.target.checked ? [...selected, option] : selected.filter((s) => s !== option),
              )
            }
          />
          {option}
        </label>
      ))}
      {problem ? (
        <div className="field-error" role="alert">
          {problem}
        </div>
      ) : null}
    </fieldset>
  );
}

/**
 * The problem for a field holding a list or object: the one at `path` itself, else the first
 * one inside it (`members[2]`).
 */
export function problemWithin(problems: readonly Problem[], path: string): string | undefined {
  return (
    problems.find((p) => p.path === path)?.message ??
    problems.find((p) => p.path.startsWith(`${path}[`))?.message
  );
}
