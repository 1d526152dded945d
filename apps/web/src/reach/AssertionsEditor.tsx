import { type Assertion, assertionSchema, type Protocol } from "@netloom/model";
import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { addObject, asName, freeName, removeObject, replaceObject } from "../draft/ops";
import { draftStore, useDraft } from "../draft/store";
import { problemsOfObject, useValidation } from "../draft/validation";
import { useTRPC } from "../trpc";
import { problemAt } from "../ui/Field";
import { PROTOCOLS } from "./flow";

// ------------------------------------------------------------------------------------ assertions

/**
 * Stored reachability assertions ("web-1 must reach db-1 on tcp/5432"): part of the intent,
 * so they are edited in the draft; the controller refuses any apply that would break one.
 */
export function AssertionsEditor({ tenant, readOnly }: { tenant: string; readOnly: boolean }) {
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

const NONE_A: Assertion[] = [];
