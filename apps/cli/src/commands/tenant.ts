import { createClient } from "../client";
import { resolveConnection } from "../connection";
import { type CommandIo, EXIT, type ExitCode, UsageError } from "../io";
import type { ParsedArgs } from "../run";
import { formatTable, jsonText } from "../table";

/** The tenant a verb names: `netloom tenant create NAME` or `--tenant NAME`. */
export function tenantArgument(rest: readonly string[], args: ParsedArgs, usage: string): string {
  const name = rest[0] ?? args.values.tenant;
  if (name === undefined || name === "") throw new UsageError(usage);
  if (rest.length > 1) throw new UsageError(`unexpected argument "${rest[1]}" (${usage})`);
  return name;
}

/**
 * `netloom tenant create NAME | list | delete NAME` (cloud admin; `list` shows what the caller
 * may see, with object counts and the newest change).
 */
export async function tenantCommand(
  rest: string[],
  args: ParsedArgs,
  io: CommandIo,
): Promise<ExitCode> {
  const [action, ...names] = rest;
  const client = createClient(resolveConnection(io, args.values.server));
  const json = args.values.json ?? false;
  switch (action) {
    case "create": {
      const name = tenantArgument(names, args, "tenant create needs a NAME");
      const tenant = await client.tenants.create.mutate({ name });
      io.stdout(json ? jsonText(tenant) : `tenant ${tenant.name} created\n`);
      return EXIT.ok;
    }
    case "delete": {
      const name = tenantArgument(names, args, "tenant delete needs a NAME");
      await client.tenants.delete.mutate({ tenant: name });
      io.stdout(json ? jsonText({ tenant: name, deleted: true }) : `tenant ${name} deleted\n`);
      return EXIT.ok;
    }
    case "list": {
      const tenants = await client.tenants.list.query();
      if (json) {
        io.stdout(jsonText(tenants));
        return EXIT.ok;
      }
      io.stdout(
        formatTable(
          ["TENANT", "GENERATION", "OBJECTS", "LAST CHANGE"],
          tenants.map((tenant) => [
            tenant.name,
            String(tenant.generation),
            String(tenant.objects),
            tenant.lastChange
              ? `${tenant.lastChange.at} ${tenant.lastChange.actor} ${tenant.lastChange.action} ${tenant.lastChange.kind}/${tenant.lastChange.name}`
              : "-",
          ]),
        ),
      );
      return EXIT.ok;
    }
    default:
      throw new UsageError("tenant needs `create NAME`, `list` or `delete NAME`");
  }
}
