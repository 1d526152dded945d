import { assertNever, type FirewallRule, type IntentFile, type Service } from "@netloom/model";
import { asName, freeName } from "../draft/ops";
import { firewallRuleColumns } from "../inspector/columns";
import {
  ProtocolField,
  problemWithin,
  SelectField,
  TextField,
  withCurrent,
} from "../inspector/formParts";
import { RuleTable } from "../inspector/RuleTable";
import { problemAt } from "../ui/Field";
import { Checklist, isExternalNetwork, type KindFieldsProps, NameField, namesOf } from "./fields";

export type ServiceType = Service["type"];

/** Paths of a service's problems that one of its fields shows. */
const SERVICE_FIELD =
  /^(name$|(network|vip|protocol|port|memberPort|members|inside|outside|domain|networks)(\[|$)|rules\[\d+\])/;

export function serviceShows(path: string): boolean {
  return SERVICE_FIELD.test(path);
}

/** What a service of each type is called when drawn: "firewall", "load balancer", "NAT". */
export function serviceTypeLabel(type: ServiceType): string {
  return type === "load-balancer"
    ? "load balancer"
    : type === "firewall"
      ? "firewall"
      : type.toUpperCase();
}

/** A new service's starting value, by type. */
export function newService(doc: IntentFile, type: ServiceType): Service {
  const networks = namesOf(doc, "networks", (n) => !n.external).map(asName);
  const externals = namesOf(doc, "networks", isExternalNetwork).map(asName);
  const base = type === "load-balancer" ? "lb" : type === "firewall" ? "fw" : type;
  const name = asName(freeName(doc, "services", base));
  switch (type) {
    case "firewall":
      return {
        name,
        type,
        rules: [{ action: "allow", protocol: "any", source: "any", destination: "any" }],
      };
    case "load-balancer":
      return {
        name,
        type,
        network: networks[0] ?? asName(""),
        vip: "" as Extract<Service, { type: "load-balancer" }>["vip"],
        protocol: "tcp",
        port: 80,
        members: [],
        memberPort: 8080,
      };
    case "nat":
      return { name, type, inside: networks.slice(0, 1), outside: externals[0] ?? asName("") };
    case "dns":
      return { name, type, domain: `${String(doc.tenant)}.internal`, networks };
    default:
      return assertNever(type, "service type");
  }
}

/** A service's fields: its name, then what its type needs (rules, VIP and members, ...). */
export function ServiceFields(props: KindFieldsProps<Service>) {
  const { value: service, onChange: save, problems, readOnly } = props;
  return (
    <>
      <NameField
        value={service.name}
        problem={problemAt(problems, "name")}
        readOnly={readOnly}
        onChange={(name) => save({ ...service, name: asName(name) }, "name")}
      />
      <ServiceTypeFields {...props} />
    </>
  );
}

function ServiceTypeFields({
  value: service,
  onChange: save,
  problems,
  readOnly,
  doc,
  hits,
}: KindFieldsProps<Service>) {
  const networks = namesOf(doc, "networks");
  const externals = namesOf(doc, "networks", isExternalNetwork);
  const workloads = namesOf(doc, "workloads");
  const fieldProblem = (path: string) => problemWithin(problems, path);
  switch (service.type) {
    case "firewall":
      return (
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
            {...(hits
              ? { hits: (index: number) => hits[`firewall:${service.name}/${index}`] }
              : {})}
          />
        </>
      );
    case "load-balancer":
      return (
        <>
          <SelectField
            label="Network"
            problem={fieldProblem("network")}
            value={service.network}
            options={withCurrent(service.network || undefined, networks)}
            disabled={readOnly}
            onChange={(network) => save({ ...service, network: asName(network) }, "network")}
          />
          <div className="row">
            <TextField
              label="VIP"
              problem={fieldProblem("vip")}
              value={service.vip}
              placeholder="10.1.0.100"
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
    case "nat":
      return (
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
            hint={externals.length === 0 ? "add an external network first" : undefined}
            value={service.outside}
            options={withCurrent(service.outside || undefined, externals)}
            disabled={readOnly}
            onChange={(outside) => save({ ...service, outside: asName(outside) }, "outside")}
          />
        </>
      );
    case "dns":
      return (
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
    default:
      return assertNever(service);
  }
}
