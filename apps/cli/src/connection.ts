import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import type { CommandIo } from "./io";

/** The controller the command talks to (spec section 5). */
export interface Connection {
  server: string;
  token: string | undefined;
}

export const DEFAULT_SERVER = "http://localhost:7070";

/** Saved logins, one token per server: `netloom login` writes it. */
export function credentialsPath(env: CommandIo["env"]): string {
  const base = env.XDG_CONFIG_HOME ?? path.join(env.HOME ?? homedir(), ".config");
  return path.join(base, "netloom", "credentials.json");
}

function readJsonRecord(file: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(readFileSync(file, "utf8"));
    return typeof parsed === "object" && parsed !== null ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

/** Reads the saved token of `server`, if any. */
export function savedToken(env: CommandIo["env"], server: string): string | undefined {
  const entry = readJsonRecord(credentialsPath(env))[normalizeServer(server)];
  return typeof entry === "string" ? entry : undefined;
}

/** Same server, same key: no trailing slash. */
export function normalizeServer(server: string): string {
  return server.replace(/\/+$/, "");
}

/**
 * `--server`, else NETLOOM_SERVER, else the local quick-start controller. The token: NETLOOM_TOKEN,
 * else a saved login, else (for a local controller only) the admin token the quick start wrote
 * under NETLOOM_DATA, so a newcomer's first `netloom apply` just works.
 */
export function resolveConnection(io: CommandIo, serverFlag: string | undefined): Connection {
  const server = normalizeServer(serverFlag ?? io.env.NETLOOM_SERVER ?? DEFAULT_SERVER);
  const token = io.env.NETLOOM_TOKEN ?? savedToken(io.env, server) ?? localAdminToken(io, server);
  return { server, token };
}

function localAdminToken(io: CommandIo, server: string): string | undefined {
  const url = new URL(server);
  if (!["localhost", "127.0.0.1", "[::1]"].includes(url.hostname)) return undefined;
  const data = path.resolve(io.cwd, io.env.NETLOOM_DATA ?? ".netloom");
  try {
    return readFileSync(path.join(data, "admin-token"), "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}
