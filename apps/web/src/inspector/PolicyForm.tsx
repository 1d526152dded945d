import type { Policy, PolicyRule } from "@netloom/model";
import { useOverlay } from "../canvas/overlay";
import { asName } from "../draft/ops";
import { problemAt } from "../ui/Field";
import { policyRuleColumns } from "./columns";
import { RuleTable } from "./RuleTable";

import {
  Checklist,
  Header,
  NameField,
  useNames,
  useObjectEditor,
  useObjectProblems,
} from "./shared";

// ------------------------------------------------------------------------------------ policy

export function PolicyForm({ policy, readOnly }: { policy: Policy; readOnly: boolean }) {
  const save = useObjectEditor("policies", policy.name);
  const problems = useObjectProblems("policies", policy.name);
  const networks = useNames("networks");
  const hits = useOverlay((s) => s.hits);
  return (
    <form className="form" onSubmit={(e) => e.preventDefault()}>
      <Header
        kind="policies"
        name={policy.name}
        icon="policy"
        readOnly={readOnly}
        problems={problems}
        shown={(p) => p === "name" || p.startsWith("attach") || /^rules\[\d+\](\.\w+)?/.test(p)}
      />
      <NameField
        value={policy.name}
        problem={problemAt(problems, "name")}
        readOnly={readOnly}
        onChange={(name) => save({ ...policy, name: asName(name) }, "name")}
      />
      <Checklist
        legend="Attached to networks"
        options={networks}
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
        hits={(index) => hits[`policy:${policy.name}/${index}`]}
      />
    </form>
  );
}
