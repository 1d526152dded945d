import type { SecurityGroup, SecurityGroupRule } from "@netloom/model";
import { asName } from "../draft/ops";
import { securityGroupRuleColumns } from "../inspector/columns";
import { RuleTable } from "../inspector/RuleTable";
import { problemAt } from "../ui/Field";
import { type KindFieldsProps, NameField } from "./fields";

export function securityGroupShows(path: string): boolean {
  return path === "name" || /^rules\[\d+\]/.test(path);
}

/** A security group's fields: name and its rules per direction. */
export function SecurityGroupFields({
  value: group,
  onChange: save,
  problems,
  readOnly,
  hits,
}: KindFieldsProps<SecurityGroup>) {
  return (
    <>
      <NameField
        value={group.name}
        problem={problemAt(problems, "name")}
        readOnly={readOnly}
        onChange={(name) => save({ ...group, name: asName(name) }, "name")}
      />
      <h3>
        Rules <span className="muted small">a direction with no rule denies</span>
      </h3>
      <RuleTable
        caption={`Rules of security group ${group.name}`}
        rules={group.rules}
        columns={securityGroupRuleColumns}
        problems={problems}
        readOnly={readOnly}
        onChange={(rules) => save({ ...group, rules }, "rules")}
        newRule={(): SecurityGroupRule => ({
          direction: "ingress",
          protocol: "tcp",
          remote: "0.0.0.0/0",
        })}
        {...(hits ? { hits: (index: number) => hits[`sg:${group.name}/${index}`] } : {})}
      />
    </>
  );
}
