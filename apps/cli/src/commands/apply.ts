import { createClient } from "../client";
import { resolveConnection } from "../connection";
import { isFabricDocument, readDocument } from "../files";
import { formatApplyResult } from "../format";
import { type CommandIo, EXIT, type ExitCode } from "../io";
import { type ParsedArgs, required } from "../run";

/** `netloom apply -f FILE [--dry-run]`: all or nothing; a rejected file changes nothing. */
export async function applyCommand(args: ParsedArgs, io: CommandIo): Promise<ExitCode> {
  const file = required(args, "file");
  const document = readDocument(file, io.cwd);
  const dryRun = args.values["dry-run"] ?? false;
  const client = createClient(resolveConnection(io, args.values.server));
  const result = isFabricDocument(document)
    ? await client.fabric.applyFile.mutate({ document, dryRun })
    : await client.intent.applyFile.mutate({ document, dryRun });
  io.stdout(
    args.values.json ? `${JSON.stringify(result, null, 2)}\n` : formatApplyResult(result, dryRun),
  );
  return EXIT.ok;
}
