import type { FirewallRule, PolicyRule, Protocol, SecurityGroupRule } from "@netloom/model";
import { asName } from "../draft/ops";
import { parsePortsInput, type RuleColumn, SelectCell, TextCell } from "./RuleTable";

const ACTIONS = ["allow", "deny"] as const;
const PROTOCOLS: readonly Protocol[] = ["any", "tcp", "udp", "icmp"];

function withOptional<T extends object, K extends string>(object: T, key: K, value: unknown): T {
  const copy: Record<string, unknown> = { ...(object as Record<string, unknown>) };
  if (value === undefined || value === "") delete copy[key];
  else copy[key] = value;
  return copy as T;
}

function actionColumn<R extends { action: "allow" | "deny" }>(): RuleColumn<R> {
  return {
    key: "action",
    label: "action",
    cell: ({ rule, update, label, problem, readOnly }) => (
      <SelectCell
        value={rule.action}
        options={ACTIONS}
        label={label}
        problem={problem}
        readOnly={readOnly}
        onChange={(action) => update({ ...rule, action })}
      />
    ),
  };
}

function protocolColumn<R extends { protocol?: Protocol | undefined }>(): RuleColumn<R> {
  return {
    key: "protocol",
    label: "protocol",
    cell: ({ rule, update, label, problem, readOnly }) => (
      <SelectCell
        value={rule.protocol ?? "any"}
        options={PROTOCOLS}
        label={label}
        problem={problem}
        readOnly={readOnly}
        onChange={(protocol) => update({ ...rule, protocol })}
      />
    ),
  };
}

function textColumn<R extends object>(
  key: string,
  label: string,
  placeholder: string,
  width?: number,
  second?: boolean,
): RuleColumn<R> {
  return {
    key,
    label,
    ...(second ? { second } : {}),
    cell: ({ rule, update, label: name, problem, readOnly }) => (
      <TextCell
        value={String((rule as Record<string, unknown>)[key] ?? "")}
        label={name}
        problem={problem}
        readOnly={readOnly}
        placeholder={placeholder}
        {...(width ? { width } : {})}
        onChange={(value) => update(withOptional(rule, key, value))}
      />
    ),
  };
}

function portsColumn<R extends { ports?: number | string | undefined }>(): RuleColumn<R> {
  return {
    key: "ports",
    label: "ports",
    cell: ({ rule, update, label, problem, readOnly }) => (
      <TextCell
        value={rule.ports === undefined ? "" : String(rule.ports)}
        label={label}
        problem={problem}
        readOnly={readOnly}
        placeholder="all"
        width={80}
        onChange={(value) => update(withOptional(rule, "ports", parsePortsInput(value)))}
      />
    ),
  };
}

export const policyRuleColumns: RuleColumn<PolicyRule>[] = [
  actionColumn<PolicyRule>(),
  protocolColumn<PolicyRule>(),
  textColumn<PolicyRule>("source", "source", "any", undefined, true),
  {
    key: "direction",
    label: "dir",
    cell: ({ rule, update, label, problem, readOnly }) => (
      <SelectCell
        value={rule.direction ?? "<>"}
        options={["<>", ">"] as const}
        label={label}
        problem={problem}
        readOnly={readOnly}
        onChange={(direction) => update({ ...rule, direction })}
      />
    ),
  },
  textColumn<PolicyRule>("destination", "destination", "any", undefined, true),
  portsColumn<PolicyRule>(),
  {
    key: "services",
    label: "service chain",
    second: true,
    cell: ({ rule, update, label, problem, readOnly }) => (
      <TextCell
        value={(rule.services ?? []).join(", ")}
        label={label}
        problem={problem}
        readOnly={readOnly}
        placeholder="none"
        onChange={(value) => {
          const services = value
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean)
            .map(asName);
          update(withOptional(rule, "services", services.length > 0 ? services : undefined));
        }}
      />
    ),
  },
];

export const firewallRuleColumns: RuleColumn<FirewallRule>[] = [
  actionColumn<FirewallRule>(),
  protocolColumn<FirewallRule>(),
  textColumn<FirewallRule>("source", "source", "any", undefined, true),
  textColumn<FirewallRule>("destination", "destination", "any", undefined, true),
  portsColumn<FirewallRule>(),
];

export const securityGroupRuleColumns: RuleColumn<SecurityGroupRule>[] = [
  {
    key: "direction",
    label: "direction",
    cell: ({ rule, update, label, problem, readOnly }) => (
      <SelectCell
        value={rule.direction}
        options={["ingress", "egress"] as const}
        label={label}
        problem={problem}
        readOnly={readOnly}
        onChange={(direction) => update({ ...rule, direction })}
      />
    ),
  },
  protocolColumn<SecurityGroupRule>(),
  portsColumn<SecurityGroupRule>(),
  textColumn<SecurityGroupRule>("remote", "remote", "0.0.0.0/0", 120),
];
