import { chmod, chown, mkdir, readFile, rm, writeFile } from "node:fs/promises";
import path from "node:path";
import { mustRun, ownerPrefix, runCommand } from "@netloom/dataplane";
import { NetloomError, nodeOverlayMac } from "@netloom/model";

/**
 * The lab's data-center gateway (issue 14): Debian's FRR (zebra + bgpd, as user frr) in a
 * namespace on the lab's underlay, with the fabric's L3 VNI in its default VRF (the kernel has no
 * VRF devices: a bridge `br<VNI>` whose MAC is the router MAC, and `vxlan<VNI>` on it), an
 * "internet" prefix with a host behind it, and a BGP session over l2vpn-evpn with the lab's
 * controller speaker, which stands in a namespace of its own on the same underlay.
 */

/** Where the gateway and the speaker(s) stand on the lab's underlay (198.18.0.0/24). */
export const GATEWAY_UNDERLAY = "198.18.0.240";
/** The speaker of the lab's controller; a lab joining another's underlay takes the next ones. */
export const speakerUnderlay = (slot: number) => `198.18.0.${200 + slot}`;
/**
 * Redundant speakers (`lab up --gateway --speakers N`): speaker i (0-based) of the gateway's lab;
 * the first is the usual one, the others stand at 198.18.0.(210+i) in `<lab>.speaker<i+1>`.
 */
export const redundantSpeakerUnderlay = (index: number) =>
  index === 0 ? speakerUnderlay(0) : `198.18.0.${210 + index}`;
/**
 * Redundant speaker i's anchor subnet (its controller's NETLOOM_BGP_ANCHOR_SUBNET): each speaker
 * originates an anchor /32 per node in its own, so that FRR 8.4 keeps the router-MAC entries
 * when its best path moves between speakers (decision 0008).
 */
export const redundantAnchorSubnet = (index: number) => `169.254.${100 + index}.0/24`;
/** The gateway's "internet": a prefix it holds and advertises, with one host in it. */
export const INTERNET_PREFIX = "192.0.2.0/24";
export const INTERNET_GATEWAY = "192.0.2.1";
export const INTERNET_HOST = "192.0.2.10";
/** Defaults of `lab up --gateway`: the gateway's AS, the fabric's AS, L3 VNI and route target. */
export const GATEWAY_DEFAULTS = {
  gatewayAs: 65100,
  fabricAs: 65000,
  vni: 5000,
  routeTarget: "65000:5000",
} as const;

export const gatewayNamespace = (lab: string) => `${ownerPrefix(lab)}gateway`;
export const internetNamespace = (lab: string) => `${ownerPrefix(lab)}internet`;
export const speakerNamespace = (lab: string, index = 0) =>
  `${ownerPrefix(lab)}speaker${index === 0 ? "" : index + 1}`;

/** What the lab records of its gateway. */
export interface LabGatewayState {
  namespace: string;
  internetNamespace: string;
  address: string;
  as: number;
  vni: number;
  routeTarget: string;
  /** Router MAC: the MAC of its `br<VNI>`. */
  routerMac: string;
  /** zebra's and bgpd's files, sockets and pid files; `vtysh --vty_socket <frrDir>`. */
  frrDir: string;
  internetHost: string;
  internetPrefix: string;
}

export interface GatewayOptions {
  lab: string;
  underlayNamespace: string;
  /** The speaker(s) the gateway peers with. */
  speakers: { address: string; as: number }[];
  as?: number;
  vni?: number;
  routeTarget?: string;
}

/**
 * FRR's files, sockets and pid files: one folder per lab name (lab names own their namespaces
 * machine-wide, so their gateway's folder too), where user frr can reach it whatever the
 * permissions of the working directory, with a vty socket path short enough for a Unix socket.
 */
export const FRR_RUN_DIR = "/run/netloom-frr";
export const frrDirOf = (lab: string) => path.join(FRR_RUN_DIR, lab);

const ip = (namespace: string | undefined, lines: string[]) =>
  mustRun(["ip", ...(namespace ? ["-n", namespace] : []), "-batch", "-"], `${lines.join("\n")}\n`);

async function namespaceExists(namespace: string): Promise<boolean> {
  const result = await runCommand(["ip", "netns", "pids", namespace]);
  return result.code === 0;
}

/**
 * A namespace standing on the lab's underlay bridge at `address`, through a veth whose bridge end
 * is `port`. Idempotent: an existing namespace is kept as it is.
 */
export async function joinUnderlay(
  underlayNamespace: string,
  namespace: string,
  port: string,
  address: string,
): Promise<void> {
  if (await namespaceExists(namespace)) return;
  await ip(undefined, [`netns add ${namespace}`]);
  await ip(underlayNamespace, [
    `link add ${port} type veth peer name eth0 netns ${namespace}`,
    `link set ${port} master br0 up`,
  ]);
  await ip(namespace, [
    "link set lo up",
    "link set eth0 up",
    `addr replace ${address}/24 dev eth0`,
  ]);
}

function zebraConfig(vni: number, frrDir: string): string {
  return [
    "hostname gateway",
    `log file ${path.join(frrDir, "zebra.log")}`,
    // The L3 VNI of the default VRF (no VRF devices in this kernel).
    `vni ${vni}`,
    "",
  ].join("\n");
}

function bgpdConfig(state: LabGatewayState, speakers: GatewayOptions["speakers"]): string {
  const lines = [
    "hostname gateway",
    `log file ${path.join(state.frrDir, "bgpd.log")}`,
    `router bgp ${state.as}`,
    ` bgp router-id ${state.address}`,
    " no bgp ebgp-requires-policy",
    " no bgp default ipv4-unicast",
    // Helper for the speakers' restarts: their routes stay while they come back.
    " bgp graceful-restart",
    " bgp graceful-restart preserve-fw-state",
  ];
  for (const speaker of speakers) {
    lines.push(
      ` neighbor ${speaker.address} remote-as ${speaker.as}`,
      ` neighbor ${speaker.address} timers connect 5`,
    );
  }
  lines.push(
    " address-family ipv4 unicast",
    `  network ${state.internetPrefix}`,
    " exit-address-family",
  );
  lines.push(" address-family l2vpn evpn");
  for (const speaker of speakers) lines.push(`  neighbor ${speaker.address} activate`);
  lines.push(
    "  advertise-all-vni",
    "  advertise ipv4 unicast",
    `  route-target import ${state.routeTarget}`,
    `  route-target export ${state.routeTarget}`,
    " exit-address-family",
    "",
  );
  return lines.join("\n");
}

/** Runs one FRR daemon in the gateway's namespace; it forks into the background (-d). */
async function startDaemon(state: LabGatewayState, daemon: "zebra" | "bgpd"): Promise<void> {
  const dir = state.frrDir;
  const args = [
    ...["netns", "exec", state.namespace, `/usr/lib/frr/${daemon}`, "-d"],
    ...["-f", path.join(dir, `${daemon}.conf`), "-i", path.join(dir, `${daemon}.pid`)],
    ...["-z", path.join(dir, "zserv.api"), "--vty_socket", dir, "-A", "127.0.0.1"],
  ];
  await mustRun(["ip", ...args]);
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** `vtysh` on the gateway: one command, its output. */
export function gatewayVtysh(state: Pick<LabGatewayState, "frrDir">, command: string) {
  return mustRun(["vtysh", "--vty_socket", state.frrDir, "-c", command]);
}

/**
 * Builds the gateway (idempotently: an existing one is stopped and rebuilt with the speakers
 * now given) and starts FRR in it.
 */
export async function createGateway(options: GatewayOptions): Promise<LabGatewayState> {
  if ((await runCommand(["test", "-x", "/usr/lib/frr/bgpd"])).code !== 0) {
    throw new NetloomError("PRECONDITION_FAILED", "--gateway needs FRR: apt-get install -y frr");
  }
  const vni = options.vni ?? GATEWAY_DEFAULTS.vni;
  const state: LabGatewayState = {
    namespace: gatewayNamespace(options.lab),
    internetNamespace: internetNamespace(options.lab),
    address: GATEWAY_UNDERLAY,
    as: options.as ?? GATEWAY_DEFAULTS.gatewayAs,
    vni,
    routeTarget: options.routeTarget ?? GATEWAY_DEFAULTS.routeTarget,
    routerMac: nodeOverlayMac(GATEWAY_UNDERLAY),
    frrDir: frrDirOf(options.lab),
    internetHost: INTERNET_HOST,
    internetPrefix: INTERNET_PREFIX,
  };
  await stopGateway(state);
  const fresh = !(await namespaceExists(state.namespace));
  await joinUnderlay(options.underlayNamespace, state.namespace, "p-gateway", state.address);
  if (fresh) {
    await ip(undefined, [`netns add ${state.internetNamespace}`]);
    await ip(state.namespace, [
      `link add eth1 type veth peer name eth0 netns ${state.internetNamespace}`,
      `addr replace ${INTERNET_GATEWAY}/24 dev eth1`,
      "link set eth1 up",
      `link add br${vni} address ${state.routerMac} type bridge`,
      `link add vxlan${vni} type vxlan id ${vni} local ${state.address} dstport 4789 nolearning`,
      `link set vxlan${vni} master br${vni} addrgenmode none`,
      `link set br${vni} addrgenmode none`,
      `link set vxlan${vni} up`,
      `link set br${vni} up`,
    ]);
    await ip(state.internetNamespace, [
      "link set lo up",
      "link set eth0 up",
      `addr replace ${INTERNET_HOST}/24 dev eth0`,
      `route replace default via ${INTERNET_GATEWAY}`,
    ]);
    await mustRun([
      "ip",
      "netns",
      "exec",
      state.namespace,
      "sysctl",
      "-qw",
      "net.ipv4.ip_forward=1",
    ]);
  }
  await rm(state.frrDir, { recursive: true, force: true });
  await mkdir(state.frrDir, { recursive: true });
  await chmod(FRR_RUN_DIR, 0o755);
  await writeFile(path.join(state.frrDir, "zebra.conf"), zebraConfig(vni, state.frrDir));
  await writeFile(path.join(state.frrDir, "bgpd.conf"), bgpdConfig(state, options.speakers));
  // FRR refuses to run as root (its vty group): its files belong to its own user.
  const frr = await frrIds();
  for (const file of ["", "zebra.conf", "bgpd.conf"]) {
    await chown(path.join(state.frrDir, file), frr.uid, frr.gid);
  }
  await startDaemon(state, "zebra");
  await startDaemon(state, "bgpd");
  for (let i = 0; i < 100; i += 1) {
    const answer = await runCommand([
      "vtysh",
      "--vty_socket",
      state.frrDir,
      "-c",
      "show bgp summary",
    ]);
    if (answer.code === 0) return state;
    await sleep(100);
  }
  throw new NetloomError(
    "INTERNAL",
    `FRR did not come up in ${state.namespace}: see ${state.frrDir}`,
  );
}

async function frrIds(): Promise<{ uid: number; gid: number }> {
  const passwd = await readFile("/etc/passwd", "utf8");
  const line = passwd.split("\n").find((entry) => entry.startsWith("frr:"));
  const [, , uid, gid] = line?.split(":") ?? [];
  if (uid === undefined || gid === undefined) {
    throw new NetloomError("PRECONDITION_FAILED", "no user frr: apt-get install -y frr");
  }
  return { uid: Number(uid), gid: Number(gid) };
}

/** Stops the gateway's FRR daemons by their pid files (never by name). */
export async function stopGateway(state: Pick<LabGatewayState, "frrDir">): Promise<void> {
  for (const daemon of ["bgpd", "zebra"]) {
    let pid: number;
    try {
      pid = Number((await readFile(path.join(state.frrDir, `${daemon}.pid`), "utf8")).trim());
    } catch {
      continue;
    }
    if (!Number.isInteger(pid) || pid <= 1) continue;
    const cmdline = await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => "");
    if (!cmdline.includes(`/usr/lib/frr/${daemon}`)) continue;
    try {
      process.kill(pid, "SIGTERM");
    } catch {
      continue;
    }
    for (let i = 0; i < 50; i += 1) {
      if (!(await readFile(`/proc/${pid}/cmdline`, "utf8").catch(() => ""))) break;
      await sleep(100);
    }
  }
}

/** Stops the gateway and removes its FRR folder. */
export async function removeGateway(state: Pick<LabGatewayState, "frrDir">): Promise<void> {
  await stopGateway(state);
  await rm(state.frrDir, { recursive: true, force: true });
}
