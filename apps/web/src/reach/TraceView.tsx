import type { Protocol } from "@netloom/model";
import { useQuery } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import type { CanvasApi } from "../canvas/canvasApi";
import { overlayStore } from "../canvas/overlay";
import { isDirty, useDraft } from "../draft/store";
import { failureOf } from "../errors";
import { useTRPC } from "../trpc";
import { Field, problemAt } from "../ui/Field";
import { type FlowForm, PROTOCOLS, type TraceResult } from "./flow";
import { traceOverlay } from "./traceOverlay";

/** Trace one flow with the controller and draw its path on the canvas. */
export function TraceView({
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
                name="from"
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
                name="to"
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
  name: string;
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

const NONE: never[] = [];
