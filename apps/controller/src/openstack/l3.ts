import {
  firstHost,
  formatIpv4,
  type Ipv4,
  lastHost,
  type Name,
  parseCidr,
  parseIpv4,
  prefixContains,
} from "@netloom/model";
import { NeutronFault } from "./errors";
import { netloomNameFor } from "./ids";
import { findNetwork, findSubnet, type NetworkRef, networkRefs, subnetRefs } from "./networks";
import { findPort, type PortRef, portRefs, routerPortKey, takenAddresses } from "./ports";
import type { Json, Workspace } from "./workspace";

/** A Neutron router: a netloom router, or (before its first interface) a side row only. */
export interface RouterRef {
  name: string;
  id: string;
  pending: boolean;
  networks: string[];
  /** The external network of its gateway (a nat service while it has interfaces). */
  gateway: string | null;
}

export function routerRefs(ws: Workspace): RouterRef[] {
  const refs: RouterRef[] = ws.peek("routers").map((router) => ({
    name: router.name,
    id: ws.id("router", router.name),
    pending: false,
    networks: [...router.networks],
    gateway: gatewayOf(ws, router.name),
  }));
  const known = new Set(refs.map((ref) => ref.name));
  for (const [key, attributes] of ws.side.of("router")) {
    if (attributes.extra.pending === true && !known.has(key)) {
      refs.push({
        name: key,
        id: ws.id("router", key),
        pending: true,
        networks: [],
        gateway: gatewayOf(ws, key),
      });
    }
  }
  return refs;
}

function gatewayOf(ws: Workspace, router: string): string | null {
  const gateway = ws.extra("router", router).gateway;
  return typeof gateway === "string" ? gateway : null;
}

function natNameOf(ws: Workspace, router: string): string | null {
  const nat = ws.extra("router", router).nat;
  return typeof nat === "string" ? nat : null;
}

export function findRouter(ws: Workspace, id: string): RouterRef {
  const ref = routerRefs(ws).find((candidate) => candidate.id === id);
  if (!ref) throw NeutronFault.notFound("router", id);
  return ref;
}

export function routerView(ws: Workspace, ref: RouterRef, networks = networkRefs(ws)): Json {
  let gatewayInfo: Json | null = null;
  if (ref.gateway) {
    const external = networks.find((network) => network.name === ref.gateway && network.external);
    const nat = natNameOf(ws, ref.name);
    const address = nat ? ws.state.natAddresses[nat] : undefined;
    const subnet = external && address ? subnetOfAddress(ws, external, address) : undefined;
    gatewayInfo = {
      network_id: external?.id ?? null,
      enable_snat: true,
      external_fixed_ips: address && subnet ? [{ subnet_id: subnet, ip_address: address }] : [],
    };
  }
  return {
    ...ws.standard("router", ref.name, ref.name, ws.revisionOf("routers", ref.name)),
    status: "ACTIVE",
    admin_state_up: true,
    external_gateway_info: gatewayInfo,
    routes: [],
    distributed: false,
    ha: false,
    flavor_id: null,
    availability_zone_hints: [],
    availability_zones: ["nova"],
  };
}

function subnetOfAddress(ws: Workspace, network: NetworkRef, ip: string): string | undefined {
  const address = parseIpv4(ip);
  return subnetRefs(ws, [network]).find((subnet) => {
    const prefix = parseCidr(subnet.cidr);
    return address !== undefined && prefix.ok && prefixContains(prefix.value, address);
  })?.id;
}

function externalNetwork(ws: Workspace, id: unknown, field: string): NetworkRef {
  const network = findNetwork(ws, id, field);
  if (!network.external) {
    throw NeutronFault.badRequest(`Network ${network.id} is not a valid external network`);
  }
  if (network.pending)
    throw NeutronFault.badRequest(`External network ${network.id} has no subnet`);
  return network;
}

/** Keeps the router's nat service (its gateway) in step with its interfaces and gateway. */
function syncGateway(ws: Workspace, router: string): void {
  const gateway = gatewayOf(ws, router);
  const networks =
    ws.peek("routers").find((candidate) => candidate.name === router)?.networks ?? [];
  const services = ws.list("services");
  const natName = natNameOf(ws, router);
  const index = services.findIndex((service) => service.name === natName && service.type === "nat");
  if (gateway && networks.length > 0) {
    if (index >= 0) {
      services[index] = {
        name: natName as Name,
        type: "nat",
        inside: [...networks],
        outside: gateway as Name,
      };
      return;
    }
    const names = new Set(services.map((service) => service.name as string));
    const name = netloomNameFor(`${router}-snat`, "snat", (candidate) => names.has(candidate));
    services.push({
      name: name as Name,
      type: "nat",
      inside: [...networks],
      outside: gateway as Name,
    });
    ws.touch("router", router, {}, router, { nat: name });
  } else if (index >= 0) {
    services.splice(index, 1);
  }
}

function setGateway(ws: Workspace, router: string, info: unknown): void {
  if (info === null || (typeof info === "object" && Object.keys(info as Json).length === 0)) {
    ws.touch("router", router, {}, router, { gateway: null });
  } else if (typeof info === "object") {
    const body = info as Json;
    if (body.enable_snat === false)
      throw NeutronFault.badRequest("enable_snat false is not supported by netloom");
    if (Array.isArray(body.external_fixed_ips) && body.external_fixed_ips.length > 0) {
      throw NeutronFault.badRequest(
        "external_fixed_ips cannot be chosen; netloom allocates the gateway address",
      );
    }
    const network = externalNetwork(ws, body.network_id, "external_gateway_info.network_id");
    ws.touch("router", router, {}, router, { gateway: network.name });
  } else {
    throw NeutronFault.badRequest("external_gateway_info must be an object");
  }
  syncGateway(ws, router);
}

function refuseRoutes(body: Json): void {
  if (Array.isArray(body.routes) && body.routes.length > 0) {
    throw NeutronFault.badRequest("extra routes are not supported by netloom");
  }
  if (body.distributed === true || body.ha === true) {
    throw NeutronFault.badRequest(
      "distributed and HA routers are not supported; netloom routing is distributed by design",
    );
  }
}

export function createRouter(ws: Workspace, body: Json): string {
  refuseRoutes(body);
  if (body.admin_state_up === false)
    throw NeutronFault.badRequest("admin_state_up false is not supported by netloom");
  const names = new Set(routerRefs(ws).map((ref) => ref.name));
  const name = netloomNameFor(String(body.name ?? ""), "router", (candidate) =>
    names.has(candidate),
  );
  ws.create("router", name, body, typeof body.name === "string" ? body.name : "", {
    pending: true,
  });
  if (body.external_gateway_info !== undefined) setGateway(ws, name, body.external_gateway_info);
  return ws.id("router", name);
}

export function updateRouter(ws: Workspace, ref: RouterRef, body: Json): void {
  refuseRoutes(body);
  if (body.admin_state_up === false)
    throw NeutronFault.badRequest("admin_state_up false is not supported by netloom");
  ws.touch("router", ref.name, body, ref.name);
  if (body.external_gateway_info !== undefined)
    setGateway(ws, ref.name, body.external_gateway_info);
}

export function deleteRouter(ws: Workspace, ref: RouterRef): void {
  if (ref.networks.length > 0) {
    throw NeutronFault.conflict("RouterInUse", `Router ${ref.id} still has ports`);
  }
  ws.remove("router", ref.name);
}

function interfaceNetwork(ws: Workspace, body: Json): { network: NetworkRef; subnetId: string } {
  if (body.subnet_id !== undefined && body.port_id !== undefined) {
    throw NeutronFault.badRequest("Cannot specify both subnet-id and port-id");
  }
  if (body.subnet_id !== undefined) {
    const subnet = findSubnet(ws, body.subnet_id);
    return { network: subnet.network, subnetId: subnet.id };
  }
  if (body.port_id !== undefined) {
    const port = findPort(ws, body.port_id);
    return { network: port.network, subnetId: port.subnet?.id ?? "" };
  }
  throw NeutronFault.badRequest("Either subnet_id or port_id must be specified");
}

function interfaceInfo(ws: Workspace, ref: RouterRef, network: NetworkRef, subnetId: string): Json {
  const subnetIds = subnetRefs(ws, [network]).map((subnet) => subnet.id);
  return {
    id: ref.id,
    tenant_id: ws.projectId,
    project_id: ws.projectId,
    subnet_id: subnetId || subnetIds[0] || "",
    subnet_ids: subnetIds,
    port_id: ws.id("port", routerPortKey(ref.name, network.name)),
    network_id: network.id,
  };
}

export function addInterface(ws: Workspace, ref: RouterRef, body: Json): Json {
  const { network, subnetId } = interfaceNetwork(ws, body);
  if (network.external)
    throw NeutronFault.badRequest(
      "use external_gateway_info to connect a router to an external network",
    );
  if (ref.networks.includes(network.name)) {
    throw NeutronFault.badRequest(`Router already has a port on subnet ${subnetId}`);
  }
  const routers = ws.list("routers");
  const existing = routers.find((router) => router.name === ref.name);
  if (existing) existing.networks.push(network.name as Name);
  else {
    routers.push({ name: ref.name as Name, networks: [network.name as Name] });
    ws.touch("router", ref.name, {}, ref.name, { pending: false });
  }
  syncGateway(ws, ref.name);
  return interfaceInfo(ws, ref, network, subnetId);
}

export function removeInterface(ws: Workspace, ref: RouterRef, body: Json): Json {
  let network: NetworkRef | undefined;
  let subnetId = "";
  if (typeof body.port_id === "string") {
    const port = portRefs(ws).find((candidate) => candidate.id === body.port_id);
    if (port) {
      network = port.network;
      subnetId = port.subnet?.id ?? "";
    }
  } else {
    const found = interfaceNetwork(ws, body);
    network = found.network;
    subnetId = found.subnetId;
  }
  if (!network || !ref.networks.includes(network.name)) {
    throw new NeutronFault(
      404,
      "RouterInterfaceNotFound",
      `Router ${ref.id} does not have an interface with id ${String(body.port_id ?? body.subnet_id)}`,
    );
  }
  const info = interfaceInfo(ws, ref, network, subnetId);
  const routers = ws.list("routers");
  const existing = routers.find((router) => router.name === ref.name);
  if (existing) {
    existing.networks = existing.networks.filter((name) => name !== network.name);
    if (existing.networks.length === 0) {
      // netloom routers need a network: the router waits in the side table for its next one.
      routers.splice(routers.indexOf(existing), 1);
      ws.touch("router", ref.name, {}, ref.name, { pending: true });
    }
  }
  syncGateway(ws, ref.name);
  return info;
}

// ------------------------------------------------------------------ floating IPs

export interface FloatingIpRef {
  ip: string;
  id: string;
  /** The external network's netloom name. */
  network: string;
  port: PortRef | null;
}

export function floatingIpRefs(ws: Workspace, ports = portRefs(ws)): FloatingIpRef[] {
  const pools = new Map(
    ws.peek("floatingIpPools").map((pool) => [pool.name, pool.network as string]),
  );
  const refs: FloatingIpRef[] = [];
  const seen = new Set<string>();
  for (const port of ports) {
    const fip = port.iface?.floatingIp;
    const network = fip ? pools.get(fip.pool) : undefined;
    if (!fip?.ip || !network) continue;
    refs.push({ ip: fip.ip, id: ws.id("floatingip", fip.ip), network, port });
    seen.add(fip.ip);
  }
  for (const [key, attributes] of ws.side.of("floatingip")) {
    if (seen.has(key) || typeof attributes.extra.network !== "string") continue;
    refs.push({
      ip: key,
      id: ws.id("floatingip", key),
      network: attributes.extra.network,
      port: null,
    });
  }
  return refs;
}

export function findFloatingIp(ws: Workspace, id: string): FloatingIpRef {
  const ref = floatingIpRefs(ws).find((candidate) => candidate.id === id);
  if (!ref) throw NeutronFault.notFound("floatingip", id);
  return ref;
}

export function floatingIpView(
  ws: Workspace,
  ref: FloatingIpRef,
  networks = networkRefs(ws),
): Json {
  const external = networks.find((network) => network.name === ref.network);
  const router = ref.port
    ? ws
        .peek("routers")
        .find(
          (candidate) =>
            candidate.networks.includes(ref.port?.network.name as Name) &&
            gatewayOf(ws, candidate.name) === ref.network,
        )
    : undefined;
  const { name: _name, ...standard } = ws.standard(
    "floatingip",
    ref.ip,
    "",
    ref.port?.workload ? ws.revisionOf("workloads", ref.port.workload.name) : 0,
  );
  return {
    ...standard,
    floating_ip_address: ref.ip,
    floating_network_id: external?.id ?? null,
    router_id: router ? ws.id("router", router.name) : null,
    port_id: ref.port?.id ?? null,
    fixed_ip_address: ref.port?.ip ?? null,
    status: ref.port ? "ACTIVE" : "DOWN",
    port_details: null,
    dns_domain: "",
    dns_name: "",
    port_forwardings: [],
    qos_policy_id: null,
  };
}

/** Pool of the project on an external network, made on first use. */
function poolFor(ws: Workspace, network: string): string {
  const existing = ws.peek("floatingIpPools").find((pool) => pool.network === network);
  if (existing) return existing.name;
  const names = new Set(ws.peek("floatingIpPools").map((pool) => pool.name as string));
  const name = netloomNameFor(`${network}-pool`, "pool", (candidate) => names.has(candidate));
  ws.list("floatingIpPools").push({ name: name as Name, network: network as Name });
  // Marked as the door's own, so it goes with its last floating IP (it would hold the network).
  ws.create("floatingip", doorPoolKey(name), {}, "", { pool: true });
  return name;
}

/** The side row marking a pool this door made (never an address, so never a floating IP). */
function doorPoolKey(pool: string): string {
  return `pool:${pool}`;
}

/** Removes a pool the door made once no interface takes floating IPs from it. */
function dropUnusedDoorPool(ws: Workspace, pool: string): void {
  if (!ws.side.get("floatingip", doorPoolKey(pool))) return;
  const used = ws
    .peek("workloads")
    .some((workload) => workload.interfaces.some((iface) => iface.floatingIp?.pool === pool));
  if (used) return;
  const pools = ws.list("floatingIpPools");
  const index = pools.findIndex((candidate) => candidate.name === pool);
  if (index >= 0) pools.splice(index, 1);
  ws.remove("floatingip", doorPoolKey(pool));
}

function associate(ws: Workspace, fip: FloatingIpRef, portId: unknown): void {
  const port = findPort(ws, portId);
  if (port.router || !port.workload)
    throw NeutronFault.badRequest(`Port ${port.id} is a router port`);
  const workload = ws.list("workloads").find((candidate) => candidate.name === port.workload?.name);
  const iface = workload?.interfaces.find((candidate) => candidate.network === port.network.name);
  if (!iface) throw NeutronFault.notFound("port", port.id);
  if (iface.floatingIp?.ip && iface.floatingIp.ip !== fip.ip) {
    throw NeutronFault.conflict(
      "FloatingIPPortAlreadyAssociated",
      `Cannot associate floating IP ${fip.ip} with port ${port.id}: it already has floating IP ${iface.floatingIp.ip}.`,
    );
  }
  disassociate(ws, fip);
  iface.floatingIp = { pool: poolFor(ws, fip.network) as Name, ip: fip.ip as Ipv4 };
}

function disassociate(ws: Workspace, fip: FloatingIpRef): void {
  if (!fip.port?.workload) return;
  const workload = ws
    .list("workloads")
    .find((candidate) => candidate.name === fip.port?.workload?.name);
  const iface = workload?.interfaces.find(
    (candidate) => candidate.network === fip.port?.network.name,
  );
  const pool = iface?.floatingIp?.pool;
  if (iface) delete iface.floatingIp;
  if (pool) dropUnusedDoorPool(ws, pool);
}

/**
 * A floating IP from an external network: the address is chosen now (or checked when given)
 * and held in the side table until associated, then as the interface's floatingIp.
 */
export function createFloatingIp(
  ws: Workspace,
  body: Json,
  reservedElsewhere: ReadonlySet<string>,
): string {
  const network = externalNetwork(ws, body.floating_network_id, "floating_network_id");
  const taken = takenAddresses(ws, network.name);
  // A subnet's gateway is never a floating IP (a fabric network's is in no project's intent).
  for (const subnet of subnetRefs(ws, [network])) {
    const gateway = parseIpv4(subnet.gateway);
    if (gateway !== undefined) taken.add(gateway);
  }
  for (const ref of floatingIpRefs(ws)) {
    const address = parseIpv4(ref.ip);
    if (address !== undefined) taken.add(address);
  }
  // Fabric external networks are one address space for every project (spec 1.1).
  if (network.fabric) {
    for (const ip of reservedElsewhere) {
      const address = parseIpv4(ip);
      if (address !== undefined) taken.add(address);
    }
  }
  let ip: string | undefined;
  if (typeof body.floating_ip_address === "string") {
    const address = parseIpv4(body.floating_ip_address);
    const inside = network.subnets.some((subnet) => {
      const prefix = parseCidr(subnet.cidr);
      return address !== undefined && prefix.ok && prefixContains(prefix.value, address);
    });
    if (address === undefined || !inside) {
      throw NeutronFault.badRequest(
        `Invalid input for floating_ip_address: ${body.floating_ip_address}`,
      );
    }
    if (taken.has(address)) {
      throw NeutronFault.conflict(
        "IpAddressAlreadyAllocated",
        `IP address ${body.floating_ip_address} already allocated in network ${network.id}`,
      );
    }
    ip = body.floating_ip_address;
  } else {
    for (const subnet of network.subnets) {
      const prefix = parseCidr(subnet.cidr);
      if (!prefix.ok) continue;
      const last = lastHost(prefix.value);
      for (let address = firstHost(prefix.value); address <= last && ip === undefined; address++) {
        if (!taken.has(address)) ip = formatIpv4(address);
      }
      if (ip !== undefined) break;
    }
    if (ip === undefined) {
      throw NeutronFault.conflict(
        "IpAddressGenerationFailure",
        `No more IP addresses available on network ${network.id}.`,
      );
    }
  }
  ws.create("floatingip", ip, body, "", { network: network.name });
  const ref: FloatingIpRef = { ip, id: ws.id("floatingip", ip), network: network.name, port: null };
  if (body.port_id !== undefined && body.port_id !== null) associate(ws, ref, body.port_id);
  return ref.id;
}

export function updateFloatingIp(ws: Workspace, ref: FloatingIpRef, body: Json): void {
  if (body.port_id === null) disassociate(ws, ref);
  else if (body.port_id !== undefined) associate(ws, ref, body.port_id);
  ws.touch("floatingip", ref.ip, body, "", { network: ref.network });
}

export function deleteFloatingIp(ws: Workspace, ref: FloatingIpRef): void {
  disassociate(ws, ref);
  ws.remove("floatingip", ref.ip);
  // Its port may have gone before it (the pool then outlived the association).
  for (const pool of [...ws.peek("floatingIpPools")]) {
    if (pool.network === ref.network) dropUnusedDoorPool(ws, pool.name);
  }
}

/** After a port is deleted: its floating IP stays, disassociated (Neutron keeps it). */
export function keepFloatingIp(ws: Workspace, ip: string, pool: string): void {
  const network = ws.peek("floatingIpPools").find((candidate) => candidate.name === pool)?.network;
  if (network) ws.touch("floatingip", ip, {}, "", { network });
}
