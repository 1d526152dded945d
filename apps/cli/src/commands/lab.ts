import { createClient } from "../client";
import { resolveConnection } from "../connection";
import { type CommandIo, EXIT, type ExitCode, UsageError } from "../io";
import { labDown, labNameOf, labUp } from "../lab";
import type { ParsedArgs } from "../run";

/**
 * `netloom lab up --nodes N [--name X] [--gateway] [--underlay-of Y]` / `netloom lab down
 * [--name X]` (spec section 4; the gateway and shared underlay: issue 14).
 */
export async function labCommand(
  rest: string[],
  args: ParsedArgs,
  io: CommandIo,
): Promise<ExitCode> {
  const [action] = rest;
  const progress = (line: string) => io.stderr(`${line}\n`);
  if (action === "down") {
    await labDown({ cwd: io.cwd, name: labNameOf(args.values.name, io.env), onProgress: progress });
    return EXIT.ok;
  }
  if (action !== "up")
    throw new UsageError(
      "lab needs `up --nodes N [--name X] [--gateway [--speakers N] | --speaker] [--underlay-of Y]` or `down [--name X]`",
    );
  const nodes = Number(args.values.nodes ?? "2");
  if (!Number.isInteger(nodes) || nodes < 1 || nodes > 200) {
    throw new UsageError(`--nodes: ${args.values.nodes} is not a node count (1-200)`);
  }
  const connection = resolveConnection(io, args.values.server);
  const client = createClient(connection);
  const state = await labUp({
    nodes,
    name: labNameOf(args.values.name, io.env),
    client,
    connection,
    cwd: io.cwd,
    onProgress: progress,
    gateway: args.values.gateway === true,
    speaker: args.values.speaker === true,
    ...(args.values.speakers === undefined ? {} : { speakers: Number(args.values.speakers) }),
    underlayOf: args.values["underlay-of"],
  });
  io.stdout(
    args.values.json ? `${JSON.stringify(state)}\n` : `lab ${state.name} up: ${nodes} nodes\n`,
  );
  return EXIT.ok;
}
