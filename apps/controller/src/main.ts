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

/** `netloom-controller [--demo]`: configuration from the environment (spec section 5). */
async function main(): Promise<void> {
  const demo = process.argv.includes("--demo");
  const server = await createServer({ demo });
  const url = await server.listen();
  const lines = [`netloom controller listening on ${url}`];
  if (server.bootstrap) {
    lines.push(`cloud admin: ${server.bootstrap.email}`);
    lines.push(
      process.env.NETLOOM_BOOTSTRAP_TOKEN
        ? "cloud admin token: the value of NETLOOM_BOOTSTRAP_TOKEN"
        : `cloud admin token (shown once): ${server.bootstrap.token}`,
    );
    if (!process.env.NETLOOM_BOOTSTRAP_TOKEN && !process.env.DATABASE_URL) {
      lines.push(
        `  saved to ${saveGeneratedToken(server.bootstrap.token)} for the netloom command`,
      );
    }
  }
  if (server.demo) {
    lines.push(`demo tenant: ${server.demo.tenant} (open ${url})`);
    for (const user of server.demo.users) {
      lines.push(`  ${user.role.padEnd(13)} ${user.email}  password: ${user.password}`);
    }
  }
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
