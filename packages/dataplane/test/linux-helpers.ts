import { readFileSync } from "node:fs";
import { type CompiledFabric, compile, type TenantInput } from "@netloom/compiler";
import {
  type FabricNodeSpec,
  type IntentFile,
  intentFileSchema,
  parseDocument,
  parseIntentFileOrThrow,
} from "@netloom/model";
import {
  createLinuxDriver,
  createUnderlay,
  destroyOwnedNamespaces,
  labNode,
  runCommand,
  type UnderlayNode,
  underlayNamespace,
  workloadNamespace,
} from "../src/linux";

/** Why the Linux tests cannot run here, or undefined when they can. */
export async function linuxSkipReason(): Promise<string | undefined> {
  if (process.platform !== "linux") return "not Linux";
  if (process.getuid?.() !== 0) return "not root: network namespaces need CAP_SYS_ADMIN";
  const ip = await runCommand(["ip", "netns", "list"]).catch(() => undefined);
  if (ip?.code !== 0) return "`ip netns` unavailable (apt-get install iproute2)";
  const nft = await runCommand(["nft", "--version"]).catch(() => undefined);
  if (nft?.code !== 0) return "`nft` unavailable (apt-get install nftables)";
  return undefined;
}

export function intentOf(value: unknown): IntentFile {
  return intentFileSchema.parse({ apiVersion: "netloom/v1", ...(value as object) });
}

export function loadIntent(path: string): IntentFile {
  return parseIntentFileOrThrow(parseDocument(readFileSync(path, "utf8")));
}

/** A tenant whose intent fixes every node and address: only VNIs are left to allocate. */
export function tenantInput(intent: IntentFile, id: string, vniBase: number): TenantInput {
  const vnis: Record<string, number> = {};
  (intent.networks ?? []).forEach((network, i) => {
    vnis[network.name] = vniBase + i;
  });
  return { id, intent, vnis, natAddresses: {} };
}

export function compileFor(nodes: readonly UnderlayNode[], tenants: TenantInput[]): CompiledFabric {
  const fabric = {
    nodes: nodes.map((node) => ({ name: node.name, underlay: node.underlay }) as FabricNodeSpec),
  };
  return compile({ fabric, tenants });
}

/**
 * The owner tag of one test file's run: `<label>_<pid>`. The underscore keeps it apart from
 * every lab name, the pid from the same test run at the same time from another checkout.
 */
export const testOwner = (label: string) => `${label}_${process.pid.toString(36)}`;

/**
 * A lab at driver level: underlay, node namespaces, one driver per node, all owned by `owner`
 * (namespaces `nl-<owner>.…`), apart from every lab and every other test run.
 */
export async function driverLab(owner: string, count: number, outsideUnderlay?: string) {
  await destroyOwnedNamespaces(owner);
  const nodes = Array.from({ length: count }, (_, i) => labNode(i + 1, owner));
  await createUnderlay(nodes, underlayNamespace(owner));
  const drivers = nodes.map((node) => nodeDriver(node, outsideUnderlay));
  return { nodes, drivers };
}

/**
 * A new driver for a lab node. Made after the lab's own, it stands for the agent restarted
 * after kill -9: it has no memory of what the node holds.
 */
export function nodeDriver(node: UnderlayNode, outsideUnderlay?: string) {
  return createLinuxDriver({
    node: node.name,
    nodeNamespace: node.namespace,
    underlayIp: node.underlay,
    ...(outsideUnderlay ? { outsideUnderlay } : {}),
  });
}

/** The namespace of `workload` of `tenantId` on `node`. */
export function workloadNs(node: UnderlayNode, tenantId: string, workload: string) {
  return workloadNamespace(node.namespace, tenantId, workload);
}
