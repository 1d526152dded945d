import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createClient } from "../client";
import { credentialsPath, resolveConnection } from "../connection";
import { type CommandIo, EXIT, type ExitCode, UsageError } from "../io";
import type { ParsedArgs } from "../run";

/**
 * `netloom login --token T` saves a token for the server; `--email E --password P` logs in and
 * saves a fresh API token. The file is readable by its owner only.
 */
export async function loginCommand(args: ParsedArgs, io: CommandIo): Promise<ExitCode> {
  const connection = resolveConnection(io, args.values.server);
  let token = args.values.token;
  if (token === undefined) {
    const { email, password } = args.values;
    if (email === undefined || password === undefined) {
      throw new UsageError("login needs --token T, or --email E and --password P");
    }
    const client = createClient({ server: connection.server, token: undefined });
    token = (
      await client.auth.loginForToken.mutate({ email, password, tokenName: "netloom command" })
    ).token;
  }
  const me = await createClient({ server: connection.server, token }).auth.me.query();
  const file = credentialsPath(io.env);
  let saved: Record<string, unknown> = {};
  try {
    saved = JSON.parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  } catch {
    saved = {};
  }
  saved[connection.server] = token;
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  writeFileSync(file, `${JSON.stringify(saved, null, 2)}\n`, { mode: 0o600 });
  io.stdout(`logged in to ${connection.server} as ${me.email}\n`);
  return EXIT.ok;
}
