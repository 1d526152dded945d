import { spawn } from "node:child_process";
import { mkdir, readFile, rename, rm, stat, writeFile } from "node:fs/promises";
import type { TenantConfig } from "@netloom/compiler";

/**
 * The DNS service (spec 2 rule 8): a small responder the driver runs in each tenant namespace
 * that has a zone, bound to udp/53 (the nft input chain lets only the zone's gateways through).
 * It answers A queries for `<workload>.<domain>` with the address the asker's network sees,
 * re-reading its zone file whenever it changes; anything it cannot parse gets FORMERR, so a
 * bare UDP probe to the gateway is answered too.
 */
const RESPONDER = `
const dgram = require("node:dgram"), fs = require("node:fs");
const zoneFile = process.argv[1];
let zone = { records: [], networks: [] }, stamp = 0;
const load = () => { try { const m = fs.statSync(zoneFile).mtimeMs; if (m !== stamp) { zone = JSON.parse(fs.readFileSync(zoneFile, "utf8")); stamp = m; } } catch {} };
const toNum = (ip) => ip.split(".").reduce((a, p) => a * 256 + Number(p), 0);
const inCidr = (ip, cidr) => { const [b, l] = cidr.split("/"); const size = 2 ** (32 - Number(l)); return Math.floor(toNum(ip) / size) === Math.floor(toNum(b) / size); };
const sock = dgram.createSocket("udp4");
sock.on("message", (msg, from) => {
  load();
  if (msg.length < 12) return sock.send(Buffer.alloc(12), from.port, from.address);
  const id = msg.readUInt16BE(0);
  let i = 12; const labels = [];
  while (i < msg.length && msg[i] !== 0 && labels.length < 64) { labels.push(msg.subarray(i + 1, i + 1 + msg[i]).toString()); i += msg[i] + 1; }
  const header = Buffer.alloc(12); header.writeUInt16BE(id, 0);
  if (i + 5 > msg.length) { header.writeUInt16BE(0x8001, 2); return sock.send(header, from.port, from.address); }
  const question = msg.subarray(12, i + 5); const qtype = msg.readUInt16BE(i + 1);
  const name = labels.join(".").toLowerCase();
  const network = (zone.networks.find((n) => n.cidrs.some((c) => inCidr(from.address, c))) || {}).name;
  const matches = zone.records.filter((r) => r.name === name);
  const record = matches.find((r) => r.network === network) || matches[0];
  header.writeUInt16BE(record ? 0x8400 : 0x8403, 2); header.writeUInt16BE(1, 4);
  const answers = [];
  if (record && qtype === 1) {
    const a = Buffer.alloc(16); a.writeUInt16BE(0xc00c, 0); a.writeUInt16BE(1, 2); a.writeUInt16BE(1, 4); a.writeUInt32BE(30, 6); a.writeUInt16BE(4, 10);
    record.ip.split(".").forEach((p, k) => a.writeUInt8(Number(p), 12 + k)); answers.push(a);
  }
  header.writeUInt16BE(answers.length, 6);
  sock.send(Buffer.concat([header, question, ...answers]), from.port, from.address);
});
sock.bind(53, "0.0.0.0");
`;

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
    ["netns", "exec", namespace, process.execPath, "-e", RESPONDER, file, MARKER],
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
