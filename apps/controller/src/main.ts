import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { createServer } from "./server";

/**
 * Keeps a generated cloud admin token next to the embedded database (owner-readable only), so
 * the `netloom` command run from the same folder finds it without copying it from the log.
 */
function saveGeneratedToken(token: string): string {
  const dir = process.env.NETLOOM_DATA ?? ".netloom";
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, "admin-token");
  writeFileSync(file, `${token}\n`, { mode: 0o600 });
  return file;
}

/** Beside the database, owner-readable only: `netloom logins` prints it again. */
const LOGINS_FILE = "logins.txt";

/**
 * One list of logins, one line each (`  ROLE  EMAIL  password: P`, the shape e2e setup parses):
 * the bootstrap cloud admin (its token for the command, and with --demo a password for the
 * portal), then the demo's other users.
 */
function loginLines(server: Awaited<ReturnType<typeof createServer>>): string[] {
  const lines: string[] = [];
  const { bootstrap, demo } = server;
  const width = Math.max(
    0,
    ...[bootstrap?.email, ...(demo?.users ?? []).map((u) => u.email)].map((e) => e?.length ?? 0),
  );
  if (bootstrap) {
    const password = demo?.users.find((user) => user.email === bootstrap.email)?.password;
    let token: string;
    if (process.env.NETLOOM_BOOTSTRAP_TOKEN) token = "token: the value of NETLOOM_BOOTSTRAP_TOKEN";
    else if (!process.env.DATABASE_URL)
      token = `token: saved in ${saveGeneratedToken(bootstrap.token)} for the netloom command`;
    else token = `token (shown once): ${bootstrap.token}`;
    const login = password ? `password: ${password}  ` : "";
    lines.push(`  ${"cloud_admin".padEnd(13)} ${bootstrap.email.padEnd(width)}  ${login}${token}`);
  }
  for (const user of demo?.users ?? []) {
    if (user.email === bootstrap?.email) continue;
    const scope = user.role.startsWith("tenant_") ? `  tenant ${demo?.tenant}` : "";
    lines.push(
      `  ${user.role.padEnd(13)} ${user.email.padEnd(width)}  password: ${user.password}${scope}`,
    );
  }
  return lines;
}

/** Keeps the login list for `netloom logins` (the quick start's passwords live nowhere else). */
function saveLogins(url: string, lines: string[]): string {
  const dir = process.env.NETLOOM_DATA ?? ".netloom";
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, LOGINS_FILE);
  writeFileSync(file, `logins for ${url}:\n${lines.join("\n")}\n`, { mode: 0o600 });
  return file;
}

/** `netloom-controller [--demo]`: configuration from the environment (spec section 5). */
async function main(): Promise<void> {
  const demo = process.argv.includes("--demo");
  const server = await createServer({ demo });
  const url = await server.listen();
  const lines = [`netloom controller listening on ${url}`];
  const logins = loginLines(server);
  if (logins.length > 0) {
    const saved = process.env.DATABASE_URL ? undefined : saveLogins(url, logins);
    lines.push(saved ? "logins (print them again: npx netloom logins):" : "logins:", ...logins);
  }
  if (server.demo) lines.push(`demo tenant: ${server.demo.tenant} (open ${url})`);
  if (process.env.NETLOOM_LOG_FILE) lines.push(`request logs: ${process.env.NETLOOM_LOG_FILE}`);
  process.stdout.write(`${lines.join("\n")}\n`);
  const stop = async () => {
    await server.close();
    process.exit(0);
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(2);
});
