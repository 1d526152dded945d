import { parseArgs } from "node:util";
import { applyCommand } from "./commands/apply";
import { checkCommand } from "./commands/check";
import { exportCommand } from "./commands/export";
import { labCommand } from "./commands/lab";
import { loginCommand } from "./commands/login";
import { loginsCommand } from "./commands/logins";
import { quotaCommand } from "./commands/quota";
import { statusCommand } from "./commands/status";
import { tenantCommand } from "./commands/tenant";
import { traceCommand } from "./commands/trace";
import { userCommand } from "./commands/user";
import { resolveServer } from "./connection";
import { type CommandIo, EXIT, type ExitCode, reportError, UsageError } from "./io";

export const USAGE = `usage: netloom <command> [options]

  apply -f FILE [--dry-run] [--wait [--timeout S]]
                                      make the tenant's (or the fabric's) stored intent equal to FILE;
                                      --wait: until its nodes applied it (exit 1 naming those that did not)
  export --tenant T                   print a file that applies back to the same state
  trace --tenant T --from A --to B --protocol P [--port N]
                                      why A can or cannot reach B
  check --tenant T -f EXPECT [--dataplane]
                                      check expected verdicts (exit 1 on any mismatch)
  status [--tenant T]                 forwarding nodes and config convergence (of one tenant)
  lab up --nodes N [--name X] [--gateway [--speakers N]|--speaker] [--underlay-of Y] | lab down [--name X]
                                      a real Linux fabric on this machine (root)
  login (--token T | --email E --password P)
                                      save a token for the server
  logins                              the quick start's logins again (local controller)

operators (cloud admin):
  tenant create NAME | tenant list | tenant delete NAME
  user create EMAIL [--name N] [--password P] [--role cloud_admin|cloud_viewer]
                                      without --password, one is made and printed once
  user list
  user grant EMAIL --tenant T --role tenant_admin|tenant_viewer
  user grant EMAIL --role cloud_admin|cloud_viewer
  user revoke EMAIL --tenant T        (without --tenant: the cloud-wide role)
  quota get --tenant T | quota set --tenant T KEY=VALUE...

every command: --server URL (or NETLOOM_SERVER; default http://localhost:$NETLOOM_PORT, port 7070),
--json; token from NETLOOM_TOKEN or a saved login
`;

const OPTIONS = {
  file: { type: "string", short: "f" },
  "dry-run": { type: "boolean" },
  wait: { type: "boolean" },
  timeout: { type: "string" },
  tenant: { type: "string" },
  from: { type: "string" },
  to: { type: "string" },
  protocol: { type: "string" },
  port: { type: "string" },
  dataplane: { type: "boolean" },
  nodes: { type: "string" },
  name: { type: "string" },
  gateway: { type: "boolean" },
  speaker: { type: "boolean" },
  speakers: { type: "string" },
  "underlay-of": { type: "string" },
  server: { type: "string" },
  json: { type: "boolean" },
  token: { type: "string" },
  email: { type: "string" },
  password: { type: "string" },
  role: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

/** Parsed command line shared by every verb. */
export type ParsedArgs = ReturnType<typeof parse>;

function parse(argv: string[]) {
  return parseArgs({ args: argv, options: OPTIONS, allowPositionals: true, strict: true });
}

/** Runs one `netloom` command line and returns its exit code (spec section 4). */
export async function run(argv: string[], io: CommandIo): Promise<ExitCode> {
  let args: ParsedArgs;
  try {
    args = parse(argv);
  } catch (error) {
    return reportError(io, new UsageError(error instanceof Error ? error.message : String(error)));
  }
  const [verb, ...rest] = args.positionals;
  if (args.values.help || verb === "help") {
    io.stdout(USAGE);
    return EXIT.ok;
  }
  if (verb === undefined) {
    io.stderr(USAGE);
    return EXIT.error;
  }
  try {
    switch (verb) {
      case "apply":
        return await applyCommand(args, io);
      case "export":
        return await exportCommand(args, io);
      case "trace":
        return await traceCommand(args, io);
      case "check":
        return await checkCommand(args, io);
      case "status":
        return await statusCommand(args, io);
      case "lab":
        return await labCommand(rest, args, io);
      case "login":
        return await loginCommand(args, io);
      case "logins":
        return loginsCommand(args, io);
      case "tenant":
        return await tenantCommand(rest, args, io);
      case "user":
        return await userCommand(rest, args, io);
      case "quota":
        return await quotaCommand(rest, args, io);
      default:
        throw new UsageError(`unknown command "${verb}" (see netloom --help)`);
    }
  } catch (error) {
    return reportError(io, error, resolveServer(io.env, args.values.server));
  }
}

/** The value of a required option, or a usage error naming it. */
export function required(args: ParsedArgs, name: keyof typeof OPTIONS): string {
  const value = args.values[name];
  if (typeof value !== "string" || value === "") throw new UsageError(`--${name} is required`);
  return value;
}
