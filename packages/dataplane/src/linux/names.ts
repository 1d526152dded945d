import { createHash } from "node:crypto";

/**
 * Names of everything the Linux driver makes. Namespaces live in one flat list per machine
 * (/run/netns), so each carries its node's prefix; device names stay inside their namespace and
 * only need to fit IFNAMSIZ (15 chars). Everything derives from ids, never from tenant names.
 */

/** Every namespace netloom makes starts with this, so cleanup can find them. */
export const NAMESPACE_PREFIX = "nl-";

/**
 * A lab's name: its namespaces are `nl-<name>.…`. No dash or dot, so no lab's prefix is another
 * lab's (`nl-a.` never starts `nl-ab.`) nor a real host's node prefix (`nl-<node>-`, node names
 * have no dot); no underscore, which the tests' owner tags carry.
 */
export const LAB_NAME_PATTERN = /^[a-z][a-z0-9]{0,15}$/;

/**
 * Every namespace of one owner (a lab, or a test run) starts with this and nothing of another
 * owner does: sweeps by this prefix remove only the owner's own.
 */
export const ownerPrefix = (owner: string) => `${NAMESPACE_PREFIX}${owner}.`;

/**
 * Marker (the link's alias) of the VXLAN devices a driver makes in a node namespace it does not
 * own (the host's, on a real node): only devices with its own marker are ever swept there.
 */
export const deviceMarker = (namespacePrefix: string) => `netloom:${namespacePrefix}`;

/** The nftables table the driver owns in each tenant namespace. */
export const NFT_TABLE = "netloom";

const shortHash = (text: string, length: number) =>
  createHash("sha1").update(text).digest("hex").slice(0, length);

/** The tenant's routing namespace (its VRF) on a node. */
export const tenantNamespace = (nodeNamespace: string, tenantKey: string) =>
  `${nodeNamespace}-t${tenantKey}`;

/** A workload's namespace on the node that hosts it. */
export const workloadNamespace = (nodeNamespace: string, tenantId: string, workload: string) =>
  `${nodeNamespace}-w${shortHash(`${tenantId}/${workload}`, 10)}`;

/** Tenant-side end of a workload's veth (in the tenant namespace). */
export const portDevice = (portId: string) => `v${portId}`;

/** Workload-side end of a veth (in the workload namespace). */
export const workloadDevice = (interfaceIndex: number) => `eth${interfaceIndex}`;

/** The VXLAN device of one tenant network; VNIs are unique per fabric, so per node namespace. */
export const vxlanDevice = (vni: number) => `vx${vni}`;

/** A named nft counter for a rule id: stable across applies, so counts survive changes. */
export const counterName = (ruleId: string) => `c_${shortHash(ruleId, 12)}`;

// Moved to the model (issue 14): the controller's EVPN speaker exports the same router MACs.
export { nodeLinkLocal, nodeOverlayMac } from "@netloom/model";

const hex = (value: number) => value.toString(16).padStart(2, "0");

/** MAC of the tenant-side veth of a port (the workload's gateway MAC). */
export const portGatewayMac = (portId: string) => {
  const digest = createHash("sha1").update(`gw/${portId}`).digest();
  return `02:6e:${[2, 3, 4, 5].map((i) => hex(digest[i] ?? 0)).join(":")}`;
};
