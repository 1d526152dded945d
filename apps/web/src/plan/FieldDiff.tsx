import { kindLabel } from "../draft/ops";
import type { ObjectDiff } from "../lib/fieldDiff";

const ACTION_MARK = { create: "+", update: "~", delete: "−" } as const;

/** Object changes with each changed field's before and after, as `kubectl diff` shows them. */
export function FieldDiff({ diffs }: { diffs: readonly ObjectDiff[] }) {
  return (
    <section aria-labelledby="object-changes-heading">
      <h3 id="object-changes-heading">Object changes ({diffs.length})</h3>
      <ul className="changes">
        {diffs.map((diff) => (
          <li key={`${diff.kind}/${diff.name}`} className={`change-${diff.action}`}>
            <details open={diffs.length <= 6}>
              <summary>
                <span className="change-mark" aria-hidden="true">
                  {ACTION_MARK[diff.action]}
                </span>
                {diff.action} {kindLabel(diff.kind)} <strong>{diff.name}</strong>{" "}
                <span className="muted small">
                  {diff.fields.length} field{diff.fields.length === 1 ? "" : "s"}
                </span>
              </summary>
              <table
                className="field-diff"
                aria-label={`Fields of ${kindLabel(diff.kind)} ${diff.name}`}
              >
                <thead>
                  <tr>
                    <th scope="col">field</th>
                    <th scope="col">before</th>
                    <th scope="col">after</th>
                  </tr>
                </thead>
                <tbody>
                  {diff.fields.map((field) => (
                    <tr key={field.path}>
                      <th scope="row">
                        <code>{field.path || "(value)"}</code>
                      </th>
                      <td className="diff-before">
                        {field.before === undefined ? (
                          <span className="muted">absent</span>
                        ) : (
                          <code>{field.before}</code>
                        )}
                      </td>
                      <td className="diff-after">
                        {field.after === undefined ? (
                          <span className="muted">absent</span>
                        ) : (
                          <code>{field.after}</code>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </details>
          </li>
        ))}
      </ul>
    </section>
  );
}
