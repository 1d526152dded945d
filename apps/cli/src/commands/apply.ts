import { createClient } from "../client";
import { resolveConnection } from "../connection";
import { isFabricDocument, readDocument } from "../files";
import { formatApplyResult } from "../format";
import { type CommandIo, EXIT, type ExitCode, UsageError } from "../io";
import { type ParsedArgs, required } from "../run";
import { namedProblems } from "./status";

type Client = ReturnType<typeof createClient>;

/** How long `--wait` waits by default (seconds). */
const DEFAULT_WAIT_S = 30;
/** How often `--wait` asks. */
const POLL_MS = 250;

/**
 * `netloom apply -f FILE [--dry-run] [--wait [--timeout S]]`: all or nothing; a rejected file
 * changes nothing. `--wait` then waits until every node holding the tenant (a fabric file: every
 * node) has applied it, and names the nodes that did not (exit 1).
 */
export async function applyCommand(args: ParsedArgs, io: CommandIo): Promise<ExitCode> {
  const file = required(args, "file");
  const document = readDocument(file, io.cwd);
  const dryRun = args.values["dry-run"] ?? false;
  const timeoutS = waitTimeout(args);
  const client = createClient(resolveConnection(io, args.values.server));
  const result = isFabricDocument(document)
    ? await client.fabric.applyFile.mutate({ document, dryRun })
    : await client.intent.applyFile.mutate({ document, dryRun });
  io.stdout(
    args.values.json ? `${JSON.stringify(result, null, 2)}\n` : formatApplyResult(result, dryRun),
  );
  if (!args.values.wait || dryRun) return EXIT.ok;
  const waited =
    "changed" in result
      ? await waitForFabric(client, result.fabricGeneration, timeoutS)
      : await waitForTenant(client, result.tenant, result.generation, timeoutS);
  if (waited.ok) {
    if (!args.values.json) io.stdout(`${waited.message}\n`);
    return EXIT.ok;
  }
  io.stderr(`${waited.message}\n`);
  return EXIT.checkFailed;
}

function waitTimeout(args: ParsedArgs): number {
  const text = args.values.timeout;
  if (text === undefined) return DEFAULT_WAIT_S;
  const seconds = Number(text);
  if (!Number.isFinite(seconds) || seconds <= 0) {
    throw new UsageError(`--timeout: ${text} is not a number of seconds`);
  }
  if (!args.values.wait) throw new UsageError("--timeout goes with --wait");
  return seconds;
}

interface Waited {
  ok: boolean;
  message: string;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until the tenant's nodes applied `generation`; names the ones that did not. */
async function waitForTenant(
  client: Client,
  tenant: string,
  generation: number,
  timeoutS: number,
): Promise<Waited> {
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    const status = await client.fabric.tenantStatus.query({ tenant });
    if (status.converged && status.appliedGeneration >= generation) {
      return {
        ok: true,
        message: `tenant ${tenant} generation ${generation} applied on ${status.nodes.length} node(s)`,
      };
    }
    if (Date.now() >= deadline) {
      const behind = status.nodes
        .filter((node) => !node.converged || (node.appliedGeneration ?? 0) < generation)
        .map((node) => `${node.name} (${node.state})`);
      const compiling =
        status.compiledGeneration < generation ? "; the controller has not compiled it yet" : "";
      return {
        ok: false,
        message: `tenant ${tenant} generation ${generation} not applied after ${timeoutS} s on: ${behind.join(", ") || "no node"}${compiling}`,
      };
    }
    await sleep(POLL_MS);
  }
}

/** Waits until every node converged at `fabricGeneration` or later (a fabric file). */
async function waitForFabric(
  client: Client,
  fabricGeneration: number,
  timeoutS: number,
): Promise<Waited> {
  const deadline = Date.now() + timeoutS * 1000;
  for (;;) {
    const status = await client.fabric.status.query();
    if (status.converged && status.compiledGeneration >= fabricGeneration) {
      return {
        ok: true,
        message: `fabric generation ${status.generation} applied on ${status.nodes.length} node(s)`,
      };
    }
    if (Date.now() >= deadline) {
      return {
        ok: false,
        message: `fabric generation ${fabricGeneration} not applied after ${timeoutS} s: ${namedProblems(status) || "still compiling"}`,
      };
    }
    await sleep(POLL_MS);
  }
}
