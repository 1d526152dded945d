import { readdir } from "node:fs/promises";
import { ipBatch, mustRun, setSysctls } from "./exec";
import { nodeLinkLocal, nodeOverlayMac, ownerPrefix, vxlanDevice } from "./names";

/**
 * "Outside" in the lab (spec section 4): a host on the underlay at OUTSIDE_UNDERLAY, and per
 * external network (VNI) a namespace standing on that network through its own VXLAN device.
 * Outside addresses are put on its loopback as probes need them; floating IPs are routed to the
 * node that hosts their workload.
 */
export const OUTSIDE_UNDERLAY = "198.18.0.250";

export const outsideHostNamespace = (owner: string) => `${ownerPrefix(owner)}outside`;
export const outsideNamespace = (vni: number, owner: string) => `${ownerPrefix(owner)}o${vni}`;

async function exists(namespace: string) {
  try {
    return (await readdir("/run/netns")).includes(namespace);
  } catch {
    return false;
  }
}

/** The outside host: a namespace with a veth into the underlay bridge. Idempotent. */
export async function createOutsideHost(underlayNs: string, owner: string): Promise<string> {
  const host = outsideHostNamespace(owner);
  if (await exists(host)) return host;
  await ipBatch(undefined, [`netns add ${host}`]);
  await ipBatch(underlayNs, [
    `link add p-outside type veth peer name eth0 netns ${host}`,
    "link set p-outside master br0 up",
  ]);
  await ipBatch(host, [
    "link set lo up",
    "link set eth0 up",
    `addr replace ${OUTSIDE_UNDERLAY}/24 dev eth0`,
  ]);
  return host;
}

/** One external network as the outside sees it. */
export interface OutsideNetwork {
  vni: number;
  /** Every node's underlay (they all may host the network's floating IPs). */
  nodeUnderlays: string[];
  /** Addresses to route to a node: floating IPs, NAT addresses; value = node underlay. */
  routes: Record<string, string>;
  /** Outside addresses to hold locally (probe sources and listeners). */
  addresses: string[];
}

/** Makes (idempotently) the outside namespace of one external network; returns its name. */
export async function ensureOutsideNetwork(
  network: OutsideNetwork,
  owner: string,
): Promise<string> {
  const host = outsideHostNamespace(owner);
  const ns = outsideNamespace(network.vni, owner);
  const device = vxlanDevice(network.vni);
  if (!(await exists(ns))) {
    await ipBatch(undefined, [`netns add ${ns}`]);
    await ipBatch(host, [
      `link add ${device} address ${nodeOverlayMac(OUTSIDE_UNDERLAY)} type vxlan id ${network.vni} ` +
        `local ${OUTSIDE_UNDERLAY} dstport 4789 nolearning`,
      `link set ${device} netns ${ns}`,
    ]);
    // The outside routes too: a workload's flow to a floating IP turns around here.
    await setSysctls(ns, ["net.ipv4.ip_forward=1"]);
  }
  const lines = ["link set lo up", `link set ${device} up`];
  for (const underlay of network.nodeUnderlays) {
    lines.push(
      `neigh replace ${nodeLinkLocal(underlay)} dev ${device} lladdr ${nodeOverlayMac(underlay)} nud permanent`,
    );
  }
  for (const [address, underlay] of Object.entries(network.routes)) {
    lines.push(`route replace ${address}/32 via ${nodeLinkLocal(underlay)} dev ${device} onlink`);
  }
  for (const address of network.addresses) lines.push(`addr replace ${address}/32 dev lo`);
  await ipBatch(ns, lines);
  await mustRun(
    ["bridge", "-n", ns, "-batch", "-"],
    `${network.nodeUnderlays
      .map(
        (underlay) =>
          `fdb replace ${nodeOverlayMac(underlay)} dev ${device} dst ${underlay} self permanent`,
      )
      .join("\n")}\n`,
  );
  return ns;
}
