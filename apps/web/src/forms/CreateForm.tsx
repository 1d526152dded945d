import type { IntentFile, Problem, ResourceSpecs } from "@netloom/model";
import { type ReactNode, useState } from "react";
import { addObject, listOf } from "../draft/ops";
import { pathOf, problemsUnder } from "../errors";
import { Dialog } from "../ui/Dialog";
import { ProblemList } from "../ui/Field";
import { type FormKind, KIND_FORMS } from "./kinds";

/**
 * Checks a whole candidate document with the controller (a dry run); resolves to the problems,
 * empty when it would be accepted. Supplied by the workspace (the one place that calls the API).
 */
export type ValidateDocument = (doc: IntentFile) => Promise<Problem[]>;

/** Props every create dialog takes. */
export interface CreateProps {
  doc: IntentFile;
  validate: ValidateDocument;
  onDone: (doc: IntentFile, name: string) => void;
  onCancel: () => void;
}

/**
 * Parses `value` with the kind's zod schema (the one the procedure uses, forms/kinds.ts), then
 * asks the controller about the document with the object added. Problems come back relative to
 * the object (`subnets[0].cidr`) so the form shows each by its field.
 */
export async function checkNewObject<K extends FormKind>(
  doc: IntentFile,
  kind: K,
  value: unknown,
  validate: ValidateDocument,
  extra?: (candidate: IntentFile) => IntentFile,
): Promise<
  { ok: true; doc: IntentFile; object: ResourceSpecs[K] } | { ok: false; problems: Problem[] }
> {
  const parsed = KIND_FORMS[kind].schema.safeParse(value);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => ({
        path: pathOf(issue.path),
        message: issue.message,
      })),
    };
  }
  if (listOf(doc, kind).some((item) => item.name === parsed.data.name)) {
    return {
      ok: false,
      problems: [{ path: "name", message: `${parsed.data.name} is already taken` }],
    };
  }
  let candidate = addObject(doc, kind, parsed.data);
  if (extra) candidate = extra(candidate);
  const index = listOf(candidate, kind).length - 1;
  let problems: Problem[];
  try {
    problems = await validate(candidate);
  } catch (error) {
    return {
      ok: false,
      problems: [{ path: "", message: `could not check with the controller: ${String(error)}` }],
    };
  }
  const own = problemsUnder(problems, `${kind}[${index}]`);
  if (own.length > 0) return { ok: false, problems: own };
  return { ok: true, doc: candidate, object: parsed.data };
}

/**
 * A create dialog's object under construction, its busy state and problems. `submit` checks it
 * (see `checkNewObject`) and hands the document with it on, or keeps the problems to show.
 */
export function useNewObject<K extends FormKind>(
  kind: K,
  initial: () => ResourceSpecs[K],
  { doc, validate, onDone }: CreateProps,
) {
  const [value, setValue] = useState<ResourceSpecs[K]>(initial);
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<Problem[]>([]);
  const submit = async (extra?: (candidate: IntentFile) => IntentFile) => {
    setBusy(true);
    const result = await checkNewObject(doc, kind, value, validate, extra);
    setBusy(false);
    if (result.ok) onDone(result.doc, result.object.name);
    else setProblems(result.problems);
  };
  /** What the kind's fields take: the same props the inspector gives them. */
  const fields = {
    value,
    onChange: (next: ResourceSpecs[K]) => setValue(next),
    problems,
    readOnly: false,
    doc,
  };
  return { value, busy, problems, submit, fields };
}

/**
 * The frame every create dialog shares: an optional intro, the kind's fields, then the problems
 * none of them shows (once, under the fields), then Cancel and the submit button.
 */
export function CreateForm({
  title,
  wide,
  intro,
  submitLabel,
  busy,
  problems,
  shows,
  onSubmit,
  onCancel,
  children,
}: {
  title: string;
  wide?: boolean;
  intro?: ReactNode;
  submitLabel: string;
  busy: boolean;
  problems: Problem[];
  /** Whether a field of the form shows the problem at this path (forms/kinds.ts). */
  shows: (path: string) => boolean;
  onSubmit: () => void | Promise<void>;
  onCancel: () => void;
  children?: ReactNode;
}) {
  return (
    <Dialog title={title} onClose={onCancel} wide={wide}>
      <form
        className="form"
        onSubmit={async (event) => {
          event.preventDefault();
          await onSubmit();
        }}
      >
        {intro}
        {children}
        <ProblemList problems={problems.filter((p) => !shows(p.path))} />
        <div className="dialog-buttons">
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? "Checking…" : submitLabel}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
