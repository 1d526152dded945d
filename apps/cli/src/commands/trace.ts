import { NetloomError, protocolSchema } from "@netloom/model";
import { createClient } from "../client";
import { resolveConnection } from "../connection";
import { formatTrace } from "../format";
import { type CommandIo, EXIT, type ExitCode } from "../io";
import { type ParsedArgs, required } from "../run";

/** Parses `--port`: a whole number 1-65535, or absent. */
export function parsePortOption(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const port = Number(value);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new NetloomError("INVALID", `--port: ${value} is not a port (1-65535)`, [
      { path: "--port", message: `${value} is not a port (1-65535)` },
    ]);
  }
  return port;
}

/** Parses `--protocol`: any, tcp, udp or icmp. */
export function parseProtocolOption(value: string) {
  const parsed = protocolSchema.safeParse(value);
  if (!parsed.success) {
    throw new NetloomError("INVALID", `--protocol: ${value} is not one of any, tcp, udp, icmp`, [
      { path: "--protocol", message: `${value} is not one of any, tcp, udp, icmp` },
    ]);
  }
  return parsed.data;
}

/** `netloom trace`: the verdict, the reason and the hops, each with the rule that decided. */
export async function traceCommand(args: ParsedArgs, io: CommandIo): Promise<ExitCode> {
  const query = {
    tenant: required(args, "tenant"),
    from: required(args, "from"),
    to: required(args, "to"),
    protocol: parseProtocolOption(required(args, "protocol")),
    port: parsePortOption(args.values.port),
  };
  const client = createClient(resolveConnection(io, args.values.server));
  const result = await client.reach.trace.query(query);
  io.stdout(
    args.values.json
      ? `${JSON.stringify({ verdict: result.verdict, reason: result.reason, hops: result.hops })}\n`
      : formatTrace(result),
  );
  return EXIT.ok;
}
