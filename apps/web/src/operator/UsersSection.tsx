import type { Problem } from "@netloom/model";
import { useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { failureOf } from "../errors";
import { SelectField, TextField } from "../inspector/formParts";
import { useTRPC, useTRPCClient } from "../trpc";
import { announce } from "../ui/announce";
import { ProblemList, problemAt } from "../ui/Field";

const TENANT_ROLES = ["tenant_admin", "tenant_viewer"] as const;
type TenantRole = (typeof TENANT_ROLES)[number];
const GLOBAL_ROLES = ["none", "cloud_admin", "cloud_viewer"] as const;
type GlobalRole = (typeof GLOBAL_ROLES)[number];

function isTenantRole(value: string): value is TenantRole {
  return (TENANT_ROLES as readonly string[]).includes(value);
}
function isGlobalRole(value: string): value is GlobalRole {
  return (GLOBAL_ROLES as readonly string[]).includes(value);
}

const roleWords = (role: string) => role.replace("_", " ");

/** Problems of a failed call, each under its field (or the form when it names none). */
function problemsOf(error: unknown): Problem[] {
  const failure = failureOf(error);
  return failure.problems.length > 0
    ? [...failure.problems]
    : [{ path: "", message: failure.message }];
}

/**
 * Users and their roles. The cloud admin creates a user with an initial password (handed over
 * out of band: the invitation), grants a role in a tenant and revokes it.
 */
export function UsersSection({ admin }: { admin: boolean }) {
  const trpc = useTRPC();
  const users = useQuery({ ...trpc.users.list.queryOptions(), enabled: admin });
  if (!admin) {
    return (
      <section aria-labelledby="users-heading">
        <h1 id="users-heading">Users and roles</h1>
        <p className="muted">Only a cloud admin manages users and roles.</p>
      </section>
    );
  }
  return (
    <section aria-labelledby="users-heading">
      <h1 id="users-heading">Users and roles</h1>
      <div className="operator-forms">
        <CreateUser />
        <GrantRole />
      </div>
      {users.error ? (
        <div className="field-error" role="alert">
          {failureOf(users.error).message}
        </div>
      ) : null}
      <table className="data-table" aria-label="Users">
        <thead>
          <tr>
            <th scope="col">email</th>
            <th scope="col">name</th>
            <th scope="col">cloud role</th>
            <th scope="col">tenant roles</th>
          </tr>
        </thead>
        <tbody>
          {(users.data ?? []).map((user) => (
            <tr key={user.id}>
              <th scope="row">{user.email}</th>
              <td>{user.displayName}</td>
              <td>{roleWords(user.globalRole)}</td>
              <td>
                {user.memberships.length === 0 ? <span className="muted">none</span> : null}
                <ul className="role-list">
                  {user.memberships.map((m) => (
                    <li key={m.tenant}>
                      {roleWords(m.role)} of <strong>{m.tenant}</strong>{" "}
                      <RevokeButton email={user.email} tenant={m.tenant} />
                    </li>
                  ))}
                </ul>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}

function useRefreshUsers() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries(trpc.users.pathFilter());
}

function RevokeButton({ email, tenant }: { email: string; tenant: string }) {
  const client = useTRPCClient();
  const refresh = useRefreshUsers();
  return (
    <button
      type="button"
      className="small-button"
      onClick={async () => {
        try {
          await client.users.grant.mutate({ email, tenant, role: null });
          announce(`Revoked ${email}'s role in ${tenant}.`);
          await refresh();
        } catch (error) {
          announce(`Role not revoked: ${failureOf(error).message}`);
        }
      }}
    >
      Revoke {email} from {tenant}
    </button>
  );
}

function CreateUser() {
  const client = useTRPCClient();
  const refresh = useRefreshUsers();
  const [email, setEmail] = useState("");
  const [displayName, setDisplayName] = useState("");
  const [password, setPassword] = useState("");
  const [globalRole, setGlobalRole] = useState<GlobalRole>("none");
  const [problems, setProblems] = useState<Problem[]>([]);
  return (
    <form
      className="operator-form"
      aria-labelledby="create-user-heading"
      onSubmit={async (event) => {
        event.preventDefault();
        setProblems([]);
        try {
          const user = await client.users.create.mutate({
            email: email.trim(),
            displayName: displayName.trim() || email.trim(),
            ...(password ? { password } : {}),
            globalRole,
          });
          announce(`Created user ${user.email}. Hand them their initial password to sign in.`);
          setEmail("");
          setDisplayName("");
          setPassword("");
          await refresh();
        } catch (error) {
          setProblems(problemsOf(error));
        }
      }}
    >
      <h2 id="create-user-heading">Create or invite a user</h2>
      <TextField
        label="Email"
        problem={problemAt(problems, "email")}
        value={email}
        onChange={setEmail}
      />
      <TextField
        label="Display name"
        problem={problemAt(problems, "displayName")}
        value={displayName}
        onChange={setDisplayName}
      />
      <TextField
        label="Initial password (8 or more characters)"
        problem={problemAt(problems, "password")}
        value={password}
        onChange={setPassword}
      />
      <SelectField
        label="Cloud role"
        problem={problemAt(problems, "globalRole")}
        value={globalRole}
        options={GLOBAL_ROLES}
        onChange={(value) => {
          if (isGlobalRole(value)) setGlobalRole(value);
        }}
      />
      <ProblemList
        problems={problems.filter(
          (p) => !["email", "displayName", "password", "globalRole"].includes(p.path),
        )}
      />
      <button type="submit" className="primary" disabled={email.trim() === ""}>
        Create user
      </button>
    </form>
  );
}

function GrantRole() {
  const trpc = useTRPC();
  const client = useTRPCClient();
  const refresh = useRefreshUsers();
  const tenants = useQuery(trpc.tenants.list.queryOptions());
  const [email, setEmail] = useState("");
  const [tenant, setTenant] = useState("");
  const [role, setRole] = useState<TenantRole>("tenant_admin");
  const [problems, setProblems] = useState<Problem[]>([]);
  const names = (tenants.data ?? []).map((t) => t.name);
  return (
    <form
      className="operator-form"
      aria-labelledby="grant-heading"
      onSubmit={async (event) => {
        event.preventDefault();
        setProblems([]);
        try {
          await client.users.grant.mutate({ email: email.trim(), tenant, role });
          announce(`Granted ${roleWords(role)} of ${tenant} to ${email.trim()}.`);
          await refresh();
        } catch (error) {
          setProblems(problemsOf(error));
        }
      }}
    >
      <h2 id="grant-heading">Grant a role</h2>
      <TextField
        label="User email"
        problem={problemAt(problems, "email")}
        value={email}
        onChange={setEmail}
      />
      <SelectField
        label="Tenant"
        problem={problemAt(problems, "tenant")}
        value={tenant}
        options={names}
        emptyOption="choose a tenant"
        onChange={setTenant}
      />
      <SelectField
        label="Role"
        problem={problemAt(problems, "role")}
        value={role}
        options={TENANT_ROLES}
        onChange={(value) => {
          if (isTenantRole(value)) setRole(value);
        }}
      />
      <ProblemList
        problems={problems.filter((p) => !["email", "tenant", "role"].includes(p.path))}
      />
      <button type="submit" className="primary" disabled={email.trim() === "" || tenant === ""}>
        Grant role
      </button>
    </form>
  );
}
