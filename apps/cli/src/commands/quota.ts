import { createClient } from "../client";
import { resolveConnection } from "../connection";
import { type CommandIo, EXIT, type ExitCode, UsageError } from "../io";
import type { ParsedArgs } from "../run";
import { formatTable, jsonText } from "../table";
import { tenantArgument } from "./tenant";

/** `KEY=VALUE` operands of `quota set`, as whole numbers; a bad one names itself. */
export function parseQuotaAssignments(operands: readonly string[]): Record<string, number> {
  if (operands.length === 0) throw new UsageError("quota set needs KEY=VALUE (e.g. networks=50)");
  const quotas: Record<string, number> = {};
  for (const operand of operands) {
    const match = /^([A-Za-z]+)=(\d+)$/.exec(operand);
    if (!match?.[1] || match[2] === undefined) {
      throw new UsageError(`${operand}: expected KEY=VALUE with a whole number (e.g. networks=50)`);
    }
    quotas[match[1]] = Number(match[2]);
  }
  return quotas;
}

/**
 * `netloom quota get --tenant T` prints each quota with its use; `netloom quota set --tenant T
 * KEY=VALUE...` (cloud admin) changes the named ones and prints the result.
 */
export async function quotaCommand(
  rest: string[],
  args: ParsedArgs,
  io: CommandIo,
): Promise<ExitCode> {
  const [action, ...operands] = rest;
  const client = createClient(resolveConnection(io, args.values.server));
  const json = args.values.json ?? false;
  switch (action) {
    case "get": {
      const tenant = tenantArgument(operands, args, "quota get needs --tenant T");
      const usage = await client.tenants.usage.query({ tenant });
      if (json) {
        io.stdout(jsonText({ tenant, ...usage }));
        return EXIT.ok;
      }
      io.stdout(
        formatTable(
          ["QUOTA", "USED", "LIMIT"],
          Object.entries(usage.quotas).map(([name, limit]) => [
            name,
            String(usage.used[name as keyof typeof usage.used]),
            String(limit),
          ]),
        ),
      );
      return EXIT.ok;
    }
    case "set": {
      const tenant = args.values.tenant;
      if (tenant === undefined) throw new UsageError("quota set needs --tenant T");
      const quotas = await client.tenants.setQuotas.mutate({
        tenant,
        quotas: parseQuotaAssignments(operands),
      });
      io.stdout(
        json
          ? jsonText({ tenant, quotas })
          : formatTable(
              ["QUOTA", "LIMIT"],
              Object.entries(quotas).map(([name, limit]) => [name, String(limit)]),
            ),
      );
      return EXIT.ok;
    }
    default:
      throw new UsageError("quota needs `get --tenant T` or `set --tenant T KEY=VALUE...`");
  }
}
