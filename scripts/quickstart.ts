/**
 * `npm start`: the controller on the embedded database with the demo tenant, plus one
 * memory-driver agent per demo forwarding node, so the portal shows live convergence from the
 * first minute. Ctrl-C stops everything. A real fabric uses `netloom-agent --driver linux` (or
 * `netloom lab up`) instead of these in-memory agents.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createWriteStream, existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const dataDir = path.resolve(process.env.NETLOOM_DATA ?? ".netloom");
const port = process.env.NETLOOM_PORT ?? "7070";
const server = `http://127.0.0.1:${port}`;
const children: ChildProcess[] = [];

function stopAll(code: number): never {
  for (const child of children) child.kill("SIGTERM");
  process.exit(code);
}
process.on("SIGINT", () => stopAll(0));
process.on("SIGTERM", () => stopAll(0));

async function healthy(): Promise<boolean> {
  try {
    return (await fetch(`${server}/healthz`)).ok;
  } catch {
    return false;
  }
}

async function call<T>(procedure: string, token: string, input?: unknown): Promise<T> {
  const response = await fetch(`${server}/trpc/${procedure}`, {
    method: input === undefined ? "GET" : "POST",
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    ...(input === undefined ? {} : { body: JSON.stringify(input) }),
  });
  const body = (await response.json()) as { result?: { data: T }; error?: { message: string } };
  if (!body.result) throw new Error(`${procedure}: ${body.error?.message ?? response.status}`);
  return body.result.data;
}

mkdirSync(dataDir, { recursive: true });
const controller = spawn(
  process.execPath,
  [path.join(root, "apps/controller/bin/netloom-controller.js"), "--demo"],
  {
    stdio: "inherit",
    // Request logs go to a file: on stdout they would bury the login list within seconds.
    env: {
      ...process.env,
      NETLOOM_DATA: dataDir,
      NETLOOM_PORT: port,
      NETLOOM_LOG_FILE: process.env.NETLOOM_LOG_FILE ?? path.join(dataDir, "controller.log"),
    },
  },
);
children.push(controller);
controller.on("exit", (code) => stopAll(code ?? 1));

for (let attempt = 0; !(await healthy()); attempt += 1) {
  if (attempt > 240) {
    process.stderr.write("the controller did not come up within 60 s\n");
    stopAll(1);
  }
  await new Promise((resolve) => setTimeout(resolve, 250));
}

const tokenFile = path.join(dataDir, "admin-token");
const adminToken =
  process.env.NETLOOM_BOOTSTRAP_TOKEN ??
  (existsSync(tokenFile) ? readFileSync(tokenFile, "utf8").trim() : undefined);
if (!adminToken) {
  process.stderr.write(
    "no cloud admin token (set NETLOOM_BOOTSTRAP_TOKEN): demo agents not started\n",
  );
} else {
  const agentDir = path.join(dataDir, "agents");
  mkdirSync(agentDir, { recursive: true });
  const nodes = await call<{ name: string }[]>("fabric.nodes.list", adminToken);
  for (const { name } of nodes) {
    const { token } = await call<{ token: string }>("fabric.issueNodeToken", adminToken, {
      node: name,
    });
    const log = createWriteStream(path.join(agentDir, `${name}.log`), { flags: "a" });
    const agent = spawn(
      process.execPath,
      [
        path.join(root, "apps/agent/bin/netloom-agent.js"),
        "--controller",
        server,
        "--node",
        name,
        "--driver",
        "memory",
        "--token",
        token,
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    agent.stdout?.pipe(log);
    agent.stderr?.pipe(log);
    children.push(agent);
  }
  process.stdout.write(
    `demo forwarding nodes: ${nodes.map((node) => node.name).join(", ")} (memory-driver agents, logs in ${agentDir})\n` +
      `logins again: npx netloom logins    (NETLOOM_PORT=${port} is the command's default server too)\n` +
      `try: npx netloom status    npx netloom trace --tenant demo --from web-1 --to db-1 --protocol tcp --port 5432\n`,
  );
}
