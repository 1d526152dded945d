import { readFileSync } from "node:fs";
import { homedir } from "node:os";
import path from "node:path";
import type { CommandIo } from "./io";

/** The controller the command talks to (spec section 5). */
export interface Connection {
  server: string;
  token: string | undefined;
}

/** The quick start's port when NETLOOM_PORT is unset. */
export const DEFAULT_PORT = 7070;

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
 * The controller's URL: `--server`, else NETLOOM_SERVER, else the local quick-start controller on
 * NETLOOM_PORT (the port `npm start` and the controller listen on), else port 7070.
 */
export function resolveServer(env: CommandIo["env"], serverFlag: string | undefined): string {
  const explicit = serverFlag ?? env.NETLOOM_SERVER;
  if (explicit) return normalizeServer(explicit);
  return `http://localhost:${env.NETLOOM_PORT || DEFAULT_PORT}`;
}

/**
 * `--server`, else NETLOOM_SERVER, else the local quick-start controller. The token: NETLOOM_TOKEN,
 * else a saved login, else (for a local controller only) the admin token the quick start wrote
 * under NETLOOM_DATA, so a newcomer's first `netloom apply` just works.
 */
export function resolveConnection(io: CommandIo, serverFlag: string | undefined): Connection {
  const server = resolveServer(io.env, serverFlag);
  const token = io.env.NETLOOM_TOKEN ?? savedToken(io.env, server) ?? localAdminToken(io, server);
  return { server, token };
}

/** Whether `server` is this machine (where the quick start keeps its files). */
export function isLocalServer(server: string): boolean {
  try {
    return ["localhost", "127.0.0.1", "[::1]"].includes(new URL(server).hostname);
  } catch {
    return false;
  }
}

/** The quick start's data folder: NETLOOM_DATA, else ./.netloom. */
export function localDataDir(io: CommandIo): string {
  return path.resolve(io.cwd, io.env.NETLOOM_DATA ?? ".netloom");
}

function localAdminToken(io: CommandIo, server: string): string | undefined {
  if (!isLocalServer(server)) return undefined;
  try {
    return readFileSync(path.join(localDataDir(io), "admin-token"), "utf8").trim() || undefined;
  } catch {
    return undefined;
  }
}
