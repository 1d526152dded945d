import { spawn } from "node:child_process";
import { NetloomError } from "@netloom/model";

/** Output of a finished command. */
export interface CommandResult {
  stdout: string;
  stderr: string;
  code: number;
}

/** Runs a command to completion, feeding `input` on stdin; never throws on a non-zero exit. */
export function runCommand(argv: readonly string[], input?: string): Promise<CommandResult> {
  const [command, ...args] = argv;
  if (command === undefined) return Promise.reject(new Error("empty command"));
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["pipe", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on("data", (chunk: Buffer) => out.push(chunk));
    child.stderr.on("data", (chunk: Buffer) => err.push(chunk));
    child.on("error", reject);
    child.on("close", (code) =>
      resolve({
        stdout: Buffer.concat(out).toString("utf8"),
        stderr: Buffer.concat(err).toString("utf8"),
        code: code ?? 1,
      }),
    );
    child.stdin.on("error", () => {
      // the command may exit before reading its input; its exit code says what went wrong
    });
    child.stdin.end(input ?? "");
  });
}

/** Runs a command and throws an INTERNAL NetloomError carrying its stderr when it fails. */
export async function mustRun(argv: readonly string[], input?: string): Promise<string> {
  const result = await runCommand(argv, input);
  if (result.code !== 0) {
    const shown = input && input.length < 4000 ? `\n--- input ---\n${input}` : "";
    throw new NetloomError(
      "INTERNAL",
      `${argv.join(" ")} failed (${result.code}): ${result.stderr.trim()}${shown}`,
    );
  }
  return result.stdout;
}

/** `ip [-n ns] -batch -` with one command per line; nothing to do for no lines. */
export async function ipBatch(namespace: string | undefined, lines: readonly string[]) {
  if (lines.length === 0) return;
  const netns = namespace === undefined ? [] : ["-n", namespace];
  await mustRun(["ip", ...netns, "-batch", "-"], `${lines.join("\n")}\n`);
}

/** `bridge -n ns -batch -` (FDB entries of VXLAN devices). */
export async function bridgeBatch(namespace: string, lines: readonly string[]) {
  if (lines.length === 0) return;
  await mustRun(["bridge", "-n", namespace, "-batch", "-"], `${lines.join("\n")}\n`);
}

/** One atomic nftables transaction inside a namespace. */
export async function nftApply(namespace: string, script: string) {
  await mustRun(["ip", "netns", "exec", namespace, "nft", "-f", "-"], script);
}

/** `ip -j ...` parsed; an empty answer is an empty list. */
export async function ipJson(namespace: string | undefined, args: readonly string[]) {
  const netns = namespace === undefined ? [] : ["-n", namespace];
  const out = await mustRun(["ip", ...netns, "-j", ...args]);
  const trimmed = out.trim();
  return trimmed === "" ? [] : (JSON.parse(trimmed) as unknown);
}

/** Runs `tasks` with at most `limit` at a time. */
export async function inParallel<T>(
  items: readonly T[],
  limit: number,
  task: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  const errors: unknown[] = [];
  const worker = async () => {
    while (next < items.length) {
      const item = items[next];
      next += 1;
      if (item === undefined) continue;
      try {
        await task(item);
      } catch (error) {
        errors.push(error);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (errors.length > 0) throw errors[0];
}

/**
 * Sets sysctls inside a namespace by writing /proc/sys (`ip netns exec` remounts it there), so
 * nothing beyond iproute2 is needed. Keys as for sysctl: `net.ipv4.ip_forward=1`.
 */
export async function setSysctls(namespace: string, settings: readonly string[]) {
  if (settings.length === 0) return;
  const script = settings
    .map((setting) => {
      const [key = "", value = ""] = setting.split("=");
      return `echo ${value} > /proc/sys/${key.replaceAll(".", "/")}`;
    })
    .join(" && ");
  await mustRun(["ip", "netns", "exec", namespace, "sh", "-c", script]);
}
