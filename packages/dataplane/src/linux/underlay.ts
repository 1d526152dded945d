import { readdir } from "node:fs/promises";
import { stopResponder } from "./dns";
import { ipBatch, mustRun } from "./exec";
import { NAMESPACE_PREFIX } from "./names";

/** The underlay namespace: one bridge joining every node namespace (and outside hosts). */
export const UNDERLAY_NAMESPACE = `${NAMESPACE_PREFIX}underlay`;
const UNDERLAY_BRIDGE = "br0";

/** One simulated forwarding node: a namespace with an address on the underlay. */
export interface UnderlayNode {
  name: string;
  namespace: string;
  underlay: string;
}

/**
 * Node `compute-i` (1-based) of a lab: namespace `nl-<tag>n-i`, underlay 198.18.0.(10+i). A tag
 * keeps a test's lab apart from the user's (`netloom lab up` uses none).
 */
export function labNode(index: number, tag = ""): UnderlayNode {
  return {
    name: `compute-${index}`,
    namespace: `${NAMESPACE_PREFIX}${tag}n-${index}`,
    underlay: `198.18.0.${10 + index}`,
  };
}

/** The underlay namespace of a lab with this tag. */
export const underlayNamespace = (tag = "") => `${NAMESPACE_PREFIX}${tag}underlay`;

/**
 * Builds (idempotently) the underlay: a bridge namespace and one namespace per node with a veth
 * into the bridge. Nothing touches the root namespace's addresses.
 */
export async function createUnderlay(
  nodes: readonly UnderlayNode[],
  underlay = UNDERLAY_NAMESPACE,
): Promise<void> {
  const present = new Set(await listAllNamespaces());
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
    const port = `p-${node.namespace.split("-").pop() ?? ""}`.slice(0, 15);
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

/** Every namespace netloom made on this machine (any node, any lab), or those with `prefix`. */
export async function listAllNamespaces(prefix = NAMESPACE_PREFIX): Promise<string[]> {
  try {
    return (await readdir("/run/netns")).filter((name) => name.startsWith(prefix));
  } catch {
    return [];
  }
}

/** Deletes every namespace starting with `prefix`; devices inside them go with them. */
export async function destroyAllNamespaces(prefix = NAMESPACE_PREFIX): Promise<string[]> {
  const namespaces = await listAllNamespaces(prefix);
  // One by one: a namespace someone else deleted meanwhile must not stop the others.
  for (const ns of namespaces) {
    // A process inside keeps a deleted namespace alive: stop the driver's DNS responders first.
    await stopResponder(ns);
    await mustRun(["ip", "netns", "del", ns]).catch(() => undefined);
  }
  return namespaces;
}

async function ipLinks(namespace: string) {
  const out = await mustRun(["ip", "-n", namespace, "-j", "link", "show"]);
  return out.trim() === "" ? [] : (JSON.parse(out) as unknown);
}
