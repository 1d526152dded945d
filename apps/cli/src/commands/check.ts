import { parseExpectFileOrThrow } from "@netloom/model";
import { createClient } from "../client";
import { resolveConnection } from "../connection";
import { readDocument } from "../files";
import { formatCheck } from "../format";
import { type CommandIo, EXIT, type ExitCode } from "../io";
import { checkDataplane, labNameOf } from "../lab";
import { type ParsedArgs, required } from "../run";

/**
 * `netloom check --tenant T -f EXPECT [--dataplane]`: each expectation on the compiled model, or
 * with `--dataplane` by real packets on the lab. Exit 1 when any verdict differs.
 */
export async function checkCommand(args: ParsedArgs, io: CommandIo): Promise<ExitCode> {
  const tenant = required(args, "tenant");
  const expectations = parseExpectFileOrThrow(readDocument(required(args, "file"), io.cwd)).expect;
  const client = createClient(resolveConnection(io, args.values.server));
  const result = args.values.dataplane
    ? await checkDataplane({
        client,
        tenant,
        expectations,
        cwd: io.cwd,
        labName: labNameOf(args.values.name, io.env),
        onProgress: (line) => io.stderr(`${line}\n`),
      })
    : await client.reach.check.query({ tenant, expect: expectations });
  if (args.values.json) {
    io.stdout(`${JSON.stringify({ total: result.total, mismatches: result.mismatches })}\n`);
  } else {
    io.stdout(formatCheck(result));
  }
  return result.mismatches.length === 0 ? EXIT.ok : EXIT.checkFailed;
}
