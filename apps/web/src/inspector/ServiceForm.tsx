import type { FirewallRule, Service } from "@netloom/model";
import { assertNever } from "@netloom/model";
import { useOverlay } from "../canvas/overlay";
import { asName } from "../draft/ops";
import { problemAt } from "../ui/Field";
import { firewallRuleColumns } from "./columns";
import { ProtocolField, problemWithin, SelectField, TextField, withCurrent } from "./formParts";
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

// ------------------------------------------------------------------------------------ services

export function ServiceForm({ service, readOnly }: { service: Service; readOnly: boolean }) {
  const save = useObjectEditor("services", service.name);
  const problems = useObjectProblems("services", service.name);
  const networks = useNames("networks");
  const externals = useNames("networks", isExternal);
  const workloads = useNames("workloads");
  const hits = useOverlay((s) => s.hits);
  const fieldProblem = (path: string) => problemWithin(problems, path);
  let body: React.ReactNode;
  switch (service.type) {
    case "firewall":
      body = (
        <>
          <h3>
            Firewall rules <span className="muted small">no match: deny</span>
          </h3>
          <RuleTable
            caption={`Rules of firewall ${service.name}`}
            rules={service.rules}
            columns={firewallRuleColumns}
            problems={problems}
            readOnly={readOnly}
            onChange={(rules) => save({ ...service, rules }, "rules")}
            newRule={(): FirewallRule => ({
              action: "allow",
              protocol: "tcp",
              source: "any",
              destination: "any",
            })}
            hits={(index) => hits[`firewall:${service.name}/${index}`]}
          />
        </>
      );
      break;
    case "load-balancer":
      body = (
        <>
          <SelectField
            label="Network"
            problem={fieldProblem("network")}
            value={service.network}
            options={withCurrent(service.network, networks)}
            disabled={readOnly}
            onChange={(network) => save({ ...service, network: asName(network) }, "network")}
          />
          <div className="row">
            <TextField
              label="VIP"
              problem={fieldProblem("vip")}
              value={service.vip}
              readOnly={readOnly}
              onChange={(vip) => save({ ...service, vip: vip as typeof service.vip }, "vip")}
            />
            <ProtocolField
              problem={fieldProblem("protocol")}
              value={service.protocol}
              disabled={readOnly}
              onChange={(protocol) => save({ ...service, protocol }, "protocol")}
            />
            <TextField
              label="Port"
              problem={fieldProblem("port")}
              type="number"
              value={service.port}
              readOnly={readOnly}
              onChange={(port) => save({ ...service, port: Number(port) }, "port")}
            />
            <TextField
              label="Member port"
              problem={fieldProblem("memberPort")}
              type="number"
              value={service.memberPort}
              readOnly={readOnly}
              onChange={(memberPort) =>
                save({ ...service, memberPort: Number(memberPort) }, "memberPort")
              }
            />
          </div>
          <Checklist
            legend="Members"
            options={workloads}
            selected={service.members}
            readOnly={readOnly}
            problem={fieldProblem("members")}
            onChange={(next) => save({ ...service, members: next.map(asName) }, "members")}
          />
        </>
      );
      break;
    case "nat":
      body = (
        <>
          <Checklist
            legend="Inside networks"
            options={networks.filter((n) => !externals.includes(n))}
            selected={service.inside}
            readOnly={readOnly}
            problem={fieldProblem("inside")}
            onChange={(next) => save({ ...service, inside: next.map(asName) }, "inside")}
          />
          <SelectField
            label="Outside network"
            problem={fieldProblem("outside")}
            value={service.outside}
            options={withCurrent(service.outside, externals)}
            disabled={readOnly}
            onChange={(outside) => save({ ...service, outside: asName(outside) }, "outside")}
          />
        </>
      );
      break;
    case "dns":
      body = (
        <>
          <TextField
            label="Domain"
            problem={fieldProblem("domain")}
            value={service.domain}
            readOnly={readOnly}
            onChange={(domain) => save({ ...service, domain }, "domain")}
          />
          <Checklist
            legend="Networks served"
            options={networks}
            selected={service.networks}
            readOnly={readOnly}
            problem={fieldProblem("networks")}
            onChange={(next) => save({ ...service, networks: next.map(asName) }, "networks")}
          />
        </>
      );
      break;
    default:
      body = assertNever(service);
  }
  return (
    <form className="form" onSubmit={(e) => e.preventDefault()}>
      <Header
        kind="services"
        name={service.name}
        icon={service.type}
        readOnly={readOnly}
        problems={problems}
        shown={(p) => !p.startsWith("type") && p !== ""}
      />
      <NameField
        value={service.name}
        problem={problemAt(problems, "name")}
        readOnly={readOnly}
        onChange={(name) => save({ ...service, name: asName(name) }, "name")}
      />
      {body}
    </form>
  );
}
