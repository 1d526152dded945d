import { createClient } from "../client";
import { resolveConnection } from "../connection";
import { formatStatus } from "../format";
import { type CommandIo, EXIT, type ExitCode } from "../io";
import type { ParsedArgs } from "../run";

/** `netloom status`: each node's applied generation against the newest, and convergence. */
export async function statusCommand(args: ParsedArgs, io: CommandIo): Promise<ExitCode> {
  const client = createClient(resolveConnection(io, args.values.server));
  const status = await client.fabric.status.query();
  io.stdout(args.values.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status));
  return EXIT.ok;
}
