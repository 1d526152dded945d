import type { RouterOutputs } from "@netloom/controller/types";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { failureOf } from "../errors";
import { useTRPC, useTRPCClient } from "../trpc";
import { announce } from "../ui/announce";
import { useTenantHealth } from "./useTenantHealth";

type TenantDetail = RouterOutputs["tenants"]["get"];
type QuotaName = keyof TenantDetail["quotas"];

/** Quotas against usage per tenant; the cloud admin changes a tenant's quotas in place. */
export function QuotasSection({ admin }: { admin: boolean }) {
  const { rows } = useTenantHealth();
  const details = rows.flatMap((row) => (row.detail ? [row.detail] : []));
  const keys = details[0] ? (Object.keys(details[0].quotas) as QuotaName[]) : [];
  const [editing, setEditing] = useState<string | null>(null);
  return (
    <section aria-labelledby="quotas-heading">
      <h1 id="quotas-heading">Quotas and usage</h1>
      <div className="table-scroll">
        <table className="data-table" aria-label="Quotas">
          <thead>
            <tr>
              <th scope="col">tenant</th>
              {keys.map((k) => (
                <th scope="col" key={k}>
                  {k}
                </th>
              ))}
              {admin ? <th scope="col">actions</th> : null}
            </tr>
          </thead>
          <tbody>
            {details.map((d) =>
              editing === d.name ? (
                <QuotaEditor key={d.id} detail={d} keys={keys} onDone={() => setEditing(null)} />
              ) : (
                <tr key={d.id}>
                  <th scope="row">{d.name}</th>
                  {keys.map((k) => (
                    <UsageCell key={k} used={d.used[k]} quota={d.quotas[k]} />
                  ))}
                  {admin ? (
                    <td>
                      <button
                        type="button"
                        className="small-button"
                        onClick={() => setEditing(d.name)}
                      >
                        Edit quotas of {d.name}
                      </button>
                    </td>
                  ) : null}
                </tr>
              ),
            )}
          </tbody>
        </table>
      </div>
    </section>
  );
}

function UsageCell({ used, quota }: { used: number; quota: number }) {
  const share = quota > 0 ? used / quota : 0;
  return (
    <td className="num">
      <div className="usage" title={`${used} of ${quota}`}>
        <span>
          {used}/{quota}
        </span>
        <span className="bar" aria-hidden="true">
          <span
            className={share > 0.9 ? "bad" : share > 0.7 ? "warn" : ""}
            style={{ width: `${Math.min(100, share * 100)}%` }}
          />
        </span>
      </div>
    </td>
  );
}

function QuotaEditor({
  detail,
  keys,
  onDone,
}: {
  detail: TenantDetail;
  keys: QuotaName[];
  onDone: () => void;
}) {
  const client = useTRPCClient();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [values, setValues] = useState<Record<string, string>>(() =>
    Object.fromEntries(keys.map((k) => [k, String(detail.quotas[k])])),
  );
  const [failure, setFailure] = useState<string | null>(null);
  const save = async () => {
    const quotas: Partial<Record<QuotaName, number>> = {};
    for (const k of keys) {
      const value = Number(values[k]);
      if (!Number.isInteger(value) || value < 0) {
        setFailure(`quotas.${k}: must be a whole number, 0 or more`);
        return;
      }
      if (value !== detail.quotas[k]) quotas[k] = value;
    }
    try {
      await client.tenants.setQuotas.mutate({ tenant: detail.name, quotas });
      announce(`Saved the quotas of ${detail.name}.`);
      await queryClient.invalidateQueries(trpc.tenants.pathFilter());
      onDone();
    } catch (error) {
      const f = failureOf(error);
      setFailure(
        f.problems.length > 0
          ? f.problems.map((p) => `${p.path}: ${p.message}`).join("; ")
          : f.message,
      );
    }
  };
  return (
    <tr className="editing">
      <th scope="row">{detail.name}</th>
      {keys.map((k) => (
        <td key={k}>
          <input
            className="quota-input"
            inputMode="numeric"
            aria-label={`${k} quota of ${detail.name} (uses ${detail.used[k]})`}
            value={values[k] ?? ""}
            onChange={(e) => setValues({ ...values, [k]: e.target.value })}
          />
        </td>
      ))}
      <td>
        <div className="row">
          <button type="button" className="primary small-button" onClick={() => void save()}>
            Save quotas
          </button>
          <button type="button" className="small-button" onClick={onDone}>
            Cancel
          </button>
        </div>
        {failure ? (
          <div className="field-error" role="alert">
            {failure}
          </div>
        ) : null}
      </td>
    </tr>
  );
}
