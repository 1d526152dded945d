import type {
  FirewallRule,
  FloatingIpPool,
  Interface,
  Network,
  Policy,
  PolicyRule,
  Problem,
  ResourceKind,
  ResourceSpecs,
  Router,
  SecurityGroup,
  SecurityGroupRule,
  Service,
  Workload,
} from "@netloom/model";
import { assertNever } from "@netloom/model";
import { useMemo } from "react";
import { Icon } from "../canvas/icons";
import { type Convergence, useOverlay } from "../canvas/overlay";
import { asName, findObject, removeObject, replaceObject } from "../draft/ops";
import { draftStore, useDraft } from "../draft/store";
import { problemsOfObject, useValidation } from "../draft/validation";
import { describeBehind } from "../lib/convergence";
import { ProblemList, problemAt } from "../ui/Field";
import { firewallRuleColumns, policyRuleColumns, securityGroupRuleColumns } from "./columns";
import {
  ProtocolField,
  problemWithin,
  SelectField,
  Checklist as SharedChecklist,
  TextField,
  withCurrent,
} from "./formParts";
import { RuleTable } from "./RuleTable";

const KIND_LABEL: Record<ResourceKind, string> = {
  networks: "Network",
  workloads: "Workload",
  securityGroups: "Security group",
  policies: "Policy",
  services: "Service",
  routers: "Router",
  floatingIpPools: "Floating IP pool",
  assertions: "Assertion",
};

/** Edits of the inspected object go straight into the draft (one undo step per field burst). */
function useObjectEditor<K extends ResourceKind>(kind: K, name: string) {
  return (next: ResourceSpecs[K], field: string) => {
    draftStore.edit((doc) => replaceObject(doc, kind, name, next), `${kind}/${name}/${field}`);
    if (next.name !== name) draftStore.select({ kind, name: next.name });
  };
}

/** Every problem of an object that no field below shows, shown once at the top. */
function useObjectProblems(kind: ResourceKind, name: string): Problem[] {
  const state = useValidation((s) => s);
  return useMemo(() => problemsOfObject(state, kind, name), [state, kind, name]);
}

/**
 * The inspector: a form for whatever is selected. Every field shows the problem whose path
 * names it; problems about the object as a whole show under its title.
 */
export function Inspector({ readOnly }: { readOnly: boolean }) {
  const selection = useDraft((s) => s.selection);
  const object = useDraft((s) =>
    s.doc && s.selection ? findObject(s.doc, s.selection.kind, s.selection.name) : undefined,
  );
  if (!selection || !object) {
    return (
      <div className="inspector empty">
        <p className="muted">
          Select a network, workload, service, router or policy edge on the canvas to inspect it.
        </p>
        <p className="muted small">
          Drag from the palette to add objects; draw from a network's right handle to another
          network to connect them with a policy.
        </p>
      </div>
    );
  }
  return (
    <section
      className="inspector"
      aria-label={`Inspector: ${KIND_LABEL[selection.kind]} ${selection.name}`}
    >
      <InspectorBody kind={selection.kind} object={object} readOnly={readOnly} />
    </section>
  );
}

function InspectorBody({
  kind,
  object,
  readOnly,
}: {
  kind: ResourceKind;
  object: ResourceSpecs[ResourceKind];
  readOnly: boolean;
}) {
  switch (kind) {
    case "networks":
      return <NetworkForm network={object as Network} readOnly={readOnly} />;
    case "workloads":
      return <WorkloadForm workload={object as Workload} readOnly={readOnly} />;
    case "policies":
      return <PolicyForm policy={object as Policy} readOnly={readOnly} />;
    case "services":
      return <ServiceForm service={object as Service} readOnly={readOnly} />;
    case "routers":
      return <RouterForm router={object as Router} readOnly={readOnly} />;
    case "securityGroups":
      return <SecurityGroupForm group={object as SecurityGroup} readOnly={readOnly} />;
    case "floatingIpPools":
      return <PoolForm pool={object as FloatingIpPool} readOnly={readOnly} />;
    case "assertions":
      return <p className="muted">Assertions are edited in the Reachability tab.</p>;
    default:
      return assertNever(kind);
  }
}

function Header({
  kind,
  name,
  icon,
  readOnly,
  problems,
  shown,
}: {
  kind: ResourceKind;
  name: string;
  icon: Parameters<typeof Icon>[0]["kind"];
  readOnly: boolean;
  problems: Problem[];
  /** Path patterns the form shows by a field; the rest are listed here. */
  shown: (path: string) => boolean;
}) {
  const rest = problems.filter((p) => !shown(p.path));
  return (
    <>
      <div className="inspector-head">
        <Icon kind={icon} size={18} />
        <div className="grow">
          <div className="kind-label">{KIND_LABEL[kind]}</div>
          <h2>{name}</h2>
        </div>
        {readOnly ? (
          <span className="tag">read only</span>
        ) : (
          <button
            type="button"
            className="danger-button"
            aria-label={`Delete ${KIND_LABEL[kind].toLowerCase()} ${name}`}
            onClick={() => {
              draftStore.edit((doc) => removeObject(doc, kind, name));
              draftStore.select(null);
            }}
          >
            Delete
          </button>
        )}
      </div>
      <ProblemList problems={rest} />
    </>
  );
}

function NameField({
  value,
  problem,
  readOnly,
  onChange,
}: {
  value: string;
  problem: string | undefined;
  readOnly: boolean;
  onChange: (value: string) => void;
}) {
  return (
    <TextField
      label="Name"
      problem={problem}
      value={value}
      readOnly={readOnly}
      onChange={onChange}
    />
  );
}

/** The inspector's checklists say "none available" when there is nothing to pick. */
function Checklist(props: Omit<Parameters<typeof SharedChecklist>[0], "emptyText">) {
  return <SharedChecklist {...props} emptyText="none available" />;
}

function useNames(kind: ResourceKind, filter?: (item: ResourceSpecs[ResourceKind]) => boolean) {
  const doc = useDraft((s) => s.doc);
  return useMemo(
    () =>
      ((doc?.[kind] ?? []) as ResourceSpecs[ResourceKind][])
        .filter((i) => !filter || filter(i))
        .map((i) => i.name as string),
    [doc, kind, filter],
  );
}

const isExternal = (item: ResourceSpecs[ResourceKind]) => Boolean((item as Network).external);

// ------------------------------------------------------------------------------------ network

/** The network's convergence by the one definition, naming the nodes that are behind. */
function NetworkStatusLine({ network, state }: { network: string; state: Convergence }) {
  const behind = useOverlay((s) => s.lagging[network]);
  const text = (() => {
    switch (state) {
      case "converged":
        return "Converged on every node that holds it";
      case "pending":
        return behind && behind.length > 0
          ? `Not converged: ${describeBehind(behind)}`
          : "Not converged yet";
      case "not-applied":
        return "Not applied: this draft change reaches no node until you review and apply it";
      case "unknown":
        return "No node has reported status";
      default:
        return assertNever(state);
    }
  })();
  return (
    <div className={`status-line conv-${state}`} role="status">
      <span className="conv-dot" aria-hidden="true" /> {text}
    </div>
  );
}

function NetworkForm({ network, readOnly }: { network: Network; readOnly: boolean }) {
  const save = useObjectEditor("networks", network.name);
  const problems = useObjectProblems("networks", network.name);
  const convergence = useOverlay((s) => s.networks[network.name] ?? "unknown");
  return (
    <form className="form" onSubmit={(e) => e.preventDefault()}>
      <Header
        kind="networks"
        name={network.name}
        icon={network.external ? "external" : "network"}
        readOnly={readOnly}
        problems={problems}
        shown={(p) => p === "name" || /^subnets\[\d+\]\.(cidr|gateway)$/.test(p)}
      />
      <NetworkStatusLine network={network.name} state={convergence} />
      <NameField
        value={network.name}
        problem={problemAt(problems, "name")}
        readOnly={readOnly}
        onChange={(name) => save({ ...network, name: asName(name) }, "name")}
      />
      <label className="check">
        <input
          type="checkbox"
          checked={Boolean(network.external)}
          disabled={readOnly}
          onChange={(e) => {
            const { external: _old, ...rest } = network;
            save(e.target.checked ? { ...rest, external: true } : rest, "external");
          }}
        />
        External (provider network standing for outside)
      </label>
      <h3>Subnets</h3>
      {network.subnets.map((subnet, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: subnets are positional in the file
        <div className="row" key={index}>
          <TextField
            label={`Subnet ${index + 1} CIDR`}
            problem={problemAt(problems, `subnets[${index}].cidr`)}
            value={subnet.cidr}
            readOnly={readOnly}
            onChange={(cidr) => {
              const subnets = [...network.subnets];
              subnets[index] = { ...subnet, cidr: cidr as typeof subnet.cidr };
              save({ ...network, subnets }, `subnet${index}`);
            }}
          />
          <TextField
            label={`Subnet ${index + 1} gateway`}
            problem={problemAt(problems, `subnets[${index}].gateway`)}
            value={subnet.gateway ?? ""}
            placeholder="first host"
            readOnly={readOnly}
            onChange={(gateway) => {
              const subnets = [...network.subnets];
              const { gateway: _old, ...rest } = subnet;
              subnets[index] = gateway
                ? { ...rest, gateway: gateway as NonNullable<typeof subnet.gateway> }
                : rest;
              save({ ...network, subnets }, `gateway${index}`);
            }}
          />
          {readOnly || network.subnets.length < 2 ? null : (
            <button
              type="button"
              className="icon-button"
              aria-label={`Remove subnet ${index + 1}`}
              onClick={() =>
                save(
                  { ...network, subnets: network.subnets.filter((_, i) => i !== index) },
                  "subnets",
                )
              }
            >
              ×
            </button>
          )}
        </div>
      ))}
      {readOnly ? null : (
        <button
          type="button"
          className="small-button"
          onClick={() =>
            save(
              {
                ...network,
                subnets: [...network.subnets, { cidr: "" as Network["subnets"][0]["cidr"] }],
              },
              "subnets",
            )
          }
        >
          + Add subnet
        </button>
      )}
    </form>
  );
}

// ------------------------------------------------------------------------------------ workload

function WorkloadForm({ workload, readOnly }: { workload: Workload; readOnly: boolean }) {
  const save = useObjectEditor("workloads", workload.name);
  const problems = useObjectProblems("workloads", workload.name);
  const networks = useNames("networks");
  const groups = useNames("securityGroups");
  const pools = useNames("floatingIpPools");
  const setInterface = (index: number, next: Interface) => {
    const interfaces = [...workload.interfaces];
    interfaces[index] = next;
    save({ ...workload, interfaces }, `if${index}`);
  };
  return (
    <form className="form" onSubmit={(e) => e.preventDefault()}>
      <Header
        kind="workloads"
        name={workload.name}
        icon="workload"
        readOnly={readOnly}
        problems={problems}
        shown={(p) =>
          p === "name" ||
          p === "node" ||
          /^interfaces\[\d+\]\.(network|ip|securityGroups|floatingIp)/.test(p)
        }
      />
      <NameField
        value={workload.name}
        problem={problemAt(problems, "name")}
        readOnly={readOnly}
        onChange={(name) => save({ ...workload, name: asName(name) }, "name")}
      />
      <TextField
        label="Node"
        problem={problemAt(problems, "node")}
        hint="empty: the scheduler places it"
        value={workload.node ?? ""}
        readOnly={readOnly}
        onChange={(node) => {
          const { node: _old, ...rest } = workload;
          save(node ? { ...rest, node: asName(node) } : rest, "node");
        }}
      />
      <h3>Interfaces</h3>
      {workload.interfaces.map((iface, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: interfaces are positional
        <fieldset className="iface" key={index}>
          <legend>Interface {index}</legend>
          <div className="row">
            <SelectField
              label={`Interface ${index} network`}
              problem={problemAt(problems, `interfaces[${index}].network`)}
              value={iface.network}
              options={withCurrent(iface.network, networks)}
              disabled={readOnly}
              onChange={(network) => setInterface(index, { ...iface, network: asName(network) })}
            />
            <TextField
              label={`Interface ${index} IP`}
              problem={problemAt(problems, `interfaces[${index}].ip`)}
              value={iface.ip ?? ""}
              placeholder="allocated"
              readOnly={readOnly}
              onChange={(ip) => {
                const { ip: _old, ...rest } = iface;
                setInterface(
                  index,
                  ip ? { ...rest, ip: ip as NonNullable<Interface["ip"]> } : rest,
                );
              }}
            />
          </div>
          <Checklist
            legend={`Interface ${index} security groups`}
            options={groups}
            selected={iface.securityGroups ?? []}
            readOnly={readOnly}
            problem={problemWithin(problems, `interfaces[${index}].securityGroups`)}
            onChange={(next) => {
              const { securityGroups: _old, ...rest } = iface;
              setInterface(
                index,
                next.length > 0 ? { ...rest, securityGroups: next.map(asName) } : rest,
              );
            }}
          />
          <SelectField
            label={`Interface ${index} floating IP pool`}
            problem={
              problemAt(problems, `interfaces[${index}].floatingIp.pool`) ??
              problemAt(problems, `interfaces[${index}].floatingIp`)
            }
            value={iface.floatingIp?.pool ?? ""}
            options={withCurrent(iface.floatingIp?.pool, pools)}
            emptyOption="none"
            disabled={readOnly}
            onChange={(pool) => {
              const { floatingIp: _old, ...rest } = iface;
              setInterface(index, pool ? { ...rest, floatingIp: { pool: asName(pool) } } : rest);
            }}
          />
          {readOnly || workload.interfaces.length < 2 ? null : (
            <button
              type="button"
              className="small-button"
              onClick={() =>
                save(
                  { ...workload, interfaces: workload.interfaces.filter((_, i) => i !== index) },
                  "interfaces",
                )
              }
            >
              Remove interface {index}
            </button>
          )}
        </fieldset>
      ))}
      {readOnly || networks.length === 0 ? null : (
        <button
          type="button"
          className="small-button"
          onClick={() =>
            save(
              {
                ...workload,
                interfaces: [...workload.interfaces, { network: asName(networks[0] ?? "") }],
              },
              "interfaces",
            )
          }
        >
          + Add interface
        </button>
      )}
    </form>
  );
}

// ------------------------------------------------------------------------------------ policy

function PolicyForm({ policy, readOnly }: { policy: Policy; readOnly: boolean }) {
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

// ------------------------------------------------------------------------------------ services

function ServiceForm({ service, readOnly }: { service: Service; readOnly: boolean }) {
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

// ------------------------------------------------------------------------------------ router, pool, group

function RouterForm({ router, readOnly }: { router: Router; readOnly: boolean }) {
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

function PoolForm({ pool, readOnly }: { pool: FloatingIpPool; readOnly: boolean }) {
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
