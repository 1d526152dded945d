import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, "..");

/** A port nobody listens on right now (bind to 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const full = path.join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(full) : statSync(full).mtimeMs);
  }
  return newest;
}

/** Builds apps/web when dist is missing or older than its sources. */
export function ensureWebBuilt(): void {
  const index = path.join(ROOT, "apps/web/dist/index.html");
  const sources = Math.max(
    newestMtime(path.join(ROOT, "apps/web/src")),
    statSync(path.join(ROOT, "apps/web/index.html")).mtimeMs,
  );
  if (existsSync(index) && statSync(index).mtimeMs >= sources) return;
  const result = spawnSync("npm", ["run", "build", "-w", "@netloom/web"], {
    cwd: ROOT,
    stdio: "inherit",
  });
  if (result.status !== 0) throw new Error("building apps/web failed");
}

export interface QuickStart {
  url: string;
  adminToken: string;
  users: { email: string; password: string; role: string }[];
  process: ChildProcess;
  dataDir: string;
}

/**
 * Starts the quick-start server (`netloom-controller --demo`) on a fresh NETLOOM_DATA and a free
 * port, and reads the demo credentials it prints.
 */
export async function startQuickStart(): Promise<QuickStart> {
  const dataDir = mkdtempSync(path.join(tmpdir(), "netloom-e2e-"));
  const port = await freePort();
  const adminToken = `nlt_e2e_${Math.random().toString(36).slice(2)}${Date.now().toString(36)}`;
  const child = spawn(
    process.execPath,
    [path.join(ROOT, "apps/controller/bin/netloom-controller.js"), "--demo"],
    {
      cwd: ROOT,
      env: {
        ...process.env,
        NETLOOM_DATA: path.join(dataDir, "data"),
        NETLOOM_PORT: String(port),
        NETLOOM_HOST: "127.0.0.1",
        NETLOOM_BOOTSTRAP_TOKEN: adminToken,
        DATABASE_URL: "",
      },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let output = "";
  const logFile = path.join(dataDir, "controller.log");
  child.stdout?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on("data", (chunk: Buffer) => {
    output += chunk.toString();
  });
  const users = await new Promise<QuickStart["users"]>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`controller did not start in 90 s:\n${output}`)),
      90_000,
    );
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`controller exited with ${code}:\n${output}`));
    });
    const poll = setInterval(() => {
      const lines = output.split("\n");
      const found = lines
        .map((line) => /^\s+(\S+)\s+(\S+@\S+)\s+password: (\S+)/.exec(line))
        .filter((m): m is RegExpExecArray => m !== null)
        .map((m) => ({ role: m[1] ?? "", email: m[2] ?? "", password: m[3] ?? "" }));
      if (found.length >= 3) {
        clearInterval(poll);
        clearTimeout(timer);
        resolve(found);
      }
    }, 100);
  });
  writeFileSync(logFile, output);
  return { url: `http://127.0.0.1:${port}`, adminToken, users, process: child, dataDir };
}

/**
 * Playwright global setup: builds the web app if needed, starts the quick-start server, and
 * hands its URL and credentials to the workers through the environment.
 */
export default async function globalSetup(): Promise<() => Promise<void>> {
  ensureWebBuilt();
  const server = await startQuickStart();
  process.env.NETLOOM_E2E_URL = server.url;
  process.env.NETLOOM_E2E_ADMIN_TOKEN = server.adminToken;
  process.env.NETLOOM_E2E_USERS = JSON.stringify(server.users);
  mkdirSync(path.join(here, "screenshots"), { recursive: true });
  return async () => {
    server.process.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 500));
    if (server.process.exitCode === null) server.process.kill("SIGKILL");
    rmSync(server.dataDir, { recursive: true, force: true });
  };
}
