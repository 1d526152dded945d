import { expandMatrix } from "@netloom/compiler";
import type { RouterOutputs } from "@netloom/controller/types";
import { type Assertion, assertionSchema, type IntentFile, type Protocol } from "@netloom/model";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useMemo, useState } from "react";
import { nodeId, policyEdgeId } from "../canvas/graph";
import { overlayStore, type TraceOverlay, useOverlay } from "../canvas/overlay";
import type { CanvasApi } from "../canvas/TopologyCanvas";
import { addObject, asName, freeName, removeObject, replaceObject } from "../draft/ops";
import { draftStore, isDirty, useDraft } from "../draft/store";
import { problemsOfObject, useValidation } from "../draft/validation";
import { failureOf } from "../errors";
import { useTRPC } from "../trpc";
import { Field, problemAt } from "../ui/Field";

type TraceResult = RouterOutputs["reach"]["trace"];
type Matrix = RouterOutputs["reach"]["matrix"];

const PROTOCOLS: readonly Protocol[] = ["tcp", "udp", "icmp", "any"];

/**
 * Reachability, always answered by the controller (the compiled model), never decided here:
 * trace one flow and draw it on the canvas, the all-pairs matrix, and the stored assertions.
 */
export function ReachPanel({
  tenant,
  readOnly,
  canvas,
}: {
  tenant: string;
  readOnly: boolean;
  canvas: React.RefObject<CanvasApi | null>;
}) {
  const [view, setView] = useState<"trace" | "matrix" | "assertions">("trace");
  const [flow, setFlow] = useState<FlowForm>({ from: "", to: "", protocol: "tcp", port: "" });
  return (
    <div className="reach">
      <fieldset className="segmented" aria-label="Reachability view">
        {(["trace", "matrix", "assertions"] as const).map((v) => (
          <button
            key={v}
            type="button"
            aria-pressed={view === v}
            className={view === v ? "active" : ""}
            onClick={() => setView(v)}
          >
            {v === "trace" ? "Trace" : v === "matrix" ? "Matrix" : "Assertions"}
          </button>
        ))}
      </fieldset>
      {view === "trace" ? (
        <TraceView tenant={tenant} flow={flow} setFlow={setFlow} canvas={canvas} />
      ) : null}
      {view === "matrix" ? (
        <MatrixView
          tenant={tenant}
          onPick={(next) => {
            setFlow(next);
            setView("trace");
          }}
        />
      ) : null}
      {view === "assertions" ? <AssertionsEditor tenant={tenant} readOnly={readOnly} /> : null}
    </div>
  );
}

interface FlowForm {
  from: string;
  to: string;
  protocol: Protocol;
  port: string;
}

function TraceView({
  tenant,
  flow,
  setFlow,
  canvas,
}: {
  tenant: string;
  flow: FlowForm;
  setFlow: (f: FlowForm) => void;
  canvas: React.RefObject<CanvasApi | null>;
}) {
  const trpc = useTRPC();
  const workloads = useDraft((s) => s.doc?.workloads ?? NONE);
  const dirty = useDraft(isDirty);
  const doc = useDraft((s) => s.base);
  const [asked, setAsked] = useState<FlowForm | null>(null);
  const generation = useDraft((s) => s.baseGeneration);
  const port = asked?.port ? Number(asked.port) : undefined;
  const query = useQuery({
    ...trpc.reach.trace.queryOptions({
      tenant,
      from: asked?.from ?? "-",
      to: asked?.to ?? "-",
      protocol: asked?.protocol ?? "tcp",
      ...(port !== undefined ? { port } : {}),
    }),
    // A committed change invalidates every reach query (useTenantDocument), so this re-traces.
    enabled: asked !== null && asked.from !== "" && asked.to !== "",
  });
  const result = query.data;
  const failure = query.error ? failureOf(query.error) : null;

  useEffect(() => {
    if (!result || !asked || !doc) {
      overlayStore.patch({ trace: null });
      return;
    }
    const overlay = traceOverlay(doc, asked, result);
    overlayStore.patch({ trace: overlay });
    canvas.current?.fitNodes(overlay.nodes);
  }, [result, asked, doc, canvas]);
  useEffect(() => () => overlayStore.patch({ trace: null }), []);

  const names = workloads.map((w) => w.name as string);
  return (
    <div className="trace">
      <form
        className="form trace-form"
        aria-label="Trace a flow"
        onSubmit={(event) => {
          event.preventDefault();
          setAsked({ ...flow });
        }}
      >
        <div className="row">
          <Field label="From" problem={failure ? problemAt(failure.problems, "from") : undefined}>
            {(props) => (
              <EndInput
                {...props}
                value={flow.from}
                names={names}
                onChange={(from) => setFlow({ ...flow, from })}
                listId="trace-ends"
              />
            )}
          </Field>
          <Field label="To" problem={failure ? problemAt(failure.problems, "to") : undefined}>
            {(props) => (
              <EndInput
                {...props}
                value={flow.to}
                names={names}
                onChange={(to) => setFlow({ ...flow, to })}
                listId="trace-ends"
              />
            )}
          </Field>
        </div>
        <div className="row">
          <Field label="Protocol">
            {(props) => (
              <select
                {...props}
                value={flow.protocol}
                onChange={(e) => setFlow({ ...flow, protocol: e.target.value as Protocol })}
              >
                {PROTOCOLS.map((p) => (
                  <option key={p} value={p}>
                    {p}
                  </option>
                ))}
              </select>
            )}
          </Field>
          <Field label="Port" problem={failure ? problemAt(failure.problems, "port") : undefined}>
            {(props) => (
              <input
                {...props}
                value={flow.port}
                inputMode="numeric"
                placeholder={
                  flow.protocol === "tcp" || flow.protocol === "udp" ? "e.g. 5432" : "n/a"
                }
                disabled={flow.protocol !== "tcp" && flow.protocol !== "udp"}
                onChange={(e) => setFlow({ ...flow, port: e.target.value })}
              />
            )}
          </Field>
        </div>
        <datalist id="trace-ends">
          {names.map((n) => (
            <option key={n} value={n} />
          ))}
        </datalist>
        <div className="row">
          <button type="submit" className="primary" disabled={!flow.from || !flow.to}>
            Trace
          </button>
          <button
            type="submit"
            disabled={!flow.from || !flow.to}
            title="Trace and show the rule that decides"
          >
            Why can't {flow.from || "A"} reach {flow.to || "B"}?
          </button>
        </div>
        {dirty ? (
          <p className="muted small">
            Traces the applied intent (generation {generation}); your draft is not applied yet.
          </p>
        ) : null}
      </form>
      {query.isFetching ? <p className="muted">Tracing…</p> : null}
      {failure?.problems.every((p) => !["from", "to", "port"].includes(p.path)) ? (
        <div className="field-error" role="alert">
          {failure.message}
        </div>
      ) : null}
      {result ? <TraceResultView result={result} /> : null}
    </div>
  );
}

function EndInput({
  value,
  names,
  onChange,
  listId,
  ...props
}: {
  id: string;
  "aria-invalid": boolean;
  "aria-describedby": string | undefined;
  value: string;
  names: string[];
  onChange: (v: string) => void;
  listId: string;
}) {
  void names;
  return (
    <input
      {...props}
      list={listId}
      value={value}
      placeholder="workload or IPv4"
      onChange={(e) => onChange(e.target.value)}
    />
  );
}

function TraceResultView({ result }: { result: TraceResult }) {
  const rule = "rule" in result && typeof result.rule === "string" ? result.rule : undefined;
  return (
    <section className={`verdict verdict-${result.verdict}`} aria-label="Trace result">
      <div className="verdict-head">
        <span className={`verdict-pill ${result.verdict}`} role="status">
          {result.verdict === "allow" ? "ALLOW" : "DENY"}
        </span>
        <span className="verdict-reason">{result.reason}</span>
      </div>
      {rule ? (
        <div className="deciding">
          Deciding rule: <code>{rule}</code>
        </div>
      ) : null}
      <ol className="hops" aria-label="Hops">
        {result.hops.map((hop, index) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: hops are an ordered path
          <li key={index} className={hop.rule && hop.rule === rule ? "decided" : ""}>
            <span className="hop-node">{hop.node}</span>
            <span className="hop-step">{hop.step}</span>
            {hop.rule ? <code className="hop-rule">{hop.rule}</code> : null}
            {hop.detail ? <span className="muted small">{hop.detail}</span> : null}
          </li>
        ))}
      </ol>
    </section>
  );
}

/**
 * Where the trace runs on the canvas. The verdict, hops and deciding rule come from the
 * controller; this only maps them onto the drawn objects (the ends' interfaces, the policy
 * edge, chained services, the router) and marks where the decision fell.
 */
export function traceOverlay(doc: IntentFile, flow: FlowForm, result: TraceResult): TraceOverlay {
  const nodes: string[] = [];
  const edges: string[] = [];
  const workload = (name: string) => (doc.workloads ?? []).find((w) => w.name === name);
  const from = workload(flow.from);
  const to = workload(flow.to);
  const toNetworks = new Set((to?.interfaces ?? []).map((i) => i.network as string));
  const fromNetworks = new Set((from?.interfaces ?? []).map((i) => i.network as string));
  const fromIndex = Math.max(0, from?.interfaces.findIndex((i) => toNetworks.has(i.network)) ?? 0);
  const toIndex = Math.max(0, to?.interfaces.findIndex((i) => fromNetworks.has(i.network)) ?? 0);
  const fromNet = from?.interfaces[fromIndex]?.network as string | undefined;
  const toNet = to?.interfaces[toIndex]?.network as string | undefined;
  if (from) {
    nodes.push(nodeId.workload(from.name));
    edges.push(`if:${from.name}/${fromIndex}`);
  }
  if (fromNet) nodes.push(nodeId.network(fromNet));
  const rule = "rule" in result && typeof result.rule === "string" ? result.rule : lastRule(result);
  let decidedAt: string | null = null;
  if (fromNet && toNet && fromNet !== toNet) {
    for (const policy of doc.policies ?? []) {
      if (policy.attach.includes(asName(fromNet)) && policy.attach.includes(asName(toNet))) {
        const [a, b] =
          policy.attach.indexOf(asName(fromNet)) < policy.attach.indexOf(asName(toNet))
            ? [fromNet, toNet]
            : [toNet, fromNet];
        const id = policyEdgeId(policy.name, a, b);
        edges.push(id);
        if (rule?.startsWith(`policy:${policy.name}/`)) decidedAt = id;
      }
    }
    for (const router of doc.routers ?? []) {
      if (router.networks.includes(asName(fromNet)) && router.networks.includes(asName(toNet))) {
        nodes.push(nodeId.router(router.name));
        edges.push(`rtr:${router.name}:${fromNet}`, `rtr:${router.name}:${toNet}`);
      }
    }
  }
  for (const hop of result.hops) {
    const service = /^(?:firewall|service) (.+)$/.exec(hop.step)?.[1];
    if (service) nodes.push(nodeId.service(service));
  }
  if (toNet) nodes.push(nodeId.network(toNet));
  if (to) {
    nodes.push(nodeId.workload(to.name));
    edges.push(`if:${to.name}/${toIndex}`);
  }
  if (!decidedAt && rule) {
    const [kind, rest = ""] = rule.split(":");
    const name = rest.split("/")[0] ?? "";
    if (kind === "firewall") decidedAt = nodeId.service(name);
    else if (kind === "router") decidedAt = nodeId.router(name);
    else if (kind === "policy" && fromNet) decidedAt = nodeId.network(fromNet);
    else if (rule.startsWith("implicit:no-match:"))
      decidedAt = nodeId.network(rule.slice("implicit:no-match:".length));
    else if (kind === "sg" || rule.startsWith("implicit:sg-default:")) {
      const egress = result.hops.some((h) => h.rule === rule && h.step.startsWith("egress"));
      decidedAt =
        egress && from ? nodeId.workload(from.name) : to ? nodeId.workload(to.name) : null;
    }
  }
  return { verdict: result.verdict, nodes, edges, decidedAt, rule: rule ?? null };
}

function lastRule(result: TraceResult): string | undefined {
  for (let i = result.hops.length - 1; i >= 0; i--) {
    const rule = result.hops[i]?.rule;
    if (rule) return rule;
  }
  return undefined;
}

// ------------------------------------------------------------------------------------ matrix

function flowLabel(flow: Matrix["flows"][number]): string {
  if (flow.port === undefined) return flow.protocol;
  const to = flow.portTo ?? flow.port;
  return to === flow.port ? `${flow.protocol}/${flow.port}` : `${flow.protocol}/${flow.port}-${to}`;
}

function MatrixView({ tenant, onPick }: { tenant: string; onPick: (flow: FlowForm) => void }) {
  const trpc = useTRPC();
  const matrix = useQuery(trpc.reach.matrix.queryOptions({ tenant }));
  const [flowIndex, setFlowIndex] = useState(-1);
  // The controller answers the compressed matrix (classes); the table draws every pair.
  const data = useMemo(() => (matrix.data ? expandMatrix(matrix.data) : undefined), [matrix.data]);
  if (matrix.isPending) return <p className="muted">Computing the matrix…</p>;
  if (matrix.error)
    return (
      <div className="field-error" role="alert">
        {matrix.error.message}
      </div>
    );
  if (!data || data.workloads.length === 0) return <p className="muted">No workloads yet.</p>;
  const cellText = (cell: number[]) =>
    flowIndex < 0
      ? cell.length === 0
        ? "–"
        : String(cell.length)
      : cell.includes(flowIndex)
        ? "✓"
        : "✕";
  const cellClass = (cell: number[]) => {
    if (flowIndex >= 0) return cell.includes(flowIndex) ? "allow" : "deny";
    if (cell.length === 0) return "deny";
    return cell.length === data.flows.length ? "allow" : "partial";
  };
  return (
    <div className="matrix">
      <label className="inline">
        Flow{" "}
        <select
          aria-label="Matrix flow"
          value={flowIndex}
          onChange={(e) => setFlowIndex(Number(e.target.value))}
        >
          <option value={-1}>all flows (count allowed of {data.flows.length})</option>
          {data.flows.map((f, i) => (
            <option key={flowLabel(f)} value={i}>
              {flowLabel(f)}
            </option>
          ))}
        </select>
      </label>
      <div className="matrix-scroll">
        <table className="matrix-table" aria-label="Reachability matrix">
          <thead>
            <tr>
              <th scope="col">from \ to</th>
              {data.workloads.map((w) => (
                <th scope="col" key={w} className="rot">
                  <span>{w}</span>
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {data.workloads.map((from, i) => (
              <tr key={from}>
                <th scope="row">{from}</th>
                {data.workloads.map((to, j) => {
                  const cell = data.allowed[i]?.[j] ?? [];
                  const flow = data.flows[flowIndex >= 0 ? flowIndex : (cell[0] ?? 0)];
                  return (
                    <td key={to} className={`mcell ${i === j ? "self" : cellClass(cell)}`}>
                      {i === j ? (
                        ""
                      ) : (
                        <button
                          type="button"
                          aria-label={`${from} to ${to}: ${cell.map((k) => (data.flows[k] ? flowLabel(data.flows[k]) : "")).join(", ") || "nothing allowed"}`}
                          title={
                            cell
                              .map((k) => (data.flows[k] ? flowLabel(data.flows[k]) : ""))
                              .join(", ") || "nothing allowed"
                          }
                          onClick={() =>
                            onPick({
                              from,
                              to,
                              protocol: (flow?.protocol as Protocol | undefined) ?? "tcp",
                              port: flow?.port !== undefined ? String(flow.port) : "",
                            })
                          }
                        >
                          {cellText(cell)}
                        </button>
                      )}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      <p className="muted small">
        Flows are the protocol/ports the tenant's rules mention. Click a cell to trace it.
      </p>
    </div>
  );
}

// ------------------------------------------------------------------------------------ assertions

/**
 * Stored reachability assertions ("web-1 must reach db-1 on tcp/5432"): part of the intent,
 * so they are edited in the draft; the controller refuses any apply that would break one.
 */
function AssertionsEditor({ tenant, readOnly }: { tenant: string; readOnly: boolean }) {
  const assertions = useDraft((s) => s.doc?.assertions ?? NONE_A);
  const validation = useValidation((s) => s);
  const trpc = useTRPC();
  const base = useDraft((s) => s.base?.assertions ?? NONE_A);
  const check = useQuery({
    ...trpc.reach.check.queryOptions({
      tenant,
      expect: base.map(({ from, to, protocol, port, verdict }) => ({
        from,
        to,
        protocol,
        verdict,
        ...(port !== undefined ? { port } : {}),
      })),
    }),
    enabled: base.length > 0,
  });
  const failing = useMemo(() => {
    const set = new Set<string>();
    for (const m of check.data?.mismatches ?? [])
      set.add(`${m.from}|${m.to}|${m.protocol}|${m.port ?? ""}`);
    return set;
  }, [check.data]);
  const set = (name: string, next: Assertion) =>
    draftStore.edit((doc) => replaceObject(doc, "assertions", name, next), `assertions/${name}`);
  return (
    <div className="assertions">
      <table className="rule-table" aria-label="Assertions">
        <thead>
          <tr>
            <th scope="col">name</th>
            <th scope="col">from</th>
            <th scope="col">to</th>
            <th scope="col">proto</th>
            <th scope="col">port</th>
            <th scope="col">must</th>
            <th scope="col">now</th>
            {readOnly ? null : <th scope="col" aria-label="actions" />}
          </tr>
        </thead>
        <tbody>
          {assertions.map((a) => {
            const problems = problemsOfObject(validation, "assertions", a.name);
            const stored = base.some((b) => b.name === a.name);
            const ok = !failing.has(`${a.from}|${a.to}|${a.protocol}|${a.port ?? ""}`);
            return (
              <tr key={a.name}>
                {(["name", "from", "to"] as const).map((key) => (
                  <td key={key}>
                    <input
                      aria-label={`Assertion ${a.name} ${key}`}
                      value={a[key]}
                      readOnly={readOnly}
                      aria-invalid={Boolean(problemAt(problems, key))}
                      onChange={(e) => {
                        set(a.name, {
                          ...a,
                          [key]: key === "name" ? asName(e.target.value) : e.target.value,
                        });
                        if (key === "name") draftStore.select(null);
                      }}
                    />
                    {problemAt(problems, key) ? (
                      <div className="field-error" role="alert">
                        {problemAt(problems, key)}
                      </div>
                    ) : null}
                  </td>
                ))}
                <td>
                  <select
                    aria-label={`Assertion ${a.name} protocol`}
                    value={a.protocol}
                    disabled={readOnly}
                    onChange={(e) => set(a.name, { ...a, protocol: e.target.value as Protocol })}
                  >
                    {PROTOCOLS.map((p) => (
                      <option key={p} value={p}>
                        {p}
                      </option>
                    ))}
                  </select>
                </td>
                <td>
                  <input
                    aria-label={`Assertion ${a.name} port`}
                    value={a.port ?? ""}
                    readOnly={readOnly}
                    style={{ width: 60 }}
                    onChange={(e) => {
                      const { port: _p, ...rest } = a;
                      set(
                        a.name,
                        e.target.value ? { ...rest, port: Number(e.target.value) } : rest,
                      );
                    }}
                  />
                  {problemAt(problems, "port") ? (
                    <div className="field-error" role="alert">
                      {problemAt(problems, "port")}
                    </div>
                  ) : null}
                </td>
                <td>
                  <select
                    aria-label={`Assertion ${a.name} verdict`}
                    value={a.verdict}
                    disabled={readOnly}
                    onChange={(e) =>
                      set(a.name, { ...a, verdict: e.target.value === "deny" ? "deny" : "allow" })
                    }
                  >
                    <option value="allow">allow</option>
                    <option value="deny">deny</option>
                  </select>
                </td>
                <td>
                  {stored ? (
                    check.isPending ? (
                      "…"
                    ) : (
                      <span className={ok ? "ok" : "bad"}>{ok ? "holds" : "broken"}</span>
                    )
                  ) : (
                    <span className="muted small">draft</span>
                  )}
                </td>
                {readOnly ? null : (
                  <td>
                    <button
                      type="button"
                      className="icon-button"
                      aria-label={`Remove assertion ${a.name}`}
                      onClick={() =>
                        draftStore.edit((doc) => removeObject(doc, "assertions", a.name))
                      }
                    >
                      ×
                    </button>
                  </td>
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
      {readOnly ? null : (
        <button
          type="button"
          className="small-button"
          onClick={() => {
            const doc = draftStore.getState().doc;
            if (!doc) return;
            const names = (doc.workloads ?? []).map((w) => w.name as string);
            const parsed = assertionSchema.safeParse({
              name: freeName(doc, "assertions", "must-reach"),
              from: names[0] ?? "a",
              to: names[1] ?? names[0] ?? "b",
              protocol: "tcp",
              port: 443,
              verdict: "allow",
            });
            if (parsed.success) draftStore.edit((d) => addObject(d, "assertions", parsed.data));
          }}
        >
          + Add assertion
        </button>
      )}
      <p className="muted small">
        Assertions are checked before every apply: a change that breaks one is refused.
      </p>
    </div>
  );
}

const NONE: never[] = [];
const NONE_A: Assertion[] = [];

/** The current trace's verdict, for status bars. */
export function useTraceVerdict() {
  return useOverlay((s) => s.trace?.verdict ?? null);
}
