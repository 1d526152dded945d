import {
  broadcastAddress,
  type Cidr,
  type FabricExternalNetworkSpec,
  firstHost,
  formatIpv4,
  type Ipv4,
  lastHost,
  type Name,
  type Network,
  networkAddress,
  parseCidr,
  parseIpv4,
  prefixContains,
} from "@netloom/model";
import { NeutronFault } from "./errors";
import { netloomNameFor, uuidOf } from "./ids";
import { FABRIC_KEY_PREFIX } from "./side";
import {
  type ExternalNetwork,
  fabricKey,
  type Json,
  stringList,
  type Workspace,
} from "./workspace";

/** A network as Neutron sees it: in the intent, or waiting for its first subnet. */
export interface NetworkRef {
  name: string;
  id: string;
  /** Only in the side table until its first subnet (netloom networks need one). */
  pending: boolean;
  external: boolean;
  /** The fabric's external network (not this project's). */
  fabric: boolean;
  subnets: { cidr: string; gateway?: string | undefined }[];
}

export interface AllocationPool {
  start: string;
  end: string;
}

/** Every network the project sees: its own (stored or pending) and the fabric's external ones. */
export function networkRefs(ws: Workspace): NetworkRef[] {
  const refs: NetworkRef[] = ws.peek("networks").map((network) => ({
    name: network.name,
    id: ws.id("network", network.name),
    pending: false,
    external: network.external === true,
    fabric: false,
    subnets: network.subnets,
  }));
  const known = new Set(refs.map((ref) => ref.name));
  for (const external of ws.fabricExternal) {
    if (known.has(external.name) || !usableBy(ws, external)) continue;
    refs.push({
      name: external.name,
      id: fabricNetworkId(external),
      pending: false,
      external: true,
      fabric: true,
      subnets: external.subnets,
    });
    known.add(external.name);
  }
  for (const [key, attributes] of ws.side.of("network")) {
    if (attributes.extra.pending !== true) continue;
    if (key.startsWith(FABRIC_KEY_PREFIX)) {
      // The cloud admin's external network before its first subnet (then a fabric network).
      const name = key.slice(FABRIC_KEY_PREFIX.length);
      if (known.has(name)) continue;
      refs.push({
        name,
        id: fabricNetworkId({ name }),
        pending: true,
        external: true,
        fabric: true,
        subnets: [],
      });
      known.add(name);
    } else if (!known.has(key)) {
      refs.push({
        name: key,
        id: ws.id("network", key),
        pending: true,
        external: attributes.extra.external === true,
        fabric: false,
        subnets: [],
      });
      known.add(key);
    }
  }
  return refs;
}

/** Whether the project may use a fabric external network (its `tenants`, when limited). */
function usableBy(ws: Workspace, external: ExternalNetwork): boolean {
  return (
    !external.tenants ||
    external.tenants.includes(ws.state.name) ||
    ws.principal.globalRole === "cloud_admin"
  );
}

/** Fabric external networks have one id in every project. */
export function fabricNetworkId(external: Pick<ExternalNetwork, "name">): string {
  return uuidOf("fabric", "network", external.name);
}

export function findNetwork(ws: Workspace, id: unknown, field = "network_id"): NetworkRef {
  if (typeof id !== "string") throw NeutronFault.badRequest(`${field} is required`);
  const ref = networkRefs(ws).find((candidate) => candidate.id === id);
  if (!ref) throw NeutronFault.notFound("network", id);
  return ref;
}

export function networkView(ws: Workspace, ref: NetworkRef): Json {
  const standard = ref.fabric
    ? {
        ...ws.standard("network", fabricKey(ref.name), ref.name, 1),
        id: ref.id,
        tenant_id: "",
        project_id: "",
      }
    : ws.standard("network", ref.name, ref.name, ws.revisionOf("networks", ref.name));
  return {
    ...standard,
    status: "ACTIVE",
    admin_state_up: true,
    shared: ref.fabric,
    "router:external": ref.external,
    subnets: ref.subnets.map((subnet) => subnetId(ws, ref, subnet.cidr)),
    mtu: 1450,
    port_security_enabled: true,
    availability_zone_hints: [],
    availability_zones: ["nova"],
    ipv4_address_scope: null,
    ipv6_address_scope: null,
    is_default: false,
  };
}

export function subnetKey(network: string, cidr: string): string {
  return `${network}/${cidr}`;
}

function subnetId(ws: Workspace, ref: NetworkRef, cidr: string): string {
  const key = subnetKey(ref.name, cidr);
  return ref.fabric ? uuidOf("fabric", "subnet", key) : ws.id("subnet", key);
}

export interface SubnetRef {
  id: string;
  network: NetworkRef;
  cidr: string;
  gateway: string;
  key: string;
  /** Its side row's key (`fabric:...` on a fabric network). */
  sideKey: string;
}

export function subnetRefs(ws: Workspace, networks = networkRefs(ws)): SubnetRef[] {
  const refs: SubnetRef[] = [];
  for (const network of networks) {
    for (const subnet of network.subnets) {
      refs.push({
        id: subnetId(ws, network, subnet.cidr),
        network,
        cidr: subnet.cidr,
        gateway: subnet.gateway ?? defaultGateway(subnet.cidr),
        key: subnetKey(network.name, subnet.cidr),
        sideKey: network.fabric
          ? fabricKey(subnetKey(network.name, subnet.cidr))
          : subnetKey(network.name, subnet.cidr),
      });
    }
  }
  return refs;
}

export function findSubnet(ws: Workspace, id: unknown, field = "subnet_id"): SubnetRef {
  if (typeof id !== "string") throw NeutronFault.badRequest(`${field} is required`);
  const ref = subnetRefs(ws).find((candidate) => candidate.id === id);
  if (!ref) throw NeutronFault.notFound("subnet", id);
  return ref;
}

function defaultGateway(cidr: string): string {
  const prefix = parseCidr(cidr);
  return prefix.ok ? formatIpv4(firstHost(prefix.value)) : "";
}

/** Neutron's default pools: every host address but the gateway. */
export function defaultPools(cidr: string, gateway: string): AllocationPool[] {
  const prefix = parseCidr(cidr);
  const gw = parseIpv4(gateway);
  if (!prefix.ok) return [];
  const first = firstHost(prefix.value);
  const last = lastHost(prefix.value);
  const pools: AllocationPool[] = [];
  if (gw === undefined || gw < first || gw > last)
    return [{ start: formatIpv4(first), end: formatIpv4(last) }];
  if (gw > first) pools.push({ start: formatIpv4(first), end: formatIpv4(gw - 1) });
  if (gw < last) pools.push({ start: formatIpv4(gw + 1), end: formatIpv4(last) });
  return pools;
}

export function poolsOf(ws: Workspace, subnet: SubnetRef): AllocationPool[] {
  const stored = ws.extra("subnet", subnet.sideKey).allocation_pools;
  return Array.isArray(stored)
    ? (stored as AllocationPool[])
    : defaultPools(subnet.cidr, subnet.gateway);
}

export function subnetView(ws: Workspace, subnet: SubnetRef): Json {
  const extra = ws.extra("subnet", subnet.sideKey);
  const standard = subnet.network.fabric
    ? {
        ...ws.standard("subnet", subnet.sideKey, subnet.cidr, 1),
        tenant_id: "",
        project_id: "",
      }
    : ws.standard("subnet", subnet.key, "", ws.revisionOf("networks", subnet.network.name));
  return {
    ...standard,
    id: subnet.id,
    network_id: subnet.network.id,
    ip_version: 4,
    cidr: subnet.cidr,
    gateway_ip: subnet.gateway,
    allocation_pools: poolsOf(ws, subnet),
    enable_dhcp: extra.enable_dhcp !== false,
    dns_nameservers: stringList(extra.dns_nameservers),
    host_routes: Array.isArray(extra.host_routes) ? extra.host_routes : [],
    ipv6_ra_mode: null,
    ipv6_address_mode: null,
    subnetpool_id: null,
    service_types: [],
    segment_id: null,
  };
}

// ------------------------------------------------------------------ changes

function refuseUnsupported(body: Json): void {
  if (body.admin_state_up === false) {
    throw NeutronFault.badRequest("admin_state_up false is not supported by netloom");
  }
  if (body.shared === true) throw NeutronFault.badRequest("shared networks are not supported");
  if (body.port_security_enabled === false) {
    throw NeutronFault.badRequest("port_security_enabled false is not supported by netloom");
  }
}

function takenName(ws: Workspace): (name: string) => boolean {
  const names = new Set(networkRefs(ws).map((ref) => ref.name));
  return (name) => names.has(name);
}

/** A new network: only a side row until its first subnet (netloom networks need one). */
export function createNetwork(ws: Workspace, body: Json): string {
  refuseUnsupported(body);
  const external = body["router:external"] === true;
  if (external && ws.principal.globalRole !== "cloud_admin") {
    throw new NeutronFault(
      403,
      "PolicyNotAuthorized",
      "Only the cloud admin creates external networks.",
    );
  }
  const name = netloomNameFor(String(body.name ?? ""), "network", takenName(ws));
  const neutronName = typeof body.name === "string" ? body.name : "";
  if (external) {
    // Spec 1.1: the cloud admin's external network is the fabric's, usable by every project.
    // It waits in the fabric's side rows until its first subnet makes it a fabric network.
    ws.create("network", fabricKey(name), body, neutronName, { pending: true, external });
    return fabricNetworkId({ name });
  }
  ws.create("network", name, body, neutronName, { pending: true, external });
  return ws.id("network", name);
}

/** The fabric's networks change only by the cloud admin's hand. */
function requireFabricAdmin(ws: Workspace, what = "networks"): void {
  if (ws.principal.globalRole !== "cloud_admin") {
    throw new NeutronFault(403, "PolicyNotAuthorized", `The fabric's ${what} are the operator's.`);
  }
}

/** The fabric external network's spec as the store keeps it (null while pending). */
function fabricSpec(ws: Workspace, name: string): FabricExternalNetworkSpec | null {
  const network = ws.fabricExternal.find((candidate) => candidate.name === name);
  if (!network) return null;
  return {
    name: name as Name,
    subnets: network.subnets.map((subnet) => ({
      cidr: subnet.cidr as Cidr,
      ...(subnet.gateway ? { gateway: subnet.gateway as Ipv4 } : {}),
    })),
    ...(network.tenants ? { tenants: network.tenants as Name[] } : {}),
  };
}

function refuseFabricInUse(ws: Workspace, ref: NetworkRef, what: "network" | "subnet", id: string) {
  if (ws.fabricInUse(ref.name)) {
    throw NeutronFault.inUse(
      what,
      id,
      "There are one or more floating IPs or router gateways still in use on the network.",
    );
  }
}

export function updateNetwork(ws: Workspace, ref: NetworkRef, body: Json): void {
  if (ref.fabric) requireFabricAdmin(ws);
  refuseUnsupported(body);
  if (body["router:external"] !== undefined && body["router:external"] !== ref.external) {
    throw NeutronFault.badRequest("router:external cannot be changed; create a new network");
  }
  ws.touch("network", ref.fabric ? fabricKey(ref.name) : ref.name, body, ref.name);
}

export function deleteNetwork(ws: Workspace, ref: NetworkRef): void {
  if (ref.fabric) {
    requireFabricAdmin(ws);
    if (!ref.pending) {
      refuseFabricInUse(ws, ref, "network", ref.id);
      ws.fabricChange = { kind: "remove", name: ref.name };
      for (const subnet of ref.subnets) {
        ws.remove("subnet", fabricKey(subnetKey(ref.name, subnet.cidr)));
      }
    }
    ws.remove("network", fabricKey(ref.name));
    return;
  }
  if (!ref.pending) {
    const inUse =
      ws
        .peek("workloads")
        .some((workload) => workload.interfaces.some((i) => i.network === ref.name)) ||
      ws.peek("routers").some((router) => router.networks.includes(ref.name as Name));
    if (inUse) {
      throw NeutronFault.inUse(
        "network",
        ref.id,
        "There are one or more ports still in use on the network.",
      );
    }
    const networks = ws.list("networks");
    const index = networks.findIndex((network) => network.name === ref.name);
    if (index >= 0) networks.splice(index, 1);
    for (const subnet of ref.subnets) ws.remove("subnet", subnetKey(ref.name, subnet.cidr));
  }
  ws.remove("network", ref.name);
}

function parsePools(value: unknown, cidr: string, gateway: string): AllocationPool[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw NeutronFault.badRequest("allocation_pools must be a list");
  const prefix = parseCidr(cidr);
  const gw = parseIpv4(gateway);
  const pools: AllocationPool[] = [];
  const ranges: [number, number][] = [];
  for (const pool of value as unknown[]) {
    const record = typeof pool === "object" && pool !== null ? (pool as Json) : {};
    const start = typeof record.start === "string" ? parseIpv4(record.start) : undefined;
    const end = typeof record.end === "string" ? parseIpv4(record.end) : undefined;
    if (start === undefined || end === undefined || end < start) {
      throw NeutronFault.badRequest(`Invalid allocation pool ${JSON.stringify(pool)}`);
    }
    if (
      !prefix.ok ||
      start <= networkAddress(prefix.value) ||
      end >= broadcastAddress(prefix.value) ||
      !prefixContains(prefix.value, start) ||
      !prefixContains(prefix.value, end)
    ) {
      throw NeutronFault.badRequest(
        `The allocation pool ${formatIpv4(start)}-${formatIpv4(end)} spans beyond the subnet cidr ${cidr}.`,
      );
    }
    if (gw !== undefined && gw >= start && gw <= end) {
      throw new NeutronFault(
        409,
        "GatewayConflictWithAllocationPools",
        `Gateway ip ${gateway} conflicts with allocation pool ${formatIpv4(start)}-${formatIpv4(end)}.`,
      );
    }
    for (const [otherStart, otherEnd] of ranges) {
      if (start <= otherEnd && otherStart <= end) {
        throw NeutronFault.conflict(
          "OverlappingAllocationPools",
          "Found overlapping allocation pools.",
        );
      }
    }
    ranges.push([start, end]);
    pools.push({ start: formatIpv4(start), end: formatIpv4(end) });
  }
  return pools;
}

function subnetExtra(body: Json, pools: AllocationPool[] | undefined): Json {
  const extra: Json = {};
  if (pools) extra.allocation_pools = pools;
  if (typeof body.enable_dhcp === "boolean") extra.enable_dhcp = body.enable_dhcp;
  if (Array.isArray(body.dns_nameservers)) extra.dns_nameservers = stringList(body.dns_nameservers);
  if (Array.isArray(body.host_routes)) extra.host_routes = body.host_routes;
  return extra;
}

export function createSubnet(ws: Workspace, body: Json): string {
  const network = findNetwork(ws, body.network_id);
  if (network.fabric && ws.principal.globalRole !== "cloud_admin") {
    throw NeutronFault.notFound("network", network.id);
  }
  if (body.ip_version !== undefined && body.ip_version !== 4 && body.ip_version !== "4") {
    throw NeutronFault.badRequest("netloom supports IPv4 subnets only (ip_version 4)");
  }
  if (body.subnetpool_id !== undefined && body.subnetpool_id !== null) {
    throw NeutronFault.badRequest("subnet pools are not supported; give a cidr");
  }
  if (typeof body.cidr !== "string") throw NeutronFault.badRequest("cidr is required");
  const prefix = parseCidr(body.cidr);
  if (!prefix.ok) {
    // Neutron normalises host bits away; netloom keeps prefixes exact and says so.
    throw NeutronFault.badRequest(`Invalid input for cidr: ${prefix.message}`);
  }
  if (body.gateway_ip === null) {
    throw NeutronFault.badRequest(
      "netloom subnets always have a gateway; gateway_ip null is not supported",
    );
  }
  const gateway =
    typeof body.gateway_ip === "string" ? body.gateway_ip : formatIpv4(firstHost(prefix.value));
  const pools = parsePools(body.allocation_pools, body.cidr, gateway);
  const subnet = { cidr: body.cidr as Cidr, gateway: gateway as Ipv4 };
  const key = subnetKey(network.name, body.cidr);
  if (network.fabric) {
    // The store checks the new subnet against every external network (overlaps answer 400).
    const spec = fabricSpec(ws, network.name) ?? { name: network.name as Name, subnets: [] };
    if (spec.subnets.some((candidate) => candidate.cidr === subnet.cidr)) {
      throw NeutronFault.badRequest(`${body.cidr} is already a subnet of this network`);
    }
    ws.fabricChange = {
      kind: "upsert",
      network: { ...spec, subnets: [...spec.subnets, subnet] },
    };
    ws.touch("network", fabricKey(network.name), {}, network.name, { pending: false });
    ws.create("subnet", fabricKey(key), body, "", subnetExtra(body, pools));
    return uuidOf("fabric", "subnet", key);
  }
  if (network.pending) {
    const spec: Network = { name: network.name as Name, subnets: [subnet] };
    if (network.external) spec.external = true;
    ws.list("networks").push(spec);
    ws.touch("network", network.name, {}, network.name, { pending: false });
  } else {
    const spec = ws.list("networks").find((candidate) => candidate.name === network.name);
    if (!spec) throw NeutronFault.notFound("network", network.id);
    spec.subnets.push(subnet);
  }
  ws.create("subnet", key, body, "", subnetExtra(body, pools));
  return ws.id("subnet", key);
}

export function updateSubnet(ws: Workspace, subnet: SubnetRef, body: Json): void {
  if (subnet.network.fabric) requireFabricAdmin(ws, "subnets");
  if (body.cidr !== undefined && body.cidr !== subnet.cidr)
    throw NeutronFault.badRequest("cidr cannot be changed");
  let gateway = subnet.gateway;
  if (
    subnet.network.fabric &&
    typeof body.gateway_ip === "string" &&
    body.gateway_ip !== subnet.gateway
  ) {
    throw NeutronFault.badRequest("the gateway of a fabric external subnet cannot be changed");
  }
  if (typeof body.gateway_ip === "string" && body.gateway_ip !== subnet.gateway) {
    gateway = body.gateway_ip;
    const spec = ws.list("networks").find((network) => network.name === subnet.network.name);
    const target = spec?.subnets.find((candidate) => candidate.cidr === subnet.cidr);
    if (target) target.gateway = gateway as Ipv4;
  } else if (body.gateway_ip === null) {
    throw NeutronFault.badRequest(
      "netloom subnets always have a gateway; gateway_ip null is not supported",
    );
  }
  const pools = parsePools(body.allocation_pools, subnet.cidr, gateway);
  ws.touch("subnet", subnet.sideKey, body, "", subnetExtra(body, pools));
}

/** A fabric subnet goes only while no project uses its network; the last one makes it pending. */
function deleteFabricSubnet(ws: Workspace, subnet: SubnetRef): void {
  requireFabricAdmin(ws, "subnets");
  refuseFabricInUse(ws, subnet.network, "subnet", subnet.id);
  const spec = fabricSpec(ws, subnet.network.name);
  const rest = spec?.subnets.filter((candidate) => candidate.cidr !== subnet.cidr) ?? [];
  if (spec && rest.length > 0) {
    ws.fabricChange = { kind: "upsert", network: { ...spec, subnets: rest } };
  } else {
    ws.fabricChange = { kind: "remove", name: subnet.network.name };
    ws.touch("network", fabricKey(subnet.network.name), {}, subnet.network.name, {
      pending: true,
      external: true,
    });
  }
  ws.remove("subnet", subnet.sideKey);
}

export function deleteSubnet(ws: Workspace, subnet: SubnetRef): void {
  if (subnet.network.fabric) {
    deleteFabricSubnet(ws, subnet);
    return;
  }
  const prefix = parseCidr(subnet.cidr);
  const used = ws.peek("workloads").some((workload) =>
    workload.interfaces.some((iface) => {
      const ip = iface.ip === undefined ? undefined : parseIpv4(iface.ip);
      return (
        iface.network === subnet.network.name &&
        prefix.ok &&
        ip !== undefined &&
        prefixContains(prefix.value, ip)
      );
    }),
  );
  const lastSubnet = subnet.network.subnets.length === 1;
  const routed = ws
    .peek("routers")
    .some((router) => router.networks.includes(subnet.network.name as Name));
  if (used || (lastSubnet && routed)) {
    throw NeutronFault.inUse(
      "subnet",
      subnet.id,
      "One or more ports have an IP allocation from this subnet.",
    );
  }
  const networks = ws.list("networks");
  const index = networks.findIndex((network) => network.name === subnet.network.name);
  const spec = networks[index];
  if (spec) {
    if (lastSubnet) {
      // netloom networks need a subnet: the network waits in the side table for its next one.
      networks.splice(index, 1);
      ws.touch("network", subnet.network.name, {}, subnet.network.name, {
        pending: true,
        external: spec.external === true,
      });
    } else {
      spec.subnets = spec.subnets.filter((candidate) => candidate.cidr !== subnet.cidr);
    }
  }
  ws.remove("subnet", subnet.key);
}
