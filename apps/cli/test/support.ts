import path from "node:path";
import { createServer, type NetloomServer } from "@netloom/controller";
import { run } from "../src/run";

/*
 * What the CLI tests share: running `netloom` in-process with its output captured, and a
 * controller on a free port for it to talk to.
 */

/** One `netloom` run: its exit code and what it wrote. */
export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** Where and as whom a test runs `netloom`: HOME and cwd `work`, server `url`, token `token`. */
export interface CliContext {
  work: string;
  url: string;
  token: string;
}

/** Runs `netloom argv` in-process; `env` adds to (or unsets in) the context's environment. */
export async function runNetloom(
  context: CliContext,
  argv: string[],
  env: Record<string, string | undefined> = {},
): Promise<Outcome> {
  let stdout = "";
  let stderr = "";
  const code = await run(argv, {
    stdout: (text) => {
      stdout += text;
    },
    stderr: (text) => {
      stderr += text;
    },
    env: {
      HOME: context.work,
      NETLOOM_SERVER: context.url,
      NETLOOM_TOKEN: context.token,
      ...env,
    },
    cwd: context.work,
  });
  return { code, stdout, stderr };
}

/**
 * A controller on a free loopback port with `token` as its bootstrap token, its data in
 * `<work>/data` (or in memory), without distribution unless asked.
 */
export async function startCliController(options: {
  work: string;
  token: string;
  inMemory?: boolean;
  distribution?: boolean;
}): Promise<{ server: NetloomServer; url: string }> {
  const server = await createServer({
    port: 0,
    host: "127.0.0.1",
    dataDir: options.inMemory === true ? "memory://" : path.join(options.work, "data"),
    bootstrapToken: options.token,
    logger: false,
    ...(options.distribution === true ? {} : { distribution: false }),
  });
  return { server, url: await server.listen() };
}
