import { readdir } from "node:fs/promises";
import { NetloomError } from "@netloom/model";
import { stopResponder } from "./dns";
import { ipBatch, mustRun, runCommand } from "./exec";
import { NAMESPACE_PREFIX, ownerPrefix } from "./names";

const UNDERLAY_BRIDGE = "br0";

/** One simulated forwarding node: a namespace with an address on the underlay. */
export interface UnderlayNode {
  name: string;
  namespace: string;
  underlay: string;
}

/**
 * Node `compute-i` (1-based) of the lab (or test run) `owner`: namespace `nl-<owner>.n-i`,
 * underlay 198.18.0.(10+i) on the owner's own underlay bridge, so labs never share an address.
 */
export function labNode(index: number, owner: string): UnderlayNode {
  return {
    name: `compute-${index}`,
    namespace: `${ownerPrefix(owner)}n-${index}`,
    underlay: `198.18.0.${10 + index}`,
  };
}

/** The underlay namespace of the lab (or test run) `owner`. */
export const underlayNamespace = (owner: string) => `${ownerPrefix(owner)}underlay`;

/**
 * Builds (idempotently) the underlay: a bridge namespace and one namespace per node with a veth
 * into the bridge. Nothing touches the root namespace's addresses.
 */
export async function createUnderlay(
  nodes: readonly UnderlayNode[],
  underlay: string,
): Promise<void> {
  const present = new Set(await listNamespaces(NAMESPACE_PREFIX));
  const wanted = [underlay, ...nodes.map((node) => node.namespace)];
  await ipBatch(
    undefined,
    wanted.filter((ns) => !present.has(ns)).map((ns) => `netns add ${ns}`),
  );
  const links = new Set(
    ((await ipLinks(underlay)) as { ifname: string }[]).map((link) => link.ifname),
  );
  const lines = ["link set lo up"];
  if (!links.has(UNDERLAY_BRIDGE)) lines.push(`link add ${UNDERLAY_BRIDGE} type bridge`);
  lines.push(`link set ${UNDERLAY_BRIDGE} up`);
  nodes.forEach((node) => {
    const port = `p-${node.name}`.slice(0, 15);
    if (!links.has(port)) {
      lines.push(`link add ${port} type veth peer name eth0 netns ${node.namespace}`);
    }
    lines.push(`link set ${port} master ${UNDERLAY_BRIDGE} up`);
  });
  await ipBatch(underlay, lines);
  await Promise.all(
    nodes.map((node) =>
      ipBatch(node.namespace, [
        "link set lo up",
        "link set eth0 up",
        `addr replace ${node.underlay}/24 dev eth0`,
      ]),
    ),
  );
}

/** The namespaces on this machine whose names start with `prefix`. */
export async function listNamespaces(prefix: string): Promise<string[]> {
  try {
    return (await readdir("/run/netns")).filter((name) => name.startsWith(prefix));
  } catch {
    return [];
  }
}

/**
 * Deletes the namespaces starting with `prefix` (always an owner's: see `ownerPrefix`); devices
 * inside them go with them. Returns those it deleted.
 */
export async function destroyNamespaces(prefix: string): Promise<string[]> {
  if (!prefix.startsWith(NAMESPACE_PREFIX) || prefix.length <= NAMESPACE_PREFIX.length) {
    throw new NetloomError("INVALID", `refusing to sweep namespaces by prefix "${prefix}"`);
  }
  const namespaces = await listNamespaces(prefix);
  const deleted: string[] = [];
  // One by one: a namespace someone else deleted meanwhile must not stop the others.
  for (const ns of namespaces) {
    // A process inside keeps a deleted namespace alive: stop the driver's DNS responders first.
    await stopResponder(ns);
    const result = await runCommand(["ip", "netns", "del", ns]);
    if (result.code === 0) deleted.push(ns);
    else if (!/No such file/i.test(result.stderr)) {
      throw new NetloomError("INTERNAL", `ip netns del ${ns} failed: ${result.stderr.trim()}`);
    }
  }
  return deleted;
}

/** Deletes every namespace of the lab (or test run) `owner`, and nothing of anyone else's. */
export const destroyOwnedNamespaces = (owner: string) => destroyNamespaces(ownerPrefix(owner));

async function ipLinks(namespace: string) {
  const out = await mustRun(["ip", "-n", namespace, "-j", "link", "show"]);
  return out.trim() === "" ? [] : (JSON.parse(out) as unknown);
}
