import {
  type Cidr,
  formatIpv4,
  type Interface,
  type Ipv4,
  type Name,
  parseCidr,
  parseIpv4,
  prefixContains,
  type Workload,
} from "@netloom/model";
import { NeutronFault } from "./errors";
import { macOf, netloomNameFor } from "./ids";
import {
  findNetwork,
  type NetworkRef,
  networkRefs,
  poolsOf,
  type SubnetRef,
  subnetRefs,
} from "./networks";
import { DEFAULT_GROUP, ensureDefaultGroup, findGroup, groupId } from "./security";
import type { Json, Workspace } from "./workspace";

/** A Neutron port: a workload interface, or a router's interface on a network. */
export interface PortRef {
  id: string;
  key: string;
  network: NetworkRef;
  ip: string | undefined;
  subnet: SubnetRef | undefined;
  workload?: Workload;
  iface?: Interface;
  /** Set for a router interface port. */
  router?: string;
}

export function interfaceKey(workload: string, network: string): string {
  return `${workload}/${network}`;
}

export function routerPortKey(router: string, network: string): string {
  return `router:${router}/${network}`;
}

/** Finds the subnet of an address on a network, fast for long port lists. */
function subnetFinder(
  ws: Workspace,
): (network: string, ip: string | undefined) => SubnetRef | undefined {
  const byNetwork = new Map<
    string,
    { subnet: SubnetRef; prefix: { network: number; length: number } }[]
  >();
  for (const subnet of subnetRefs(ws)) {
    const prefix = parseCidr(subnet.cidr);
    if (!prefix.ok) continue;
    const list = byNetwork.get(subnet.network.name) ?? [];
    list.push({ subnet, prefix: prefix.value });
    byNetwork.set(subnet.network.name, list);
  }
  return (network, ip) => {
    const address = ip === undefined ? undefined : parseIpv4(ip);
    const list = byNetwork.get(network);
    if (!list || address === undefined) return undefined;
    return list.find((entry) => prefixContains(entry.prefix, address))?.subnet;
  };
}

export function portRefs(ws: Workspace): PortRef[] {
  const networks = new Map(networkRefs(ws).map((ref) => [ref.name, ref]));
  const subnetOf = subnetFinder(ws);
  const refs: PortRef[] = [];
  for (const workload of ws.peek("workloads")) {
    for (const iface of workload.interfaces) {
      const network = networks.get(iface.network);
      if (!network) continue;
      const key = interfaceKey(workload.name, iface.network);
      refs.push({
        id: ws.id("port", key),
        key,
        network,
        ip: iface.ip,
        subnet: subnetOf(iface.network, iface.ip),
        workload,
        iface,
      });
    }
  }
  for (const router of ws.peek("routers")) {
    for (const name of router.networks) {
      const network = networks.get(name);
      const first = network?.subnets[0];
      if (!network || !first) continue;
      const key = routerPortKey(router.name, name);
      const subnet = subnetOf(name, first.gateway);
      refs.push({
        id: ws.id("port", key),
        key,
        network,
        ip: subnet?.gateway,
        subnet,
        router: router.name,
      });
    }
  }
  return refs;
}

export function findPort(ws: Workspace, id: unknown, field = "port_id"): PortRef {
  if (typeof id !== "string") throw NeutronFault.badRequest(`${field} is required`);
  const ref = portRefs(ws).find((candidate) => candidate.id === id);
  if (!ref) throw NeutronFault.notFound("port", id);
  return ref;
}

function isStandalone(ws: Workspace, ref: PortRef): boolean {
  return ws.extra("port", ref.key).standalone === true;
}

export function portView(ws: Workspace, ref: PortRef): Json {
  const revision = ref.workload
    ? ws.revisionOf("workloads", ref.workload.name)
    : ws.revisionOf("routers", ref.router ?? "");
  const extra = ws.extra("port", ref.key);
  const fallbackName = ref.router ? "" : (ref.workload?.name ?? "");
  let deviceId = "";
  let deviceOwner = "";
  if (ref.router) {
    deviceId = ws.id("router", ref.router);
    deviceOwner = "network:router_interface";
  } else if (ref.workload && !isStandalone(ws, ref)) {
    deviceId = ws.id("port", `workload:${ref.workload.name}`);
    deviceOwner = "compute:nova";
  } else if (typeof extra.device_id === "string") {
    deviceId = extra.device_id;
    deviceOwner = typeof extra.device_owner === "string" ? extra.device_owner : "";
  }
  const standard = ws.standard("port", ref.key, fallbackName, revision);
  const groups = ref.iface?.securityGroups ?? [];
  return {
    ...standard,
    network_id: ref.network.id,
    mac_address: macOf(String(standard.id)),
    admin_state_up: true,
    status: "ACTIVE",
    device_id: deviceId,
    device_owner: deviceOwner,
    fixed_ips:
      ref.ip !== undefined && ref.subnet ? [{ subnet_id: ref.subnet.id, ip_address: ref.ip }] : [],
    security_groups: groups.map((group) => groupId(ws, group)),
    allowed_address_pairs: (ref.iface?.allowedAddresses ?? []).map((cidr) => ({
      ip_address: cidr.endsWith("/32") ? cidr.slice(0, -3) : cidr,
      mac_address: macOf(String(standard.id)),
    })),
    port_security_enabled: true,
    "binding:host_id": ref.workload?.node ?? "",
    "binding:vnic_type": "normal",
    "binding:vif_type": "ovs",
    "binding:vif_details": {},
    "binding:profile": {},
    extra_dhcp_opts: [],
    dns_name: "",
    dns_assignment: [],
    ip_allocation: "immediate",
    propagate_uplink_status: false,
  };
}

// ------------------------------------------------------------------ addresses

/** Every address of a network held by something: interfaces, VIPs, nat, floating IPs, gateways. */
export function takenAddresses(ws: Workspace, network: string): Set<number> {
  const taken = new Set<number>();
  const add = (ip: string | undefined) => {
    const address = ip === undefined ? undefined : parseIpv4(ip);
    if (address !== undefined) taken.add(address);
  };
  const pools = new Map(ws.peek("floatingIpPools").map((pool) => [pool.name, pool.network]));
  for (const workload of ws.peek("workloads")) {
    for (const iface of workload.interfaces) {
      if (iface.network === network) add(iface.ip);
      if (iface.floatingIp && pools.get(iface.floatingIp.pool) === network)
        add(iface.floatingIp.ip);
    }
  }
  for (const service of ws.peek("services")) {
    if (service.type === "load-balancer" && service.network === network) add(service.vip);
    if (service.type === "nat" && service.outside === network)
      add(ws.state.natAddresses[service.name]);
  }
  for (const subnet of ws.network(network)?.subnets ?? []) add(subnet.gateway);
  return taken;
}

/** The first free address of a subnet's allocation pools, or 409 when none is left. */
export function allocateFrom(
  ws: Workspace,
  subnets: SubnetRef[],
  taken: Set<number>,
): { ip: string; subnet: SubnetRef } {
  for (const subnet of subnets) {
    for (const pool of poolsOf(ws, subnet)) {
      const start = parseIpv4(pool.start);
      const end = parseIpv4(pool.end);
      if (start === undefined || end === undefined) continue;
      for (let address = start; address <= end; address++) {
        if (!taken.has(address)) {
          taken.add(address);
          return { ip: formatIpv4(address), subnet };
        }
      }
    }
  }
  const network = subnets[0]?.network.id ?? "";
  throw NeutronFault.conflict(
    "IpAddressGenerationFailure",
    `No more IP addresses available on network ${network}.`,
  );
}

/** The one fixed IP a port asks for (netloom interfaces have one address): checked, or allocated. */
function chooseAddress(
  ws: Workspace,
  network: NetworkRef,
  fixedIps: unknown,
  current?: string,
): string {
  const subnets = subnetRefs(ws, [network]);
  if (subnets.length === 0) {
    throw NeutronFault.badRequest(
      `Network ${network.id} has no subnet to allocate an address from.`,
    );
  }
  const taken = takenAddresses(ws, network.name);
  const current_ = current === undefined ? undefined : parseIpv4(current);
  if (current_ !== undefined) taken.delete(current_);
  if (fixedIps === undefined || fixedIps === null) return allocateFrom(ws, subnets, taken).ip;
  if (!Array.isArray(fixedIps)) throw NeutronFault.badRequest("fixed_ips must be a list");
  if (fixedIps.length === 0) {
    throw NeutronFault.badRequest(
      "netloom ports have exactly one fixed IP; fixed_ips may not be empty",
    );
  }
  if (fixedIps.length > 1) {
    throw NeutronFault.badRequest(
      "netloom ports have exactly one fixed IP; give one entry in fixed_ips",
    );
  }
  const entry = (
    typeof fixedIps[0] === "object" && fixedIps[0] !== null ? fixedIps[0] : {}
  ) as Json;
  let chosen = subnets;
  if (entry.subnet_id !== undefined) {
    const subnet = subnets.find((candidate) => candidate.id === entry.subnet_id);
    if (!subnet)
      throw NeutronFault.badRequest(
        `Invalid input for fixed_ips: subnet ${String(entry.subnet_id)} is not on network ${network.id}`,
      );
    chosen = [subnet];
  }
  if (entry.ip_address === undefined) return allocateFrom(ws, chosen, taken).ip;
  const ip = String(entry.ip_address);
  const address = parseIpv4(ip);
  const subnet = chosen.find((candidate) => {
    const prefix = parseCidr(candidate.cidr);
    return address !== undefined && prefix.ok && prefixContains(prefix.value, address);
  });
  if (address === undefined || !subnet) {
    throw new NeutronFault(
      400,
      "InvalidIpForNetwork",
      `IP address ${ip} is not a valid IP for any of the subnets on the specified network.`,
    );
  }
  if (taken.has(address)) {
    throw NeutronFault.conflict(
      "IpAddressAlreadyAllocated",
      `IP address ${ip} already allocated in subnet ${subnet.id}`,
    );
  }
  return ip;
}

function securityGroupsOf(ws: Workspace, value: unknown): Name[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw NeutronFault.badRequest("security_groups must be a list");
  return value.map((id) => findGroup(ws, id, "security_groups").name as Name);
}

function allowedAddressesOf(value: unknown): Cidr[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw NeutronFault.badRequest("allowed_address_pairs must be a list");
  return value.map((pair) => {
    const ip = typeof pair === "object" && pair !== null ? (pair as Json).ip_address : undefined;
    if (typeof ip !== "string")
      throw NeutronFault.badRequest("allowed_address_pairs entries need ip_address");
    const cidr = ip.includes("/") ? ip : `${ip}/32`;
    if (!parseCidr(cidr).ok)
      throw NeutronFault.badRequest(`Invalid input for allowed_address_pairs: ${ip}`);
    return cidr as Cidr;
  });
}

function refuseUnsupported(body: Json): void {
  if (body.admin_state_up === false)
    throw NeutronFault.badRequest("admin_state_up false is not supported by netloom");
  if (body.port_security_enabled === false) {
    throw NeutronFault.badRequest("port_security_enabled false is not supported by netloom");
  }
  if (body.mac_address !== undefined)
    throw NeutronFault.badRequest("mac_address is derived by netloom and cannot be set");
}

/**
 * A new port. With a `device_id` naming a workload (by its id or netloom name) it becomes a new
 * interface of that workload; without, a workload of its own with one interface. No
 * `security_groups` means the project's default group, as in Neutron.
 */
export function createPort(ws: Workspace, body: Json): string {
  refuseUnsupported(body);
  const network = findNetwork(ws, body.network_id);
  if (network.pending) {
    throw NeutronFault.badRequest(
      `Network ${network.id} has no subnet to allocate an address from.`,
    );
  }
  if (network.external) {
    throw NeutronFault.badRequest("ports on external networks are not supported; use floating IPs");
  }
  let groups = securityGroupsOf(ws, body.security_groups);
  if (groups === undefined) {
    ensureDefaultGroup(ws);
    groups = [DEFAULT_GROUP as Name];
  }
  const iface: Interface = {
    network: network.name as Name,
    ip: chooseAddress(ws, network, body.fixed_ips) as Ipv4,
    securityGroups: groups,
  };
  const allowed = allowedAddressesOf(body.allowed_address_pairs);
  if (allowed && allowed.length > 0) iface.allowedAddresses = allowed;
  const deviceId = typeof body.device_id === "string" ? body.device_id : "";
  const workloads = ws.list("workloads");
  const device = deviceId
    ? workloads.find(
        (workload) =>
          workload.name === deviceId || ws.id("port", `workload:${workload.name}`) === deviceId,
      )
    : undefined;
  let key: string;
  if (device) {
    if (device.interfaces.some((existing) => existing.network === network.name)) {
      throw NeutronFault.conflict(
        "Conflict",
        `Device ${deviceId} already has a port on network ${network.id}; netloom workloads have one interface per network.`,
      );
    }
    device.interfaces.push(iface);
    key = interfaceKey(device.name, network.name);
    ws.create("port", key, body, "");
  } else {
    const names = new Set(workloads.map((workload) => workload.name as string));
    const name = netloomNameFor(String(body.name ?? ""), "port", (candidate) =>
      names.has(candidate),
    );
    const workload: Workload = { name: name as Name, interfaces: [iface] };
    const host = body["binding:host_id"];
    if (typeof host === "string" && host !== "") workload.node = host as Name;
    workloads.push(workload);
    key = interfaceKey(name, network.name);
    ws.create("port", key, body, "", {
      standalone: true,
      device_id: deviceId,
      device_owner: typeof body.device_owner === "string" ? body.device_owner : "",
    });
  }
  return ws.id("port", key);
}

function mutableInterface(ws: Workspace, ref: PortRef): { workload: Workload; iface: Interface } {
  const workload = ws.list("workloads").find((candidate) => candidate.name === ref.workload?.name);
  const iface = workload?.interfaces.find((candidate) => candidate.network === ref.network.name);
  if (!workload || !iface) throw NeutronFault.notFound("port", ref.id);
  return { workload, iface };
}

export function updatePort(ws: Workspace, ref: PortRef, body: Json): void {
  refuseUnsupported(body);
  if (ref.router) {
    throw NeutronFault.conflict(
      "PortInUse",
      `Port ${ref.id} belongs to router ${ws.id("router", ref.router)}.`,
    );
  }
  if (body.network_id !== undefined && body.network_id !== ref.network.id) {
    throw NeutronFault.badRequest("network_id cannot be changed");
  }
  const { workload, iface } = mutableInterface(ws, ref);
  if (body.fixed_ips !== undefined)
    iface.ip = chooseAddress(ws, ref.network, body.fixed_ips, iface.ip) as Ipv4;
  const groups = securityGroupsOf(ws, body.security_groups);
  if (groups !== undefined) iface.securityGroups = groups;
  const allowed = allowedAddressesOf(body.allowed_address_pairs);
  if (allowed !== undefined) {
    if (allowed.length > 0) iface.allowedAddresses = allowed;
    else delete iface.allowedAddresses;
  }
  const host = body["binding:host_id"];
  if (typeof host === "string") {
    if (host === "") delete workload.node;
    else workload.node = host as Name;
  }
  const extra: Json = {};
  if (typeof body.device_id === "string") extra.device_id = body.device_id;
  if (typeof body.device_owner === "string") extra.device_owner = body.device_owner;
  ws.touch("port", ref.key, body, "", extra);
}

/** Deletes a port; its floating IP stays, disassociated, as in Neutron. */
export function deletePort(
  ws: Workspace,
  ref: PortRef,
): { floatingIp?: { ip: string; pool: string } } {
  if (ref.router) {
    throw NeutronFault.conflict(
      "PortInUse",
      `Port ${ref.id} cannot be deleted directly via the port API: has device owner network:router_interface.`,
    );
  }
  const { workload, iface } = mutableInterface(ws, ref);
  const workloads = ws.list("workloads");
  if (workload.interfaces.length === 1) workloads.splice(workloads.indexOf(workload), 1);
  else workload.interfaces.splice(workload.interfaces.indexOf(iface), 1);
  ws.remove("port", ref.key);
  const fip = iface.floatingIp;
  return fip?.ip ? { floatingIp: { ip: fip.ip, pool: fip.pool } } : {};
}
