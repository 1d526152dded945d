import {
  assertNever,
  type FirewallRule,
  floatingIpPoolSchema,
  formatCidr,
  type IntentFile,
  networkSchema,
  type PolicyRule,
  type Problem,
  parseCidr,
  policySchema,
  prefixesOverlap,
  type ResourceKind,
  type ResourceSpecs,
  routerSchema,
  serviceSchema,
  workloadSchema,
} from "@netloom/model";
import { type ReactNode, useMemo, useState } from "react";
import type { z } from "zod";
import type { PaletteItem } from "../canvas/TopologyCanvas";
import { addObject, asName, connectionPolicy, freeName, listOf } from "../draft/ops";
import { pathOf, problemsUnder } from "../errors";
import { Dialog } from "../ui/Dialog";
import { ProblemList, problemAt } from "../ui/Field";
import { firewallRuleColumns, policyRuleColumns } from "./columns";
import { Checklist, ProtocolField, problemWithin, SelectField, TextField } from "./formParts";
import { RuleTable } from "./RuleTable";

/**
 * Checks a whole candidate document with the controller (a dry run); resolves to the problems,
 * empty when it would be accepted. Supplied by the workspace (the one place that calls the API).
 */
export type ValidateDocument = (doc: IntentFile) => Promise<Problem[]>;

/**
 * Parses `value` with the model's zod schema (the same one the procedure uses), then asks the
 * controller about the document with the object added. Problems come back relative to the
 * object (`subnets[0].cidr`) so the dialog shows each by its field.
 */
async function checkNewObject<K extends ResourceKind>(
  doc: IntentFile,
  kind: K,
  schema: z.ZodType<ResourceSpecs[K]>,
  value: unknown,
  validate: ValidateDocument,
  extra?: (candidate: IntentFile) => IntentFile,
): Promise<
  { ok: true; doc: IntentFile; object: ResourceSpecs[K] } | { ok: false; problems: Problem[] }
> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    return {
      ok: false,
      problems: parsed.error.issues.map((issue) => ({
        path: pathOf(issue.path),
        message: issue.message,
      })),
    };
  }
  if (listOf(doc, kind).some((item) => item.name === parsed.data.name)) {
    return {
      ok: false,
      problems: [{ path: "name", message: `${parsed.data.name} is already taken` }],
    };
  }
  let candidate = addObject(doc, kind, parsed.data);
  if (extra) candidate = extra(candidate);
  const index = listOf(candidate, kind).length - 1;
  let problems: Problem[];
  try {
    problems = await validate(candidate);
  } catch (error) {
    return {
      ok: false,
      problems: [{ path: "", message: `could not check with the controller: ${String(error)}` }],
    };
  }
  const own = problemsUnder(problems, `${kind}[${index}]`);
  if (own.length > 0) return { ok: false, problems: own };
  return { ok: true, doc: candidate, object: parsed.data };
}

/**
 * Busy state and problems of a create dialog. `submit` checks the new object (see
 * `checkNewObject`) and hands the document with it on, or keeps the problems to show.
 */
function useCreateSubmit({ doc, validate, onDone, onCancel }: CreateProps) {
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<Problem[]>([]);
  const submit = async <K extends ResourceKind>(
    kind: K,
    schema: z.ZodType<ResourceSpecs[K]>,
    value: unknown,
    extra?: (candidate: IntentFile) => IntentFile,
  ) => {
    setBusy(true);
    const result = await checkNewObject(doc, kind, schema, value, validate, extra);
    setBusy(false);
    if (result.ok) onDone(result.doc, result.object.name);
    else setProblems(result.problems);
  };
  /** What the dialog's `CreateForm` takes from here. */
  const frame = { busy, problems, onCancel };
  return { problems, submit, frame };
}

/**
 * The frame every create dialog shares: an optional intro, the name field (left out while
 * `name` is undefined), the dialog's own fields, then the problems none of them shows (once,
 * under the fields), then Cancel and the submit button.
 */
function CreateForm({
  title,
  wide,
  intro,
  name,
  submitLabel,
  busy,
  problems,
  shown,
  onSubmit,
  onCancel,
  children,
}: {
  title: string;
  wide?: boolean;
  intro?: ReactNode;
  name: { label?: string; value: string; onChange: (value: string) => void } | undefined;
  submitLabel: string;
  busy: boolean;
  problems: Problem[];
  /** Whether a field of the dialog (other than the name) shows the problem at this path. */
  shown: (path: string) => boolean;
  onSubmit: () => void | Promise<void>;
  onCancel: () => void;
  children?: ReactNode;
}) {
  return (
    <Dialog title={title} onClose={onCancel} wide={wide}>
      <form
        className="form"
        onSubmit={async (event) => {
          event.preventDefault();
          await onSubmit();
        }}
      >
        {intro}
        {name ? (
          <TextField
            label={name.label ?? "Name"}
            problem={problemAt(problems, "name")}
            value={name.value}
            onChange={name.onChange}
          />
        ) : null}
        {children}
        <ProblemList problems={problems.filter((p) => p.path !== "name" && !shown(p.path))} />
        <div className="dialog-buttons">
          <button type="button" onClick={onCancel}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy}>
            {busy ? "Checking…" : submitLabel}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/** Props every create dialog takes. */
interface CreateProps {
  doc: IntentFile;
  validate: ValidateDocument;
  onDone: (doc: IntentFile, name: string) => void;
  onCancel: () => void;
}

const NO_NETWORKS = "no networks yet";
const NO_EXTERNALS = "add an external network first";

// ------------------------------------------------------------------------------------ network

export function NetworkDialog(props: CreateProps & { external: boolean }) {
  const { doc, external } = props;
  const suggested = useMemo(() => suggestCidr(doc), [doc]);
  const [name, setName] = useState(() => freeName(doc, "networks", external ? "public" : "net"));
  const [cidr, setCidr] = useState(suggested);
  const [gateway, setGateway] = useState("");
  const { problems, submit, frame } = useCreateSubmit(props);
  const shown = ["subnets[0].cidr", "subnets", "subnets[0].gateway"];
  return (
    <CreateForm
      title={external ? "New external network" : "New network"}
      submitLabel="Add network"
      name={{ value: name, onChange: setName }}
      {...frame}
      shown={(path) => shown.includes(path)}
      onSubmit={() =>
        submit("networks", networkSchema, {
          name,
          ...(external ? { external: true } : {}),
          subnets: [{ cidr, ...(gateway ? { gateway } : {}) }],
        })
      }
    >
      <TextField
        label="CIDR"
        problem={problemAt(problems, "subnets[0].cidr") ?? problemAt(problems, "subnets")}
        value={cidr}
        placeholder="10.1.0.0/24"
        onChange={setCidr}
      />
      <TextField
        label="Gateway"
        problem={problemAt(problems, "subnets[0].gateway")}
        hint="empty: first host"
        value={gateway}
        onChange={setGateway}
      />
    </CreateForm>
  );
}

/**
 * The first 10.x.0.0/24 that overlaps none of this tenant's subnets: a sensible default, never
 * required. Overlap is the model's IPv4 arithmetic, so a 10.0.0.0/8 subnet rules every one out.
 */
export function suggestCidr(doc: IntentFile): string {
  const used = (doc.networks ?? []).flatMap((n) =>
    n.subnets.flatMap((s) => {
      const parsed = parseCidr(String(s.cidr));
      return parsed.ok ? [parsed.value] : [];
    }),
  );
  for (let i = 1; i < 256; i++) {
    const candidate = parseCidr(`10.${i}.0.0/24`);
    if (candidate.ok && !used.some((prefix) => prefixesOverlap(prefix, candidate.value))) {
      return formatCidr(candidate.value);
    }
  }
  return "10.0.0.0/24";
}

// ------------------------------------------------------------------------------------ workload

/** `network`: the network the workload was dropped on, chosen by default. */
export function WorkloadDialog(props: CreateProps & { network?: string }) {
  const { doc } = props;
  const networks = (doc.networks ?? []).map((n) => n.name as string);
  const [name, setName] = useState(() => freeName(doc, "workloads", "vm"));
  const [network, setNetwork] = useState(
    props.network && networks.includes(props.network) ? props.network : (networks[0] ?? ""),
  );
  const [ip, setIp] = useState("");
  const [node, setNode] = useState("");
  const { problems, submit, frame } = useCreateSubmit(props);
  const shown = ["interfaces[0].network", "interfaces", "interfaces[0].ip", "node"];
  return (
    <CreateForm
      title="New workload"
      submitLabel="Add workload"
      name={{ value: name, onChange: setName }}
      {...frame}
      shown={(path) => shown.includes(path)}
      onSubmit={() =>
        submit("workloads", workloadSchema, {
          name,
          ...(node ? { node } : {}),
          interfaces: [{ network, ...(ip ? { ip } : {}) }],
        })
      }
    >
      <SelectField
        label="Network"
        problem={problemAt(problems, "interfaces[0].network") ?? problemAt(problems, "interfaces")}
        value={network}
        options={networks}
        emptyOption={networks.length === 0 ? "add a network first" : undefined}
        onChange={setNetwork}
      />
      <TextField
        label="IP address"
        problem={problemAt(problems, "interfaces[0].ip")}
        hint="empty: allocated"
        value={ip}
        onChange={setIp}
      />
      <TextField
        label="Node"
        problem={problemAt(problems, "node")}
        hint="empty: the scheduler places it"
        value={node}
        onChange={setNode}
      />
    </CreateForm>
  );
}

// ------------------------------------------------------------------------------------ pool

export function PoolDialog(props: CreateProps) {
  const { doc } = props;
  const externals = (doc.networks ?? []).filter((n) => n.external).map((n) => n.name as string);
  const [name, setName] = useState(() => freeName(doc, "floatingIpPools", "public-pool"));
  const [network, setNetwork] = useState(externals[0] ?? "");
  const { problems, submit, frame } = useCreateSubmit(props);
  return (
    <CreateForm
      title="New floating IP pool"
      submitLabel="Add pool"
      name={{ value: name, onChange: setName }}
      {...frame}
      shown={(path) => path === "network"}
      onSubmit={() => submit("floatingIpPools", floatingIpPoolSchema, { name, network })}
    >
      <SelectField
        label="External network"
        problem={problemAt(problems, "network")}
        hint={externals.length === 0 ? NO_EXTERNALS : undefined}
        value={network}
        options={externals}
        onChange={setNetwork}
      />
    </CreateForm>
  );
}

// ------------------------------------------------------------------------------------ router

export function RouterDialog(props: CreateProps) {
  const { doc } = props;
  const networks = (doc.networks ?? []).map((n) => n.name as string);
  const [name, setName] = useState(() => freeName(doc, "routers", "r"));
  const [joined, setJoined] = useState<string[]>([]);
  const { problems, submit, frame } = useCreateSubmit(props);
  return (
    <CreateForm
      title="New router"
      submitLabel="Add router"
      name={{ value: name, onChange: setName }}
      {...frame}
      shown={(path) => path.startsWith("networks")}
      onSubmit={() => submit("routers", routerSchema, { name, networks: joined })}
    >
      <Checklist
        legend="Networks"
        options={networks}
        selected={joined}
        emptyText={NO_NETWORKS}
        onChange={setJoined}
        problem={problems.find((p) => p.path.startsWith("networks"))?.message}
      />
    </CreateForm>
  );
}

// ------------------------------------------------------------------------------------ services

type ServiceItem = Extract<PaletteItem, "firewall" | "load-balancer" | "nat" | "dns">;

/** Paths of a new service's problems that one of the dialog's fields shows. */
const SERVICE_FIELD =
  /^((network|vip|protocol|port|memberPort|members|inside|outside|domain|networks)(\[|$)|rules\[\d+\]\.)/;

/**
 * A new service. With `chainInto`, the service also joins that policy's service chain (a
 * firewall, LB or NAT dropped onto a policy edge).
 */
export function ServiceDialog(
  props: CreateProps & { type: ServiceItem; chainInto?: string | undefined },
) {
  const { doc, type, chainInto } = props;
  const networks = (doc.networks ?? []).filter((n) => !n.external).map((n) => n.name as string);
  const externals = (doc.networks ?? []).filter((n) => n.external).map((n) => n.name as string);
  const workloads = (doc.workloads ?? []).map((w) => w.name as string);
  const base = type === "load-balancer" ? "lb" : type === "firewall" ? "fw" : type;
  const [name, setName] = useState(() => freeName(doc, "services", base));
  const [network, setNetwork] = useState(networks[0] ?? "");
  const [vip, setVip] = useState("");
  const [port, setPort] = useState("80");
  const [memberPort, setMemberPort] = useState("8080");
  const [protocol, setProtocol] = useState<"tcp" | "udp">("tcp");
  const [members, setMembers] = useState<string[]>([]);
  const [inside, setInside] = useState<string[]>(networks.slice(0, 1));
  const [outside, setOutside] = useState(externals[0] ?? "");
  const [domain, setDomain] = useState(`${String(doc.tenant)}.internal`);
  const [served, setServed] = useState<string[]>(networks);
  const [firewallRules, setFirewallRules] = useState<FirewallRule[]>([
    { action: "allow", protocol: "any", source: "any", destination: "any" },
  ]);
  const { problems, submit, frame } = useCreateSubmit(props);
  const existingOfType = chainInto
    ? (doc.services ?? []).filter((s) => s.type === type).map((s) => s.name as string)
    : [];
  const [useExisting, setUseExisting] = useState("");

  const value = (): unknown => {
    switch (type) {
      case "firewall":
        return { name, type, rules: firewallRules };
      case "load-balancer":
        return {
          name,
          type,
          network,
          vip,
          protocol,
          port: Number(port),
          members,
          memberPort: Number(memberPort),
        };
      case "nat":
        return { name, type, inside, outside };
      case "dns":
        return { name, type, domain, networks: served };
      default:
        return assertNever(type, "service type");
    }
  };
  const title = `${chainInto ? "Chain" : "New"} ${type === "load-balancer" ? "load balancer" : type === "firewall" ? "firewall" : type.toUpperCase()}${chainInto ? ` into policy ${chainInto}` : ""}`;
  const fieldProblem = (path: string) => problemWithin(problems, path);
  return (
    <CreateForm
      title={title}
      wide={type === "firewall"}
      submitLabel={chainInto ? "Add to chain" : "Add service"}
      intro={
        existingOfType.length > 0 ? (
          <SelectField
            label="Use an existing service"
            problem={undefined}
            value={useExisting}
            options={existingOfType}
            emptyOption="no, create a new one"
            onChange={setUseExisting}
          />
        ) : null
      }
      // Picking an existing service hides the fields, and with them their problems.
      name={useExisting ? undefined : { value: name, onChange: setName }}
      {...frame}
      problems={useExisting ? [] : problems}
      shown={(path) => SERVICE_FIELD.test(path)}
      onSubmit={() => {
        if (chainInto && useExisting) {
          props.onDone(chain(doc, chainInto, useExisting), useExisting);
          return;
        }
        return submit("services", serviceSchema, value(), (candidate) =>
          chainInto ? chain(candidate, chainInto, name) : candidate,
        );
      }}
    >
      {useExisting ? null : (
        <>
          {type === "firewall" ? (
            <RuleTable
              caption="Firewall rules"
              rules={firewallRules}
              columns={firewallRuleColumns}
              problems={problems}
              readOnly={false}
              onChange={setFirewallRules}
              newRule={(): FirewallRule => ({
                action: "allow",
                protocol: "any",
                source: "any",
                destination: "any",
              })}
            />
          ) : null}
          {type === "load-balancer" ? (
            <>
              <SelectField
                label="Network"
                problem={fieldProblem("network")}
                value={network}
                options={networks}
                onChange={setNetwork}
              />
              <div className="row">
                <TextField
                  label="VIP"
                  problem={fieldProblem("vip")}
                  value={vip}
                  placeholder="10.1.0.100"
                  onChange={setVip}
                />
                <ProtocolField
                  problem={fieldProblem("protocol")}
                  value={protocol}
                  onChange={setProtocol}
                />
                <TextField
                  label="Port"
                  problem={fieldProblem("port")}
                  value={port}
                  inputMode="numeric"
                  onChange={setPort}
                />
                <TextField
                  label="Member port"
                  problem={fieldProblem("memberPort")}
                  value={memberPort}
                  inputMode="numeric"
                  onChange={setMemberPort}
                />
              </div>
              <Checklist
                legend="Members"
                options={workloads}
                selected={members}
                emptyText={NO_NETWORKS}
                onChange={setMembers}
                problem={fieldProblem("members")}
              />
            </>
          ) : null}
          {type === "nat" ? (
            <>
              <Checklist
                legend="Inside networks"
                options={networks}
                selected={inside}
                emptyText={NO_NETWORKS}
                onChange={setInside}
                problem={fieldProblem("inside")}
              />
              <SelectField
                label="Outside network"
                problem={fieldProblem("outside")}
                hint={externals.length === 0 ? NO_EXTERNALS : undefined}
                value={outside}
                options={externals}
                onChange={setOutside}
              />
            </>
          ) : null}
          {type === "dns" ? (
            <>
              <TextField
                label="Domain"
                problem={fieldProblem("domain")}
                value={domain}
                onChange={setDomain}
              />
              <Checklist
                legend="Networks served"
                options={networks}
                selected={served}
                emptyText={NO_NETWORKS}
                onChange={setServed}
                problem={fieldProblem("networks")}
              />
            </>
          ) : null}
        </>
      )}
    </CreateForm>
  );
}

function chain(doc: IntentFile, policy: string, service: string): IntentFile {
  const target = (doc.policies ?? []).find((p) => p.name === policy);
  if (!target) return doc;
  const rules = target.rules.map((rule): PolicyRule => {
    if (rule.action !== "allow") return rule;
    const services = rule.services ?? [];
    return services.includes(asName(service))
      ? rule
      : { ...rule, services: [...services, asName(service)] };
  });
  return {
    ...doc,
    policies: (doc.policies ?? []).map((p) => (p.name === policy ? { ...p, rules } : p)),
  };
}

// ------------------------------------------------------------------------------------ policy

/** Drawing an edge between two networks: a policy attached to both, rules set here. */
export function ConnectDialog(props: CreateProps & { a: string; b: string }) {
  const { doc, a, b } = props;
  const initial = useMemo(() => connectionPolicy(doc, a, b), [doc, a, b]);
  const [name, setName] = useState<string>(initial.name);
  const [rules, setRules] = useState<PolicyRule[]>(initial.rules);
  const { problems, submit, frame } = useCreateSubmit(props);
  return (
    <CreateForm
      title={`Connect ${a} and ${b}`}
      wide
      submitLabel="Create policy"
      intro={
        <p className="muted small">
          A policy attached to both networks. Traffic between them passes only when both networks'
          rule lists allow it; the first matching rule wins.
        </p>
      }
      name={{ label: "Policy name", value: name, onChange: setName }}
      {...frame}
      shown={(path) => /^rules\[\d+\]/.test(path)}
      onSubmit={() => submit("policies", policySchema, { name, attach: [a, b], rules })}
    >
      <RuleTable
        caption="Policy rules"
        rules={rules}
        columns={policyRuleColumns}
        problems={problems}
        readOnly={false}
        onChange={setRules}
        newRule={(): PolicyRule => ({
          action: "allow",
          protocol: "tcp",
          source: a,
          destination: b,
          direction: "<>",
        })}
      />
    </CreateForm>
  );
}
