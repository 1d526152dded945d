import type { FloatingIpPool, Router, SecurityGroup, SecurityGroupRule } from "@netloom/model";
import { useOverlay } from "../canvas/overlay";
import { asName } from "../draft/ops";
import { problemAt } from "../ui/Field";
import { securityGroupRuleColumns } from "./columns";
import { SelectField, withCurrent } from "./formParts";
import { RuleTable } from "./RuleTable";

import {
  Checklist,
  Header,
  isExternal,
  NameField,
  useNames,
  useObjectEditor,
  useObjectProblems,
} from "./shared";

// ------------------------------------------------------------------------------------ router, pool, group

export function RouterForm({ router, readOnly }: { router: Router; readOnly: boolean }) {
  const save = useObjectEditor("routers", router.name);
  const problems = useObjectProblems("routers", router.name);
  const networks = useNames("networks");
  return (
    <form className="form" onSubmit={(e) => e.preventDefault()}>
      <Header
        kind="routers"
        name={router.name}
        icon="router"
        readOnly={readOnly}
        problems={problems}
        shown={(p) => p === "name" || p.startsWith("networks")}
      />
      <NameField
        value={router.name}
        problem={problemAt(problems, "name")}
        readOnly={readOnly}
        onChange={(name) => save({ ...router, name: asName(name) }, "name")}
      />
      <Checklist
        legend="Joined networks (reach each other without a policy; an explicit deny still denies)"
        options={networks}
        selected={router.networks}
        readOnly={readOnly}
        problem={problems.find((p) => p.path.startsWith("networks"))?.message}
        onChange={(next) => save({ ...router, networks: next.map(asName) }, "networks")}
      />
    </form>
  );
}

export function PoolForm({ pool, readOnly }: { pool: FloatingIpPool; readOnly: boolean }) {
  const save = useObjectEditor("floatingIpPools", pool.name);
  const problems = useObjectProblems("floatingIpPools", pool.name);
  const externals = useNames("networks", isExternal);
  return (
    <form className="form" onSubmit={(e) => e.preventDefault()}>
      <Header
        kind="floatingIpPools"
        name={pool.name}
        icon="pool"
        readOnly={readOnly}
        problems={problems}
        shown={(p) => p === "name" || p === "network"}
      />
      <NameField
        value={pool.name}
        problem={problemAt(problems, "name")}
        readOnly={readOnly}
        onChange={(name) => save({ ...pool, name: asName(name) }, "name")}
      />
      <SelectField
        label="External network"
        problem={problemAt(problems, "network")}
        value={pool.network}
        options={withCurrent(pool.network, externals)}
        disabled={readOnly}
        onChange={(network) => save({ ...pool, network: asName(network) }, "network")}
      />
    </form>
  );
}

export function SecurityGroupForm({
  group,
  readOnly,
}: {
  group: SecurityGroup;
  readOnly: boolean;
}) {
  const save = useObjectEditor("securityGroups", group.name);
  const problems = useObjectProblems("securityGroups", group.name);
  const hits = useOverlay((s) => s.hits);
  return (
    <form className="form" onSubmit={(e) => e.preventDefault()}>
      <Header
        kind="securityGroups"
        name={group.name}
        icon="security-group"
        readOnly={readOnly}
        problems={problems}
        shown={(p) => p === "name" || /^rules\[\d+\]/.test(p)}
      />
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
        hits={(index) => hits[`sg:${group.name}/${index}`]}
      />
    </form>
  );
}
