import { stringifyIntent } from "@netloom/model";
import { createClient } from "../client";
import { resolveConnection } from "../connection";
import { type CommandIo, EXIT, type ExitCode } from "../io";
import { type ParsedArgs, required } from "../run";

/** `netloom export --tenant T`: a file that applies back to the same state. */
export async function exportCommand(args: ParsedArgs, io: CommandIo): Promise<ExitCode> {
  const tenant = required(args, "tenant");
  const client = createClient(resolveConnection(io, args.values.server));
  const { document } = await client.intent.export.query({ tenant });
  io.stdout(stringifyIntent(document, args.values.json ? "json" : "yaml"));
  return EXIT.ok;
}
