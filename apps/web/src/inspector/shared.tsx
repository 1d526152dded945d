import type { Problem, ResourceKind, ResourceSpecs } from "@netloom/model";
import { useMemo } from "react";
import { Icon } from "../canvas/icons";
import { removeObject, replaceObject } from "../draft/ops";
import { draftStore, useDraft } from "../draft/store";
import { problemsOfObject, useValidation } from "../draft/validation";
import { ProblemList } from "../ui/Field";

/** What every kind's Inspector form shares: the header, the name field, editing and problems. */
export const KIND_LABEL: Record<ResourceKind, string> = {
  networks: "Network",
  workloads: "Workload",
  securityGroups: "Security group",
  policies: "Policy",
  services: "Service",
  routers: "Router",
  floatingIpPools: "Floating IP pool",
  assertions: "Assertion",
};

/** Edits of the inspected object go straight into the draft (one undo step per field burst). */
export function useObjectEditor<K extends ResourceKind>(kind: K, name: string) {
  return (next: ResourceSpecs[K], field: string) => {
    draftStore.edit((doc) => replaceObject(doc, kind, name, next), `${kind}/${name}/${field}`);
    if (next.name !== name) draftStore.select({ kind, name: next.name });
  };
}

/** Every problem of an object that no field below shows, shown once at the top. */
export function useObjectProblems(kind: ResourceKind, name: string): Problem[] {
  const state = useValidation((s) => s);
  return useMemo(() => problemsOfObject(state, kind, name), [state, kind, name]);
}

/**
 * The inspector: a form for whatever is selected. Every field shows the problem whose path
 * names it; problems about the object as a whole show under its title.
 */
export function Header({
  kind,
  name,
  icon,
  readOnly,
  problems,
  shown,
}: {
  kind: ResourceKind;
  name: string;
  icon: Parameters<typeof Icon>[0]["kind"];
  readOnly: boolean;
  problems: Problem[];
  /** Path patterns the form shows by a field; the rest are listed here. */
  shown: (path: string) => boolean;
}) {
  const rest = problems.filter((p) => !shown(p.path));
  return (
    <>
      <div className="inspector-head">
        <Icon kind={icon} size={18} />
        <div className="grow">
          <div className="kind-label">{KIND_LABEL[kind]}</div>
          <h2>{name}</h2>
        </div>
        {readOnly ? (
          <span className="tag">read only</span>
        ) : (
          <button
            type="button"
            className="danger-button"
            aria-label={`Delete ${KIND_LABEL[kind].toLowerCase()} ${name}`}
            onClick={() => {
              draftStore.edit((doc) => removeObject(doc, kind, name));
              draftStore.select(null);
            }}
          >
            Delete
          </button>
        )}
      </div>
      <ProblemList problems={rest} />
    </>
  );
}

export function useNames(
  kind: ResourceKind,
  filter?: (item: ResourceSpecs[ResourceKind]) => boolean,
) {
  const doc = useDraft((s) => s.doc);
  return useMemo(
    () =>
      ((doc?.[kind] ?? []) as ResourceSpecs[ResourceKind][])
        .filter((i) => !filter || filter(i))
        .map((i) => i.name as string),
    [doc, kind, filter],
  );
}
