import { execFileSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { runCommand } from "@netloom/dataplane";
import { run } from "../src/run";

/** Shared by the EVPN lab tests (issue 14): skip reason, the CLI, FRR's table, waiting. */

export async function evpnSkipReason(): Promise<string | undefined> {
  if (process.platform !== "linux") return "not Linux";
  if (process.getuid?.() !== 0) return "not root: network namespaces need CAP_SYS_ADMIN";
  const ip = await runCommand(["ip", "netns", "list"]).catch(() => undefined);
  if (ip?.code !== 0) return "`ip netns` unavailable";
  for (const [binary, pkg] of [
    ["gobgpd", "gobgpd"],
    ["/usr/lib/frr/bgpd", "frr"],
  ] as const) {
    try {
      execFileSync("test", ["-x", binary.startsWith("/") ? binary : `/usr/bin/${binary}`]);
    } catch {
      return `${binary} is not installed (apt-get install -y ${pkg})`;
    }
  }
  return undefined;
}

export interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

/** A working directory with files and a `netloom` runner bound to one controller. */
export function cliWorkspace(token: string) {
  const work = mkdtempSync(path.join(tmpdir(), "netloom-evpn-"));
  const netloom = async (argv: string[], server: string): Promise<Outcome> => {
    let stdout = "";
    let stderr = "";
    const code = await run(argv, {
      stdout: (text) => {
        stdout += text;
      },
      stderr: (text) => {
        stderr += text;
      },
      env: { HOME: work, NETLOOM_SERVER: server, NETLOOM_TOKEN: token },
      cwd: work,
    });
    return { code, stdout, stderr };
  };
  const file = (name: string, value: unknown) => {
    const target = path.join(work, name);
    writeFileSync(target, typeof value === "string" ? value : JSON.stringify(value, null, 2));
    return target;
  };
  return { work, netloom, file };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `probe` until it answers something truthy; fails naming `what` after `timeoutMs`. */
export async function until<T>(
  what: string,
  probe: () => T | Promise<T>,
  timeoutMs = 60_000,
  everyMs = 100,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await probe();
      if (value) return value as NonNullable<T>;
      last = value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      throw new Error(`timed out waiting for ${what} (last: ${String(last)})`);
    }
    await sleep(everyMs);
  }
}

/**
 * The type-5 routes FRR learned from peers, as "prefix via nexthop" (its own, whose next hop is
 * itself, left out), from `show bgp l2vpn evpn json`.
 */
export async function frrLearnedType5(frrDir: string, self: string): Promise<string[]> {
  const out = execFileSync("vtysh", [
    "--vty_socket",
    frrDir,
    "-c",
    "show bgp l2vpn evpn json",
  ]).toString();
  const table = JSON.parse(out) as Record<string, unknown>;
  const routes = new Set<string>();
  for (const byRd of Object.values(table)) {
    if (!byRd || typeof byRd !== "object" || !("rd" in byRd)) continue;
    for (const [key, entry] of Object.entries(byRd as Record<string, unknown>)) {
      const match = /^\[5\]:\[\d+\]:\[(\d+)\]:\[([\d.]+)\]$/.exec(key);
      if (!match || !entry || typeof entry !== "object") continue;
      const paths = ((entry as { paths?: unknown[] }).paths ?? []).flat() as {
        nexthops?: { ip?: string }[];
      }[];
      for (const one of paths) {
        const nexthop = one.nexthops?.[0]?.ip;
        if (nexthop && nexthop !== self) routes.add(`${match[2]}/${match[1]} via ${nexthop}`);
      }
    }
  }
  return [...routes].sort();
}
