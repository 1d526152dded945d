import { spawn } from "node:child_process";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import type { TenantConfig } from "@netloom/compiler";

/**
 * The DNS service (spec 2 rule 8): the typed responder of dns-responder.ts, run by the driver in
 * each tenant namespace that has a zone, bound to udp/53 (the nft input chain lets only the
 * zone's gateways through), reading the zone file this module writes.
 */
const RESPONDER_MAIN = fileURLToPath(new URL("./dns-responder-main.mjs", import.meta.url));

const RUN_DIR = "/run/netloom";
const MARKER = "netloom-dns";

const zonePath = (namespace: string) => `${RUN_DIR}/${namespace}.dns.json`;
const pidPath = (namespace: string) => `${RUN_DIR}/${namespace}.dns.pid`;

/** The zone file's content for a tenant, or undefined when it has no DNS service here. */
export function zoneOf(tenant: TenantConfig): string | undefined {
  if (tenant.dnsZones.length === 0) return undefined;
  const records = tenant.dnsZones.flatMap((zone) =>
    zone.records.map((record) => ({ ...record, name: record.name.toLowerCase() })),
  );
  const networks = tenant.networks.map((network) => ({
    name: network.name,
    cidrs: network.subnets.map((subnet) => subnet.cidr),
  }));
  return `${JSON.stringify({ records, networks })}\n`;
}

/** The recorded responder's pid, if that process is ours (marker and zone file in its command). */
async function recordedPid(namespace: string): Promise<number | undefined> {
  try {
    const pid = Number.parseInt(await readFile(pidPath(namespace), "utf8"), 10);
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8");
    return cmdline.includes(MARKER) && cmdline.includes(zonePath(namespace)) ? pid : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The responder's pid when it runs inside the namespace of that name now: a namespace deleted
 * and made again under the same name is another namespace, and its old responder is stale.
 */
async function runningPid(namespace: string): Promise<number | undefined> {
  const pid = await recordedPid(namespace);
  if (pid === undefined) return undefined;
  try {
    const [inside, named] = await Promise.all([
      stat(`/proc/${pid}/ns/net`),
      stat(`/run/netns/${namespace}`),
    ]);
    if (inside.ino === named.ino && inside.dev === named.dev) return pid;
  } catch {
    // the namespace is gone: the responder is stale
  }
  kill(pid);
  return undefined;
}

function kill(pid: number) {
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    // already gone
  }
}

/** Whether the namespace's responder runs. */
export async function responderRunning(namespace: string): Promise<boolean> {
  return (await runningPid(namespace)) !== undefined;
}

/** Writes the zone and starts the responder if it is not running; stops it for no zone. */
export async function ensureResponder(namespace: string, zone: string | undefined): Promise<void> {
  if (zone === undefined) {
    await stopResponder(namespace);
    return;
  }
  await mkdir(RUN_DIR, { recursive: true });
  const file = zonePath(namespace);
  let current: string | undefined;
  try {
    current = await readFile(file, "utf8");
  } catch {
    current = undefined;
  }
  if (current !== zone) {
    await writeFile(`${file}.tmp`, zone);
    await rename(`${file}.tmp`, file);
  }
  if (await runningPid(namespace)) return;
  // setsid: the responder belongs to the dataplane, not to the agent process; it survives an
  // agent restart and is found again through its pid file.
  const child = spawn(
    "ip",
    ["netns", "exec", namespace, process.execPath, RESPONDER_MAIN, file, MARKER],
    { detached: true, stdio: "ignore" },
  );
  child.unref();
  if (child.pid !== undefined) await writeFile(pidPath(namespace), `${child.pid}\n`);
}

/** Stops the namespace's responder (by its recorded pid) and removes its files. */
export async function stopResponder(namespace: string): Promise<void> {
  const pid = await recordedPid(namespace);
  if (pid !== undefined) kill(pid);
  await rm(pidPath(namespace), { force: true });
  await rm(zonePath(namespace), { force: true });
}
