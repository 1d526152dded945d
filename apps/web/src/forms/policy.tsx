import type { Policy, PolicyRule } from "@netloom/model";
import { asName } from "../draft/ops";
import { policyRuleColumns } from "../inspector/columns";
import { RuleTable } from "../inspector/RuleTable";
import { problemAt } from "../ui/Field";
import { Checklist, type KindFieldsProps, NameField, namesOf } from "./fields";

export function policyShows(path: string): boolean {
  return path === "name" || path.startsWith("attach") || /^rules\[\d+\](\.\w+)?/.test(path);
}

/** A policy's fields: name, the networks it attaches to, and its ordered rules. */
export function PolicyFields({
  value: policy,
  onChange: save,
  problems,
  readOnly,
  doc,
  hits,
}: KindFieldsProps<Policy>) {
  return (
    <>
      <NameField
        value={policy.name}
        problem={problemAt(problems, "name")}
        readOnly={readOnly}
        onChange={(name) => save({ ...policy, name: asName(name) }, "name")}
      />
      <Checklist
        legend="Attached to networks"
        options={namesOf(doc, "networks")}
        selected={policy.attach}
        readOnly={readOnly}
        problem={problems.find((p) => p.path.startsWith("attach"))?.message}
        onChange={(next) => save({ ...policy, attach: next.map(asName) }, "attach")}
      />
      <h3>
        Rules <span className="muted small">ordered, first match wins</span>
      </h3>
      <RuleTable
        caption={`Rules of policy ${policy.name}`}
        rules={policy.rules}
        columns={policyRuleColumns}
        problems={problems}
        readOnly={readOnly}
        onChange={(rules) => save({ ...policy, rules }, "rules")}
        newRule={(): PolicyRule => ({
          action: "allow",
          protocol: "tcp",
          source: policy.attach[0] ?? "any",
          destination: policy.attach[1] ?? "any",
          direction: "<>",
        })}
        {...(hits ? { hits: (index: number) => hits[`policy:${policy.name}/${index}`] } : {})}
      />
    </>
  );
}
