import { securityGroupSchema } from "@netloom/model";
import { useState } from "react";
import { Icon } from "../canvas/icons";
import { addObject, asName, findObject, freeName } from "../draft/ops";
import { draftStore, useDraft } from "../draft/store";
import { SecurityGroupForm } from "./Inspector";

/** The security group editor: list, create, and edit one group's ordered rules. */
export function SecurityGroups({ readOnly }: { readOnly: boolean }) {
  const groups = useDraft((s) => s.doc?.securityGroups ?? NONE);
  const selection = useDraft((s) => s.selection);
  const selected = selection?.kind === "securityGroups" ? selection.name : null;
  const group = useDraft((s) =>
    s.doc && selected ? findObject(s.doc, "securityGroups", selected) : undefined,
  );
  const [error, setError] = useState<string | null>(null);
  return (
    <div className="groups">
      <div className="list-head">
        <h2>Security groups</h2>
        {readOnly ? null : (
          <button
            type="button"
            className="small-button"
            onClick={() => {
              const doc = draftStore.getState().doc;
              if (!doc) return;
              const name = freeName(doc, "securityGroups", "sg");
              const parsed = securityGroupSchema.safeParse({
                name,
                rules: [
                  { direction: "ingress", protocol: "tcp", ports: 22, remote: "0.0.0.0/0" },
                  { direction: "egress", protocol: "any", remote: "0.0.0.0/0" },
                ],
              });
              if (!parsed.success) {
                setError(parsed.error.issues[0]?.message ?? "invalid");
                return;
              }
              draftStore.edit((d) => addObject(d, "securityGroups", parsed.data));
              draftStore.select({ kind: "securityGroups", name: asName(name) });
            }}
          >
            + New group
          </button>
        )}
      </div>
      {error ? (
        <div className="field-error" role="alert">
          {error}
        </div>
      ) : null}
      <ul className="object-list" aria-label="Security groups">
        {groups.length === 0 ? (
          <li className="muted small">
            No security groups: interfaces without one are unfiltered.
          </li>
        ) : null}
        {groups.map((g) => (
          <li key={g.name}>
            <button
              type="button"
              className={g.name === selected ? "active" : ""}
              aria-pressed={g.name === selected}
              onClick={() => draftStore.select({ kind: "securityGroups", name: g.name })}
            >
              <Icon kind="security-group" />
              <span className="grow">{g.name}</span>
              <span className="muted small">{g.rules.length} rules</span>
            </button>
          </li>
        ))}
      </ul>
      {group ? <SecurityGroupForm group={group} readOnly={readOnly} /> : null}
    </div>
  );
}

const NONE: never[] = [];
