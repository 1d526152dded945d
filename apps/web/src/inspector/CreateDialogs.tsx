import {
  type FirewallRule,
  floatingIpPoolSchema,
  type IntentFile,
  networkSchema,
  type PolicyRule,
  type Problem,
  policySchema,
  type ResourceKind,
  type ResourceSpecs,
  routerSchema,
  serviceSchema,
  workloadSchema,
} from "@netloom/model";
import { useMemo, useState } from "react";
import type { z } from "zod";
import type { PaletteItem } from "../canvas/TopologyCanvas";
import { addObject, asName, connectionPolicy, freeName, listOf } from "../draft/ops";
import { pathOf, problemsUnder } from "../errors";
import { Dialog } from "../ui/Dialog";
import { Field, ProblemList, problemAt } from "../ui/Field";
import { firewallRuleColumns, policyRuleColumns } from "./columns";
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

function useSubmit() {
  const [busy, setBusy] = useState(false);
  const [problems, setProblems] = useState<Problem[]>([]);
  return { busy, setBusy, problems, setProblems };
}

function DialogButtons({
  busy,
  label,
  onCancel,
}: {
  busy: boolean;
  label: string;
  onCancel: () => void;
}) {
  return (
    <div className="dialog-buttons">
      <button type="button" onClick={onCancel}>
        Cancel
      </button>
      <button type="submit" className="primary" disabled={busy}>
        {busy ? "Checking…" : label}
      </button>
    </div>
  );
}

/** Problems no field of the dialog shows (shown once, under the fields). */
function Rest({ problems, fields }: { problems: Problem[]; fields: string[] }) {
  return <ProblemList problems={problems.filter((p) => !fields.includes(p.path))} />;
}

// ------------------------------------------------------------------------------------ network

export function NetworkDialog({
  doc,
  external,
  validate,
  onDone,
  onCancel,
}: {
  doc: IntentFile;
  external: boolean;
  validate: ValidateDocument;
  onDone: (doc: IntentFile, name: string) => void;
  onCancel: () => void;
}) {
  const suggested = useMemo(() => suggestCidr(doc), [doc]);
  const [name, setName] = useState(() => freeName(doc, "networks", external ? "public" : "net"));
  const [cidr, setCidr] = useState(suggested);
  const [gateway, setGateway] = useState("");
  const { busy, setBusy, problems, setProblems } = useSubmit();
  return (
    <Dialog title={external ? "New external network" : "New network"} onClose={onCancel}>
      <form
        className="form"
        onSubmit={async (event) => {
          event.preventDefault();
          setBusy(true);
          const value = {
            name,
            ...(external ? { external: true } : {}),
            subnets: [{ cidr, ...(gateway ? { gateway } : {}) }],
          };
          const result = await checkNewObject(doc, "networks", networkSchema, value, validate);
          setBusy(false);
          if (result.ok) onDone(result.doc, result.object.name);
          else setProblems(result.problems);
        }}
      >
        <Field label="Name" problem={problemAt(problems, "name")}>
          {(props) => <input {...props} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field
          label="CIDR"
          problem={problemAt(problems, "subnets[0].cidr") ?? problemAt(problems, "subnets")}
        >
          {(props) => (
            <input
              {...props}
              value={cidr}
              placeholder="10.1.0.0/24"
              onChange={(e) => setCidr(e.target.value)}
            />
          )}
        </Field>
        <Field
          label="Gateway"
          problem={problemAt(problems, "subnets[0].gateway")}
          hint="empty: first host"
        >
          {(props) => (
            <input {...props} value={gateway} onChange={(e) => setGateway(e.target.value)} />
          )}
        </Field>
        <Rest
          problems={problems}
          fields={["name", "subnets[0].cidr", "subnets", "subnets[0].gateway"]}
        />
        <DialogButtons busy={busy} label="Add network" onCancel={onCancel} />
      </form>
    </Dialog>
  );
}

/** The next free 10.x.0.0/24 not used by this tenant: a sensible default, never required. */
export function suggestCidr(doc: IntentFile): string {
  const used = new Set(
    (doc.networks ?? []).flatMap((n) =>
      n.subnets.map((s) => String(s.cidr).split(".").slice(0, 2).join(".")),
    ),
  );
  for (let i = 1; i < 255; i++) if (!used.has(`10.${i}`)) return `10.${i}.0.0/24`;
  return "10.0.0.0/24";
}

// ------------------------------------------------------------------------------------ workload

export function WorkloadDialog({
  doc,
  validate,
  onDone,
  onCancel,
}: {
  doc: IntentFile;
  validate: ValidateDocument;
  onDone: (doc: IntentFile, name: string) => void;
  onCancel: () => void;
}) {
  const networks = (doc.networks ?? []).map((n) => n.name as string);
  const [name, setName] = useState(() => freeName(doc, "workloads", "vm"));
  const [network, setNetwork] = useState(networks[0] ?? "");
  const [ip, setIp] = useState("");
  const [node, setNode] = useState("");
  const { busy, setBusy, problems, setProblems } = useSubmit();
  return (
    <Dialog title="New workload" onClose={onCancel}>
      <form
        className="form"
        onSubmit={async (event) => {
          event.preventDefault();
          setBusy(true);
          const value = {
            name,
            ...(node ? { node } : {}),
            interfaces: [{ network, ...(ip ? { ip } : {}) }],
          };
          const result = await checkNewObject(doc, "workloads", workloadSchema, value, validate);
          setBusy(false);
          if (result.ok) onDone(result.doc, result.object.name);
          else setProblems(result.problems);
        }}
      >
        <Field label="Name" problem={problemAt(problems, "name")}>
          {(props) => <input {...props} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field
          label="Network"
          problem={
            problemAt(problems, "interfaces[0].network") ?? problemAt(problems, "interfaces")
          }
        >
          {(props) => (
            <select {...props} value={network} onChange={(e) => setNetwork(e.target.value)}>
              {networks.length === 0 ? <option value="">add a network first</option> : null}
              {networks.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Field
          label="IP address"
          problem={problemAt(problems, "interfaces[0].ip")}
          hint="empty: allocated"
        >
          {(props) => <input {...props} value={ip} onChange={(e) => setIp(e.target.value)} />}
        </Field>
        <Field
          label="Node"
          problem={problemAt(problems, "node")}
          hint="empty: the scheduler places it"
        >
          {(props) => <input {...props} value={node} onChange={(e) => setNode(e.target.value)} />}
        </Field>
        <Rest
          problems={problems}
          fields={["name", "interfaces[0].network", "interfaces", "interfaces[0].ip", "node"]}
        />
        <DialogButtons busy={busy} label="Add workload" onCancel={onCancel} />
      </form>
    </Dialog>
  );
}

// ------------------------------------------------------------------------------------ pool

export function PoolDialog({
  doc,
  validate,
  onDone,
  onCancel,
}: {
  doc: IntentFile;
  validate: ValidateDocument;
  onDone: (doc: IntentFile, name: string) => void;
  onCancel: () => void;
}) {
  const externals = (doc.networks ?? []).filter((n) => n.external).map((n) => n.name as string);
  const [name, setName] = useState(() => freeName(doc, "floatingIpPools", "public-pool"));
  const [network, setNetwork] = useState(externals[0] ?? "");
  const { busy, setBusy, problems, setProblems } = useSubmit();
  return (
    <Dialog title="New floating IP pool" onClose={onCancel}>
      <form
        className="form"
        onSubmit={async (event) => {
          event.preventDefault();
          setBusy(true);
          const result = await checkNewObject(
            doc,
            "floatingIpPools",
            floatingIpPoolSchema,
            { name, network },
            validate,
          );
          setBusy(false);
          if (result.ok) onDone(result.doc, result.object.name);
          else setProblems(result.problems);
        }}
      >
        <Field label="Name" problem={problemAt(problems, "name")}>
          {(props) => <input {...props} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <Field
          label="External network"
          problem={problemAt(problems, "network")}
          hint={externals.length === 0 ? "add an external network first" : undefined}
        >
          {(props) => (
            <select {...props} value={network} onChange={(e) => setNetwork(e.target.value)}>
              {externals.map((n) => (
                <option key={n} value={n}>
                  {n}
                </option>
              ))}
            </select>
          )}
        </Field>
        <Rest problems={problems} fields={["name", "network"]} />
        <DialogButtons busy={busy} label="Add pool" onCancel={onCancel} />
      </form>
    </Dialog>
  );
}

// ------------------------------------------------------------------------------------ router

export function RouterDialog({
  doc,
  validate,
  onDone,
  onCancel,
}: {
  doc: IntentFile;
  validate: ValidateDocument;
  onDone: (doc: IntentFile, name: string) => void;
  onCancel: () => void;
}) {
  const networks = (doc.networks ?? []).map((n) => n.name as string);
  const [name, setName] = useState(() => freeName(doc, "routers", "r"));
  const [joined, setJoined] = useState<string[]>([]);
  const { busy, setBusy, problems, setProblems } = useSubmit();
  return (
    <Dialog title="New router" onClose={onCancel}>
      <form
        className="form"
        onSubmit={async (event) => {
          event.preventDefault();
          setBusy(true);
          const result = await checkNewObject(
            doc,
            "routers",
            routerSchema,
            { name, networks: joined },
            validate,
          );
          setBusy(false);
          if (result.ok) onDone(result.doc, result.object.name);
          else setProblems(result.problems);
        }}
      >
        <Field label="Name" problem={problemAt(problems, "name")}>
          {(props) => <input {...props} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
        <NetworkChecklist
          legend="Networks"
          options={networks}
          selected={joined}
          onChange={setJoined}
          problem={problems.find((p) => p.path.startsWith("networks"))?.message}
        />
        <Rest
          problems={problems}
          fields={[
            "name",
            ...problems.filter((p) => p.path.startsWith("networks")).map((p) => p.path),
          ]}
        />
        <DialogButtons busy={busy} label="Add router" onCancel={onCancel} />
      </form>
    </Dialog>
  );
}

function NetworkChecklist({
  legend,
  options,
  selected,
  onChange,
  problem,
}: {
  legend: string;
  options: string[];
  selected: string[];
  onChange: (next: string[]) => void;
  problem?: string | undefined;
}) {
  return (
    <fieldset className={`checklist${problem ? " invalid" : ""}`}>
      <legend>{legend}</legend>
      {options.length === 0 ? <span className="muted small">no networks yet</span> : null}
      {options.map((option) => (
        <label key={option} className="check">
          <input
            type="checkbox"
            checked={selected.includes(option)}
            onChange={(e) =>
              onChange(
                e.target.checked ? [...selected, option] : selected.filter((s) => s !== option),
              )
            }
          />
          {option}
        </label>
      ))}
      {problem ? (
        <div className="field-error" role="alert">
          {problem}
        </div>
      ) : null}
    </fieldset>
  );
}

// ------------------------------------------------------------------------------------ services

type ServiceItem = Extract<PaletteItem, "firewall" | "load-balancer" | "nat" | "dns">;

/**
 * A new service. With `chainInto`, the service also joins that policy's service chain (a
 * firewall, LB or NAT dropped onto a policy edge).
 */
export function ServiceDialog({
  doc,
  type,
  chainInto,
  validate,
  onDone,
  onCancel,
}: {
  doc: IntentFile;
  type: ServiceItem;
  chainInto?: string | undefined;
  validate: ValidateDocument;
  onDone: (doc: IntentFile, name: string) => void;
  onCancel: () => void;
}) {
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
  const { busy, setBusy, problems, setProblems } = useSubmit();
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
    }
  };
  const title = `${chainInto ? "Chain" : "New"} ${type === "load-balancer" ? "load balancer" : type === "firewall" ? "firewall" : type.toUpperCase()}${chainInto ? ` into policy ${chainInto}` : ""}`;
  const fieldProblem = (path: string) =>
    problemAt(problems, path) ?? problems.find((p) => p.path.startsWith(`${path}[`))?.message;
  return (
    <Dialog title={title} onClose={onCancel} wide={type === "firewall"}>
      <form
        className="form"
        onSubmit={async (event) => {
          event.preventDefault();
          if (chainInto && useExisting) {
            onDone(chain(doc, chainInto, useExisting), useExisting);
            return;
          }
          setBusy(true);
          const result = await checkNewObject(
            doc,
            "services",
            serviceSchema,
            value(),
            validate,
            (candidate) => (chainInto ? chain(candidate, chainInto, name) : candidate),
          );
          setBusy(false);
          if (result.ok) onDone(result.doc, result.object.name);
          else setProblems(result.problems);
        }}
      >
        {existingOfType.length > 0 ? (
          <Field label="Use an existing service">
            {(props) => (
              <select
                {...props}
                value={useExisting}
                onChange={(e) => setUseExisting(e.target.value)}
              >
                <option value="">no, create a new one</option>
                {existingOfType.map((s) => (
                  <option key={s} value={s}>
                    {s}
                  </option>
                ))}
              </select>
            )}
          </Field>
        ) : null}
        {useExisting ? null : (
          <>
            <Field label="Name" problem={problemAt(problems, "name")}>
              {(props) => (
                <input {...props} value={name} onChange={(e) => setName(e.target.value)} />
              )}
            </Field>
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
                <Field label="Network" problem={fieldProblem("network")}>
                  {(props) => (
                    <select {...props} value={network} onChange={(e) => setNetwork(e.target.value)}>
                      {networks.map((n) => (
                        <option key={n} value={n}>
                          {n}
                        </option>
                      ))}
                    </select>
                  )}
                </Field>
                <div className="row">
                  <Field label="VIP" problem={fieldProblem("vip")}>
                    {(props) => (
                      <input
                        {...props}
                        value={vip}
                        placeholder="10.1.0.100"
                        onChange={(e) => setVip(e.target.value)}
                      />
                    )}
                  </Field>
                  <Field label="Protocol" problem={fieldProblem("protocol")}>
                    {(props) => (
                      <select
                        {...props}
                        value={protocol}
                        onChange={(e) => setProtocol(e.target.value === "udp" ? "udp" : "tcp")}
                      >
                        <option value="tcp">tcp</option>
                        <option value="udp">udp</option>
                      </select>
                    )}
                  </Field>
                  <Field label="Port" problem={fieldProblem("port")}>
                    {(props) => (
                      <input
                        {...props}
                        value={port}
                        inputMode="numeric"
                        onChange={(e) => setPort(e.target.value)}
                      />
                    )}
                  </Field>
                  <Field label="Member port" problem={fieldProblem("memberPort")}>
                    {(props) => (
                      <input
                        {...props}
                        value={memberPort}
                        inputMode="numeric"
                        onChange={(e) => setMemberPort(e.target.value)}
                      />
                    )}
                  </Field>
                </div>
                <NetworkChecklist
                  legend="Members"
                  options={workloads}
                  selected={members}
                  onChange={setMembers}
                  problem={fieldProblem("members")}
                />
              </>
            ) : null}
            {type === "nat" ? (
              <>
                <NetworkChecklist
                  legend="Inside networks"
                  options={networks}
                  selected={inside}
                  onChange={setInside}
                  problem={fieldProblem("inside")}
                />
                <Field
                  label="Outside network"
                  problem={fieldProblem("outside")}
                  hint={externals.length === 0 ? "add an external network first" : undefined}
                >
                  {(props) => (
                    <select {...props} value={outside} onChange={(e) => setOutside(e.target.value)}>
                      {externals.map((n) => (
                        <option key={n} value={n}>
                          {n}
                        </option>
                      ))}
                    </select>
                  )}
                </Field>
              </>
            ) : null}
            {type === "dns" ? (
              <>
                <Field label="Domain" problem={fieldProblem("domain")}>
                  {(props) => (
                    <input {...props} value={domain} onChange={(e) => setDomain(e.target.value)} />
                  )}
                </Field>
                <NetworkChecklist
                  legend="Networks served"
                  options={networks}
                  selected={served}
                  onChange={setServed}
                  problem={fieldProblem("networks")}
                />
              </>
            ) : null}
            <Rest
              problems={problems}
              fields={problems
                .filter(
                  (p) =>
                    p.path === "name" ||
                    /^(network|vip|protocol|port|memberPort|members|inside|outside|domain|networks)(\[|$)/.test(
                      p.path,
                    ) ||
                    /^rules\[\d+\]\./.test(p.path),
                )
                .map((p) => p.path)}
            />
          </>
        )}
        <DialogButtons
          busy={busy}
          label={chainInto ? "Add to chain" : "Add service"}
          onCancel={onCancel}
        />
      </form>
    </Dialog>
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
export function ConnectDialog({
  doc,
  a,
  b,
  validate,
  onDone,
  onCancel,
}: {
  doc: IntentFile;
  a: string;
  b: string;
  validate: ValidateDocument;
  onDone: (doc: IntentFile, name: string) => void;
  onCancel: () => void;
}) {
  const initial = useMemo(() => connectionPolicy(doc, a, b), [doc, a, b]);
  const [name, setName] = useState<string>(initial.name);
  const [rules, setRules] = useState<PolicyRule[]>(initial.rules);
  const { busy, setBusy, problems, setProblems } = useSubmit();
  return (
    <Dialog title={`Connect ${a} and ${b}`} onClose={onCancel} wide>
      <form
        className="form"
        onSubmit={async (event) => {
          event.preventDefault();
          setBusy(true);
          const result = await checkNewObject(
            doc,
            "policies",
            policySchema,
            { name, attach: [a, b], rules },
            validate,
          );
          setBusy(false);
          if (result.ok) onDone(result.doc, result.object.name);
          else setProblems(result.problems);
        }}
      >
        <p className="muted small">
          A policy attached to both networks. Traffic between them passes only when both networks'
          rule lists allow it; the first matching rule wins.
        </p>
        <Field label="Policy name" problem={problemAt(problems, "name")}>
          {(props) => <input {...props} value={name} onChange={(e) => setName(e.target.value)} />}
        </Field>
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
        <Rest
          problems={problems}
          fields={problems
            .filter((p) => p.path === "name" || /^rules\[\d+\]/.test(p.path))
            .map((p) => p.path)}
        />
        <DialogButtons busy={busy} label="Create policy" onCancel={onCancel} />
      </form>
    </Dialog>
  );
}
