import type { Problem } from "@netloom/model";
import { useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { failureOf } from "../errors";
import { TextField } from "../inspector/formParts";
import { useTRPC, useTRPCClient } from "../trpc";
import { announce, focusAfter } from "../ui/announce";
import { ConvergenceBadge } from "../ui/ConvergenceBadge";
import { ConfirmDialog } from "../ui/Dialog";
import { ProblemList, problemAt } from "../ui/Field";
import { useTenantHealth } from "./useTenantHealth";

/** Every tenant with object counts, convergence and its last change; the admin creates and deletes. */
export function TenantsSection({ admin }: { admin: boolean }) {
  const { pending, rows } = useTenantHealth();
  const [deleting, setDeleting] = useState<string | null>(null);
  const client = useTRPCClient();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [failure, setFailure] = useState<string | null>(null);
  return (
    <section aria-labelledby="tenants-heading">
      <h1 id="tenants-heading">Tenants</h1>
      {admin ? <CreateTenant /> : null}
      {pending ? <p className="muted">Loading…</p> : null}
      {failure ? (
        <div className="field-error" role="alert">
          {failure}
        </div>
      ) : null}
      <table className="data-table" aria-label="All tenants">
        <thead>
          <tr>
            <th scope="col">tenant</th>
            <th scope="col">generation</th>
            <th scope="col">networks</th>
            <th scope="col">workloads</th>
            <th scope="col">policies</th>
            <th scope="col">services</th>
            <th scope="col">convergence</th>
            <th scope="col">last change</th>
            <th scope="col">actions</th>
          </tr>
        </thead>
        <tbody>
          {rows.map((t) => (
            <tr key={t.id}>
              <th scope="row">{t.name}</th>
              <td className="num">{t.generation}</td>
              <td className="num">{t.detail?.used.networks ?? "…"}</td>
              <td className="num">{t.detail?.used.workloads ?? "…"}</td>
              <td className="num">{t.detail?.used.policies ?? "…"}</td>
              <td className="num">{t.detail?.used.services ?? "…"}</td>
              <td>
                <ConvergenceBadge convergence={t.convergence} />
              </td>
              <td className="small">
                {t.lastChange
                  ? `${new Date(t.lastChange.at).toLocaleString()} by ${t.lastChange.actor}`
                  : "never"}
              </td>
              <td className="row-actions">
                <a href={`#/operator/tenant/${encodeURIComponent(t.name)}`}>
                  View topology of {t.name} (read only)
                </a>
                {admin ? (
                  <button
                    type="button"
                    className="danger-button small-button"
                    onClick={() => setDeleting(t.name)}
                  >
                    Delete {t.name}
                  </button>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
      {deleting ? (
        <ConfirmDialog
          title={`Delete tenant ${deleting}?`}
          confirmLabel={`Delete ${deleting}`}
          danger
          onCancel={() => setDeleting(null)}
          onConfirm={async () => {
            const name = deleting;
            setDeleting(null);
            setFailure(null);
            try {
              await client.tenants.delete.mutate({ tenant: name });
              announce(`Deleted tenant ${name}.`);
              await queryClient.invalidateQueries(trpc.tenants.pathFilter());
              focusAfter("#tenants-heading");
            } catch (error) {
              setFailure(`Tenant ${name} not deleted: ${failureOf(error).message}`);
            }
          }}
        >
          <p>
            Every network, workload and policy of {deleting} is removed from the fabric. This cannot
            be undone.
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}

function CreateTenant() {
  const client = useTRPCClient();
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [problems, setProblems] = useState<Problem[]>([]);
  const [busy, setBusy] = useState(false);
  return (
    <form
      className="inline-form"
      aria-label="Create a tenant"
      onSubmit={async (event) => {
        event.preventDefault();
        setBusy(true);
        setProblems([]);
        try {
          const created = await client.tenants.create.mutate({ name: name.trim() });
          announce(`Created tenant ${created.name}.`);
          setName("");
          await queryClient.invalidateQueries(trpc.tenants.pathFilter());
        } catch (error) {
          const failure = failureOf(error);
          setProblems(
            failure.problems.length > 0
              ? [...failure.problems]
              : [{ path: "name", message: failure.message }],
          );
        } finally {
          setBusy(false);
        }
      }}
    >
      <TextField
        label="New tenant name"
        problem={problemAt(problems, "name")}
        value={name}
        placeholder="e.g. acme"
        onChange={setName}
      />
      <button type="submit" className="primary" disabled={busy || name.trim() === ""}>
        Create tenant
      </button>
      <ProblemList problems={problems.filter((p) => p.path !== "name")} />
    </form>
  );
}
