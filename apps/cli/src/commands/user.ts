import { randomBytes } from "node:crypto";
import { createClient } from "../client";
import { resolveConnection } from "../connection";
import { type CommandIo, EXIT, type ExitCode, UsageError } from "../io";
import { type ParsedArgs, required } from "../run";
import { formatTable, jsonText } from "../table";

const TENANT_ROLES = ["tenant_admin", "tenant_viewer"] as const;
const GLOBAL_ROLES = ["none", "cloud_admin", "cloud_viewer"] as const;
type TenantRole = (typeof TENANT_ROLES)[number];
type GlobalRole = (typeof GLOBAL_ROLES)[number];

function isTenantRole(role: string): role is TenantRole {
  return (TENANT_ROLES as readonly string[]).includes(role);
}

function isGlobalRole(role: string): role is GlobalRole {
  return (GLOBAL_ROLES as readonly string[]).includes(role);
}

/** The user a verb names: `netloom user grant EMAIL ...` or `--email EMAIL`. */
function emailArgument(rest: readonly string[], args: ParsedArgs): string {
  const email = rest[0] ?? args.values.email;
  if (email === undefined || email === "") throw new UsageError("--email is required");
  return email;
}

/** An invitation password: 18 random bytes, shown once. */
function generatedPassword(): string {
  return randomBytes(18).toString("base64url");
}

/**
 * `netloom user create|list|grant|revoke` (cloud admin). `create` without `--password` makes one
 * and prints it once, so a new user can log in at once. `grant --tenant T --role R` gives a
 * tenant role; without `--tenant`, `--role` is the cloud-wide role. `revoke --tenant T` takes
 * the tenant role away (their open streams of T end at once); without `--tenant`, the
 * cloud-wide role.
 */
export async function userCommand(
  rest: string[],
  args: ParsedArgs,
  io: CommandIo,
): Promise<ExitCode> {
  const [action, ...operands] = rest;
  const client = createClient(resolveConnection(io, args.values.server));
  const json = args.values.json ?? false;
  const tenant = args.values.tenant;
  switch (action) {
    case "create": {
      const email = emailArgument(operands, args);
      const role = args.values.role ?? "none";
      if (!isGlobalRole(role)) {
        throw new UsageError(
          `--role: ${role} is not a cloud-wide role (${GLOBAL_ROLES.join(", ")})`,
        );
      }
      const generated = args.values.password === undefined ? generatedPassword() : undefined;
      const password = args.values.password ?? generated;
      const user = await client.users.create.mutate({
        email,
        displayName: args.values.name ?? email.split("@")[0] ?? email,
        password,
        globalRole: role,
      });
      if (json) io.stdout(jsonText({ ...user, ...(generated ? { password: generated } : {}) }));
      else {
        io.stdout(`user ${user.email} created${role === "none" ? "" : ` (${role})`}\n`);
        if (generated) io.stdout(`password (shown once): ${generated}\n`);
      }
      return EXIT.ok;
    }
    case "list": {
      const users = await client.users.list.query();
      if (json) {
        io.stdout(jsonText(users));
        return EXIT.ok;
      }
      io.stdout(
        formatTable(
          ["EMAIL", "NAME", "CLOUD ROLE", "TENANT ROLES"],
          users.map((user) => [
            user.email,
            user.displayName,
            user.globalRole,
            user.memberships.map((m) => `${m.tenant}:${m.role}`).join(",") || "-",
          ]),
        ),
      );
      return EXIT.ok;
    }
    case "grant": {
      const email = emailArgument(operands, args);
      const role = required(args, "role");
      if (tenant !== undefined) {
        if (!isTenantRole(role)) {
          throw new UsageError(`--role: ${role} is not a tenant role (${TENANT_ROLES.join(", ")})`);
        }
        await client.users.grant.mutate({ email, tenant, role });
        io.stdout(
          json ? jsonText({ email, tenant, role }) : `${email} is ${role} of tenant ${tenant}\n`,
        );
        return EXIT.ok;
      }
      if (!isGlobalRole(role)) {
        throw new UsageError(
          `--role: ${role} is not a cloud-wide role (${GLOBAL_ROLES.join(", ")}); a tenant role needs --tenant`,
        );
      }
      const user = await client.users.setGlobalRole.mutate({ email, globalRole: role });
      io.stdout(json ? jsonText(user) : `${email} has the cloud-wide role ${role}\n`);
      return EXIT.ok;
    }
    case "revoke": {
      const email = emailArgument(operands, args);
      if (tenant !== undefined) {
        await client.users.revoke.mutate({ email, tenant });
        io.stdout(
          json
            ? jsonText({ email, tenant, role: null })
            : `${email} has no role in tenant ${tenant}\n`,
        );
        return EXIT.ok;
      }
      const user = await client.users.setGlobalRole.mutate({ email, globalRole: "none" });
      io.stdout(json ? jsonText(user) : `${email} has no cloud-wide role\n`);
      return EXIT.ok;
    }
    default:
      throw new UsageError("user needs `create`, `list`, `grant` or `revoke`");
  }
}
