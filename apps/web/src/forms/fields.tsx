import type { IntentFile, Network, Problem, ResourceKind, ResourceSpecs } from "@netloom/model";
import { Checklist as SharedChecklist, TextField } from "../inspector/formParts";

/**
 * What every kind's form takes, wherever it is shown: the create dialog holds `value` in its
 * own state until the object is added; the inspector edits the draft's object in place. The
 * same component draws both, so a field exists, reads and validates the same in each.
 */
export interface KindFieldsProps<T> {
  value: T;
  /** `field` groups a burst of edits to one field into one undo step (the inspector). */
  onChange: (next: T, field: string) => void;
  problems: Problem[];
  readOnly: boolean;
  /** The document the object belongs to (or is being added to): the names to pick from. */
  doc: IntentFile;
  /** Rule hit counts by rule id, where the fabric reports them (the inspector). */
  hits?: Readonly<Record<string, number>>;
}

/** The names of one kind's objects in the document, optionally filtered. */
export function namesOf<K extends ResourceKind>(
  doc: IntentFile,
  kind: K,
  filter?: (item: ResourceSpecs[K]) => boolean,
): string[] {
  return ((doc[kind] ?? []) as ResourceSpecs[K][])
    .filter((item) => !filter || filter(item))
    .map((item) => item.name as string);
}

export const isExternalNetwork = (network: Network) => Boolean(network.external);

export function NameField({
  value,
  problem,
  readOnly,
  onChange,
}: {
  value: string;
  problem: string | undefined;
  readOnly: boolean;
  onChange: (value: string) => void;
}) {
  return (
    <TextField
      label="Name"
      problem={problem}
      value={value}
      readOnly={readOnly}
      onChange={onChange}
    />
  );
}

/** Checklists in the forms say "none available" when there is nothing to pick. */
export function Checklist(props: Omit<Parameters<typeof SharedChecklist>[0], "emptyText">) {
  return <SharedChecklist {...props} emptyText="none available" />;
}
