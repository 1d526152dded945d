import { readFileSync } from "node:fs";
import path from "node:path";
import { localDataDir } from "../connection";
import { type CommandIo, EXIT, type ExitCode } from "../io";
import type { ParsedArgs } from "../run";

/** Written by the controller's quick start (`--demo`) beside its database, owner-only. */
export const LOGINS_FILE = "logins.txt";

/**
 * `netloom logins`: prints the quick start's login list again (the banner scrolls away). It reads
 * the file the local controller wrote under NETLOOM_DATA; it never asks a server, so it works
 * whatever the controller's state.
 */
export function loginsCommand(args: ParsedArgs, io: CommandIo): ExitCode {
  const file = path.join(localDataDir(io), LOGINS_FILE);
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (error) {
    const code = error instanceof Error && "code" in error ? String(error.code) : "unreadable";
    io.stderr(
      `no quick-start logins at ${file} (${code}): run \`npm start\` (or netloom-controller --demo) in this folder, or set NETLOOM_DATA\n`,
    );
    return EXIT.error;
  }
  io.stdout(args.values.json ? `${JSON.stringify({ file, text })}\n` : text);
  return EXIT.ok;
}
