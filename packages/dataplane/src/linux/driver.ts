import { existsSync } from "node:fs";
import { readdir } from "node:fs/promises";
import type { NodeConfig, RuleId } from "@netloom/compiler";
import { NetloomError } from "@netloom/model";
import type { DataplaneDriver, RepairReport } from "../driver";
import { ensureResponder, responderRunning, stopResponder, zoneOf } from "./dns";
import { bridgeBatch, inParallel, ipBatch, ipJson, nftApply, runCommand, setSysctls } from "./exec";
import {
  compareStates,
  type Difference,
  describeDifference,
  kernelState,
  type LinkAttributes,
  listedTables,
  type NormalState,
  removalLines,
  renderedState,
} from "./kernel-state";
import { type NodeLayout, nodeLayout, type TenantLayout, type WorkloadLayout } from "./layout";
import {
  deviceMarker,
  NAMESPACE_PREFIX,
  NFT_TABLE,
  nodeOverlayMac,
  portGatewayMac,
  vxlanDevice,
  workloadDevice,
} from "./names";
import { parseCounters, parseTableObjects, replaceTableScript, type TableObjects } from "./nft";

/** Options of {@link createLinuxDriver}. */
export interface LinuxDriverOptions {
  /** The forwarding node's name (as in the fabric). */
  node: string;
  /**
   * The namespace that stands for the node's host: VXLAN sockets live here. In the lab,
   * `nl-n-<i>`; absent, the root namespace (a real host).
   */
  nodeNamespace?: string;
  /** The node's underlay address: VXLAN source and peers' FDB destination. */
  underlayIp: string;
  /** Prefix of every namespace this driver makes; defaults to the node namespace's name. */
  namespacePrefix?: string;
  /** UDP port of the VXLAN overlay. */
  vxlanPort?: number;
  /** Concurrent `ip` processes when configuring many workload namespaces. */
  parallelism?: number;
  /**
   * Underlay address of the host where external networks' outside addresses live (the lab's
   * outside namespace); default: env NETLOOM_OUTSIDE_UNDERLAY. Absent, external subnets are
   * not routed anywhere.
   */
  outsideUnderlay?: string;
}

const NETNS_DIR = "/run/netns";

async function listNamespaces(prefix: string): Promise<string[]> {
  try {
    const names = await readdir(NETNS_DIR);
    return names.filter((name) => name.startsWith(prefix));
  } catch {
    return [];
  }
}

interface LinkInfo {
  ifname: string;
  ifalias?: string;
}

async function linkNames(namespace: string | undefined): Promise<Set<string>> {
  const links = (await ipJson(namespace, ["link", "show"])) as LinkInfo[];
  return new Set(links.map((link) => link.ifname));
}

/** VXLAN devices in a node namespace that carry `marker`: the only ones a driver may sweep. */
async function markedVxlans(namespace: string | undefined, marker: string): Promise<Set<string>> {
  const links = (await ipJson(namespace, ["link", "show"])) as LinkInfo[];
  return new Set(
    links
      .filter((link) => /^vx\d+$/.test(link.ifname) && link.ifalias === marker)
      .map((link) => link.ifname),
  );
}

async function readTable(namespace: string): Promise<TableObjects | undefined> {
  const result = await runCommand([
    "ip",
    "netns",
    "exec",
    namespace,
    "nft",
    "-j",
    "list",
    "table",
    "inet",
    NFT_TABLE,
  ]);
  if (result.code !== 0) return undefined;
  return parseTableObjects(result.stdout);
}

interface AddressInfo {
  ifname: string;
  addr_info?: { family: string; local: string; prefixlen: number; scope: string }[];
}

/** Global IPv4 addresses inside a workload namespace that its config no longer lists. */
async function staleAddressLines(
  namespace: string,
  interfaces: readonly { interfaceIndex: number; ip: string; prefixLength: number }[],
): Promise<string[]> {
  const wanted = new Set(
    interfaces.map(
      (port) => `${workloadDevice(port.interfaceIndex)} ${port.ip}/${port.prefixLength}`,
    ),
  );
  const links = (await ipJson(namespace, ["addr", "show"])) as AddressInfo[];
  return links.flatMap((link) =>
    (link.addr_info ?? [])
      .filter((info) => info.family === "inet" && info.scope === "global")
      .map((info) => `${link.ifname} ${info.local}/${info.prefixlen}`)
      .filter((entry) => !wanted.has(entry))
      .map((entry) => {
        const [device, address] = entry.split(" ");
        return `addr del ${address} dev ${device}`;
      }),
  );
}

const TENANT_SYSCTLS = [
  "net.ipv4.ip_forward=1",
  "net.ipv4.conf.all.proxy_arp=1",
  "net.ipv4.conf.all.rp_filter=0",
  "net.ipv4.conf.default.rp_filter=0",
];

/**
 * The Linux dataplane of one forwarding node: a routing namespace per tenant (its VRF), a VXLAN
 * device per tenant network, a namespace per workload behind a veth, and one nftables table per
 * tenant namespace. Layout and reasons: docs/decisions/0004-linux-dataplane.md.
 */
export function createLinuxDriver(options: LinuxDriverOptions): DataplaneDriver & {
  /** Namespaces this driver owns, by prefix. */
  readonly namespacePrefix: string;
} {
  const prefix =
    options.namespacePrefix ?? options.nodeNamespace ?? `${NAMESPACE_PREFIX}${options.node}`;
  const ownPrefix = `${prefix}-`;
  const marker = deviceMarker(prefix);
  const nodeNs = options.nodeNamespace;
  const vxlanPort = options.vxlanPort ?? 4789;
  const parallelism = options.parallelism ?? 8;
  const outsideUnderlay = options.outsideUnderlay ?? process.env.NETLOOM_OUTSIDE_UNDERLAY;

  // What this process last wrote, so unchanged parts cost nothing. Lost on restart: the first
  // apply then reads the kernel and rewrites everything (idempotently).
  const appliedTables = new Map<string, TableObjects>();
  const appliedRules = new Map<string, string>();
  const appliedTenantIp = new Map<string, string>();
  const appliedWorkloads = new Map<string, string>();
  /** Tenant namespace to its tenant id, from the last config applied or reconciled. */
  const namespaceTenants = new Map<string, string>();
  let serial: Promise<unknown> = Promise.resolve();
  let nodeChecked = false;

  const exclusive = <T>(task: () => Promise<T>): Promise<T> => {
    const run = serial.then(task, task);
    serial = run.catch(() => undefined);
    return run;
  };

  const deviceSignature = (layout: TenantLayout) =>
    JSON.stringify([layout.lines, layout.fdb, layout.ports.map((p) => p.device)]);

  /** What a tenant namespace must hold, as rendered (devices with their creation attributes). */
  function tenantRendered(layout: TenantLayout): NormalState {
    const links = new Map<string, LinkAttributes>();
    for (const vxlan of layout.vxlans) {
      links.set(vxlan.device, {
        mac: nodeOverlayMac(options.underlayIp),
        vni: vxlan.vni,
        local: options.underlayIp,
        port: vxlanPort,
        learning: false,
      });
    }
    return renderedState(layout.lines, layout.fdb, links);
  }

  const workloadRendered = (workload: WorkloadLayout) =>
    renderedState(workload.lines, [], new Map());

  /** Removes what `namespace` holds beyond `rendered`; returns every difference found. */
  async function removeExtras(namespace: string, rendered: NormalState): Promise<Difference[]> {
    const actual = await kernelState(namespace);
    const differences = compareStates(rendered, actual);
    const removal = removalLines(differences, actual);
    await ipBatch(namespace, removal.ip);
    await bridgeBatch(namespace, removal.bridge);
    return differences;
  }

  /**
   * The tenant's nft tables as the kernel lists them right after a from-scratch apply of the
   * rendered ruleset: applied once in a scratch namespace of this driver and remembered, so the
   * live tables compare with it object by object, content and all.
   */
  const renderedTables = new Map<string, NormalState>();
  let scratchSerial = 0;
  async function renderedNft(layout: TenantLayout): Promise<NormalState> {
    const definition = layout.ruleset.definition;
    const known = renderedTables.get(definition);
    if (known) return known;
    // Tenants reconcile in parallel: each its own scratch namespace.
    scratchSerial += 1;
    const scratch = `${prefix}-x${scratchSerial}`;
    await runCommand(["ip", "netns", "del", scratch]);
    await ipBatch(undefined, [`netns add ${scratch}`]);
    try {
      await nftApply(scratch, replaceTableScript(undefined, layout.ruleset));
      const listed = await listedTables(scratch);
      // One entry per distinct ruleset in use; older ones are of no further use.
      if (renderedTables.size > 4096) renderedTables.clear();
      renderedTables.set(definition, listed);
      return listed;
    } finally {
      await ipBatch(undefined, [`netns del ${scratch}`]);
    }
  }

  async function applyTenantDevices(layout: TenantLayout, fresh: boolean, nodeLinks: Set<string>) {
    const ns = layout.namespace;
    const signature = deviceSignature(layout);
    if (!fresh && appliedTenantIp.get(ns) === signature) return;
    const existing = fresh ? new Set<string>() : await linkNames(ns);

    const nodeLines: string[] = [];
    for (const vxlan of layout.vxlans) {
      if (existing.has(vxlan.device)) continue;
      if (!nodeLinks.has(vxlan.device)) {
        nodeLines.push(
          `link add ${vxlan.device} address ${nodeOverlayMac(options.underlayIp)} type vxlan ` +
            `id ${vxlan.vni} local ${options.underlayIp} dstport ${vxlanPort} nolearning`,
          // Marked as ours: the node namespace may be the host's, with others' devices in it.
          `link set ${vxlan.device} alias ${marker}`,
        );
      }
      // Moved after creation: the UDP socket stays in the node namespace, the tenant sees
      // only the overlay.
      nodeLines.push(`link set ${vxlan.device} netns ${ns}`);
    }
    await ipBatch(nodeNs, nodeLines);

    const createLines: string[] = [];
    for (const { device, port, workloadNamespace } of layout.ports) {
      if (existing.has(device)) continue;
      createLines.push(
        `link add ${device} address ${portGatewayMac(port.portId)} type veth peer name ` +
          `eth${port.interfaceIndex} address ${port.mac} netns ${workloadNamespace}`,
      );
    }
    await ipBatch(ns, [...createLines, ...layout.lines]);
    const newPorts = appliedTenantIp.has(ns)
      ? layout.ports.filter((port) => !existing.has(port.device))
      : layout.ports;
    if (newPorts.length > 0) {
      // Proxy ARP answers broadcasts after a random delay of up to 0.8 s unless told otherwise;
      // outside the initial namespace there is no neigh/default to set it once.
      await setSysctls(
        ns,
        newPorts.map((port) => `net.ipv4.neigh.${port.device}.proxy_delay=0`),
      );
    }
    await bridgeBatch(ns, layout.fdb);
    // Built first; only now what the intent no longer has goes (a deleted network's gateway on
    // lo, its neighbours, routes, FDB entries and devices).
    if (!fresh) await removeExtras(ns, tenantRendered(layout));
    appliedTenantIp.set(ns, signature);
  }

  async function applyWorkloads(layout: TenantLayout, freshNamespaces: Set<string>) {
    const pending = layout.workloads.filter((workload) => {
      const signature = workload.lines.join("\n");
      return (
        freshNamespaces.has(workload.namespace) ||
        appliedWorkloads.get(workload.namespace) !== signature
      );
    });
    await inParallel(pending, parallelism, async (workload) => {
      const fresh = freshNamespaces.has(workload.namespace);
      // An address the workload no longer has goes first: deleting a primary address would take
      // a new secondary of the same prefix with it (and the old one forwards nothing anyway).
      const stale = fresh ? [] : await staleAddressLines(workload.namespace, workload.interfaces);
      await ipBatch(workload.namespace, [...stale, ...workload.lines]);
      if (!fresh) await removeExtras(workload.namespace, workloadRendered(workload));
      appliedWorkloads.set(workload.namespace, workload.lines.join("\n"));
    });
  }

  async function applyRules(layout: TenantLayout, fresh: boolean) {
    const ns = layout.namespace;
    const definition = layout.ruleset.definition;
    if (!fresh && appliedRules.get(ns) === definition) return;
    const previous = fresh ? undefined : (appliedTables.get(ns) ?? (await readTable(ns)));
    await nftApply(ns, replaceTableScript(previous, layout.ruleset));
    appliedRules.set(ns, definition);
    appliedTables.set(ns, {
      chains: layout.ruleset.chains,
      sets: layout.ruleset.sets,
      maps: layout.ruleset.maps,
      counters: new Set(layout.ruleset.counters.keys()),
    });
  }

  function forget(namespace: string) {
    appliedTables.delete(namespace);
    appliedRules.delete(namespace);
    appliedTenantIp.delete(namespace);
    appliedWorkloads.delete(namespace);
  }

  function rememberTenants(layout: NodeLayout) {
    namespaceTenants.clear();
    for (const tenant of layout.tenants)
      namespaceTenants.set(tenant.namespace, tenant.tenant.tenantId);
  }

  async function applyNow(config: NodeConfig) {
    if (config.node !== options.node) {
      throw new NetloomError(
        "INVALID",
        `config for node ${config.node} given to the driver of ${options.node}`,
      );
    }
    const layout = nodeLayout(config, prefix, outsideUnderlay || undefined);
    rememberTenants(layout);
    const present = new Set(await listNamespaces(ownPrefix));
    const missing = [...layout.namespaces].filter((ns) => !present.has(ns));
    await ipBatch(
      undefined,
      missing.map((ns) => `netns add ${ns}`),
    );
    const fresh = new Set(missing);
    for (const ns of missing) forget(ns);

    // Not only new namespaces: one made by a run killed before its sysctls needs them too.
    const newTenants = layout.tenants.filter(
      (tenant) => fresh.has(tenant.namespace) || !appliedTenantIp.has(tenant.namespace),
    );
    await inParallel(newTenants, parallelism, async (tenant) => {
      await setSysctls(tenant.namespace, TENANT_SYSCTLS);
    });

    // The node namespace is read only when devices change (or once per process, to find what
    // a killed run left there): a rule change costs one nft transaction and nothing else.
    const deviceWork = layout.tenants.filter(
      (tenant) =>
        fresh.has(tenant.namespace) ||
        appliedTenantIp.get(tenant.namespace) !== deviceSignature(tenant),
    );
    const checkNode = deviceWork.length > 0 || !nodeChecked;
    const nodeLinks = checkNode ? await linkNames(nodeNs) : new Set<string>();
    for (const tenant of deviceWork) {
      await applyTenantDevices(tenant, fresh.has(tenant.namespace), nodeLinks);
    }
    await inParallel(layout.tenants, parallelism, async (tenant) => {
      await Promise.all([
        applyWorkloads(tenant, fresh),
        applyRules(tenant, fresh.has(tenant.namespace)),
        ensureResponder(tenant.namespace, zoneOf(tenant.tenant)),
      ]);
    });

    // Only now that the new state forwards: remove namespaces and leftovers no longer desired.
    const stale = [...present].filter((ns) => !layout.namespaces.has(ns));
    for (const ns of stale) await stopResponder(ns);
    await ipBatch(
      undefined,
      stale.map((ns) => `netns del ${ns}`),
    );
    for (const ns of stale) forget(ns);
    const wantedVxlans = new Set(
      config.tenants.flatMap((tenant) =>
        tenant.networks.map((network) => vxlanDevice(network.vni)),
      ),
    );
    if (checkNode) {
      // What a killed run made and never moved into its tenant namespace: ours by the marker.
      const strayVxlans = [...(await markedVxlans(nodeNs, marker))].filter(
        (name) => !wantedVxlans.has(name),
      );
      await ipBatch(
        nodeNs,
        strayVxlans.map((name) => `link del ${name}`),
      );
    }
    if (checkNode) nodeChecked = true;
  }

  async function reconcileNow(config: NodeConfig): Promise<RepairReport> {
    const layout = nodeLayout(config, prefix, outsideUnderlay || undefined);
    rememberTenants(layout);
    const repaired: string[] = [];
    const present = new Set(await listNamespaces(ownPrefix));
    for (const ns of layout.namespaces) {
      if (!present.has(ns)) repaired.push(`namespace ${ns} restored`);
    }
    for (const ns of present) {
      if (!layout.namespaces.has(ns)) repaired.push(`namespace ${ns} removed (not in the intent)`);
    }
    await inParallel(layout.tenants, parallelism, async (tenant) => {
      const ns = tenant.namespace;
      if (!present.has(ns)) return;
      // Devices, addresses, routes, neighbours and FDB entries, by content: extras go now,
      // the rest is put back by the apply below.
      const differences = await removeExtras(ns, tenantRendered(tenant));
      if (differences.length > 0) {
        repaired.push(...differences.map((difference) => describeDifference(ns, difference)));
        appliedTenantIp.delete(ns);
        // A VXLAN device with other creation attributes cannot be changed: it is made again.
        const remade = differences
          .filter((d) => d.kind === "differs" && /^link vx\d+$/.test(d.key))
          .map((d) => `link del ${d.key.slice("link ".length)}`);
        await ipBatch(ns, remade);
        for (const port of tenant.ports) {
          // The workload's end of a missing veth went with it: configure the namespace again.
          if (differences.some((d) => d.key === `link ${port.device}` && d.kind === "missing")) {
            appliedWorkloads.delete(port.workloadNamespace);
          }
        }
      }
      if (zoneOf(tenant.tenant) !== undefined && !(await responderRunning(ns))) {
        repaired.push(`${ns}: dns responder restarted`);
      }
      const nftDifferences = compareStates(await renderedNft(tenant), await listedTables(ns));
      if (nftDifferences.length > 0) {
        repaired.push(...nftDifferences.map((difference) => describeDifference(ns, difference)));
        appliedRules.delete(ns);
        const actual = await readTable(ns);
        if (actual) appliedTables.set(ns, actual);
        else appliedTables.delete(ns);
      }
      await inParallel(tenant.workloads, parallelism, async (workload) => {
        if (!present.has(workload.namespace)) {
          appliedWorkloads.delete(workload.namespace);
          return;
        }
        const found = await removeExtras(workload.namespace, workloadRendered(workload));
        if (found.length === 0) return;
        repaired.push(
          ...found.map((difference) => describeDifference(workload.namespace, difference)),
        );
        appliedWorkloads.delete(workload.namespace);
      });
    });
    if (repaired.length > 0) await applyNow(config);
    return { repaired };
  }

  async function countersNow(): Promise<Record<RuleId, number>> {
    const totals: Record<RuleId, number> = {};
    for (const counts of Object.values(await tenantCountersNow())) {
      for (const [ruleId, packets] of Object.entries(counts)) {
        totals[ruleId] = (totals[ruleId] ?? 0) + packets;
      }
    }
    return totals;
  }

  async function tenantCountersNow(): Promise<Record<string, Record<RuleId, number>>> {
    const byTenant: Record<string, Record<RuleId, number>> = {};
    const namespaces = await listNamespaces(ownPrefix);
    await inParallel(namespaces, parallelism, async (ns) => {
      // Only tenant namespaces hold a table; their tenant is known from the last apply or
      // reconcile. After a restart, before either, nothing can be attributed and nothing is
      // counted (workload namespaces, which have no table, are skipped the same way).
      const tenantId = namespaceTenants.get(ns);
      if (tenantId === undefined) return;
      const result = await runCommand([
        "ip",
        "netns",
        "exec",
        ns,
        "nft",
        "-j",
        "list",
        // Every table's: port security counts in the arp table too.
        "counters",
      ]);
      if (result.code !== 0) return;
      const counts = byTenant[tenantId] ?? {};
      byTenant[tenantId] = counts;
      for (const [ruleId, packets] of Object.entries(parseCounters(result.stdout))) {
        counts[ruleId] = (counts[ruleId] ?? 0) + packets;
      }
    });
    return byTenant;
  }

  async function teardownNow() {
    const namespaces = await listNamespaces(ownPrefix);
    for (const ns of namespaces) await stopResponder(ns);
    // Devices inside a deleted namespace (veths, VXLANs) are destroyed with it.
    await ipBatch(
      undefined,
      namespaces.map((ns) => `netns del ${ns}`),
    );
    // The node namespace may be gone already (a lab taken down first): nothing of ours is left.
    const nodeGone = nodeNs !== undefined && !existsSync(`${NETNS_DIR}/${nodeNs}`);
    if (!nodeGone) {
      const strayVxlans = await markedVxlans(nodeNs, marker);
      await ipBatch(
        nodeNs,
        [...strayVxlans].map((name) => `link del ${name}`),
      );
    }
    for (const ns of namespaces) forget(ns);
  }

  return {
    kind: "linux",
    namespacePrefix: ownPrefix,
    apply: (config) => exclusive(() => applyNow(config)),
    reconcile: (config) => exclusive(() => reconcileNow(config)),
    counters: () => exclusive(countersNow),
    tenantCounters: () => exclusive(tenantCountersNow),
    teardown: () => exclusive(teardownNow),
  };
}
