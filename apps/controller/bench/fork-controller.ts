import { type ChildProcess, fork } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));

/**
 * Another controller on `databaseUrl`, in a process of its own (controller-child.ts): resolves
 * with its URL once it listens. `execArgv`: extra node flags (--expose-gc, --cpu-prof).
 */
export async function forkController(
  databaseUrl: string,
  execArgv: readonly string[] = [],
): Promise<{ url: string; child: ChildProcess }> {
  const child = fork(path.join(here, "controller-child.ts"), [databaseUrl], {
    execArgv: ["--import", "tsx", ...execArgv],
    stdio: ["ignore", "pipe", "inherit", "ipc"],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let text = "";
    child.stdout?.on("data", (data: Buffer) => {
      text += data.toString();
      const line = text.split("\n").find((candidate) => candidate.startsWith("{"));
      if (line) resolve((JSON.parse(line) as { url: string }).url);
    });
    child.once("exit", (code) => reject(new Error(`controller child exited with ${code}`)));
  });
  return { url, child };
}
