import { kindLabel } from "../draft/ops";
import { type ObjectReview, valueText } from "../lib/reachDelta";

const ACTION_MARK = { create: "+", update: "~", delete: "−" } as const;

/**
 * Object changes with each changed field's before and after, as `kubectl diff` shows them (the
 * controller's review of the dry run).
 */
export function FieldDiff({ diffs }: { diffs: readonly ObjectReview[] }) {
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
                  {diff.fields.map((field) => {
                    const before = valueText(field.before);
                    const after = valueText(field.after);
                    return (
                      <tr key={field.path}>
                        <th scope="row">
                          <code>{field.path || "(value)"}</code>
                        </th>
                        <td className="diff-before">
                          {before === undefined ? (
                            <span className="muted">absent</span>
                          ) : (
                            <code>{before}</code>
                          )}
                        </td>
                        <td className="diff-after">
                          {after === undefined ? (
                            <span className="muted">absent</span>
                          ) : (
                            <code>{after}</code>
                          )}
                        </td>
                      </tr>
                    );
                  })}
                </tbody>
              </table>
            </details>
          </li>
        ))}
      </ul>
    </section>
  );
}
