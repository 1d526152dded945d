import type {
  FabricExternalNetworkSpec,
  FabricNodeSpec,
  IntentFile,
  LearnedEvpnRoute,
  Protocol,
  Verdict,
} from "@netloom/model";

/**
 * The contract between the compiler and everything below it (dataplane drivers, the agent, the
 * trace). A node's config is plain JSON: it crosses the wire to agents as is.
 *
 * Stability: fields may be added; none is renamed or removed without changing every driver.
 */

/** Leads an ACL entry or a translation back to the intent that made it. Format in RULE_IDS. */
export type RuleId = string;

/**
 * Rule id formats, one per origin:
 * - `policy:<policy>/<ruleIndex>`            a policy rule
 * - `sg:<group>/<ruleIndex>`                 a security group rule
 * - `firewall:<service>/<ruleIndex>`         a firewall service rule
 * - `router:<router>`                        a router's implicit allow
 * - `nat:<service>`, `fip:<workload>/<ifIndex>`, `lb:<service>`, `dns:<service>`
 * - `implicit:same-network`, `implicit:no-match:<network>`, `implicit:sg-default:<group>`,
 *   `implicit:firewall-default:<service>` (a firewall in a chain with no matching rule)
 */
export const RULE_ID_KINDS = [
  "policy",
  "sg",
  "firewall",
  "router",
  "nat",
  "fip",
  "lb",
  "dns",
  "implicit",
] as const;

/** Everything the compiler reads: the fabric and every tenant's resolved intent. */
export interface CompileInput {
  fabric: {
    nodes: FabricNodeSpec[];
    externalNetworks?: FabricExternalNetworkSpec[];
    /**
     * Issue 14: EVPN type-5 routes the controllers' speakers learned from gateways and peer
     * domains. Those under an external network's route target become node config (evpn/import.ts).
     */
    learnedRoutes?: LearnedEvpnRoute[];
  };
  tenants: TenantInput[];
}

/**
 * One tenant's intent with every allocation already made by the store: each interface has its
 * `ip` and `node` (workload.node), each floating IP its `ip`.
 */
export interface TenantInput {
  /** Stable store id; device names and keys derive from ids, never from names. */
  id: string;
  intent: IntentFile;
  /** VNI of each network, by network name. */
  vnis: Record<string, number>;
  /** Shared outside address of each `nat` service, by service name. */
  natAddresses: Record<string, string>;
}

/** A port range, inclusive. `ports: []` in a match means every port. */
export interface PortRange {
  from: number;
  to: number;
}

/** The L3/L4 part every ACL entry matches on. Empty CIDR list never matches; 0.0.0.0/0 is any. */
export interface FlowMatch {
  protocol: Protocol;
  sources: string[];
  destinations: string[];
  /** Destination ports; empty = every port. */
  ports: PortRange[];
}

/** One ordered policy entry in a network's list (spec section 2 rule 2). */
export interface PolicyAclEntry extends FlowMatch {
  ruleId: RuleId;
  action: Verdict;
  /** `<>`: also matches the flow with source and destination swapped. */
  bidirectional: boolean;
  /** Service chain, in order: names of services of this tenant (see TenantConfig.firewalls). */
  services: string[];
}

/** One security group rule, remotes resolved to CIDRs (group remotes to member /32s). */
export interface SecurityGroupEntry {
  ruleId: RuleId;
  direction: "ingress" | "egress";
  protocol: Protocol;
  remotes: string[];
  ports: PortRange[];
}

export interface FirewallEntry extends FlowMatch {
  ruleId: RuleId;
  action: Verdict;
}

/** A tenant network as a forwarding instance on a node. */
export interface NetworkInstance {
  name: string;
  vni: number;
  external: boolean;
  subnets: { cidr: string; gateway: string }[];
  /** This network's ordered policy list: the rules of policies attached to it, in file order. */
  acl: PolicyAclEntry[];
}

/** A workload interface (port) hosted on this node. */
export interface LocalInterface {
  /** Short stable id (<= 11 chars, [a-z0-9]); device names derive from it. */
  portId: string;
  workload: string;
  interfaceIndex: number;
  network: string;
  ip: string;
  prefixLength: number;
  gateway: string;
  mac: string;
  /** Security group names; empty = unfiltered (spec section 2 rule 4). */
  securityGroups: string[];
  /**
   * Port security (spec section 1.2, rule 0): extra source prefixes this port may send from
   * besides `ip`. The port may send only from `ip` or these, and only with `mac`.
   */
  allowedAddresses: string[];
}

/** A workload interface on another node that local networks can reach. */
export interface RemoteEndpoint {
  portId: string;
  workload: string;
  network: string;
  ip: string;
  mac: string;
  node: string;
  underlay: string;
  securityGroups: string[];
}

/** Networks that may exchange traffic: leaked routes between forwarding instances. */
export interface InterNetworkRoute {
  from: string;
  to: string;
  /** `allow` when a router joins them (rule 3: a missing match is allow), else `deny`. */
  noMatch: Verdict;
  /** The router that joins them, when one does. */
  viaRouter?: RuleId;
}

export interface FloatingIpTranslation {
  ruleId: RuleId;
  workload: string;
  portId: string;
  /** The workload's fixed address (inside). */
  fixedIp: string;
  /** The floating address on the external network. */
  floatingIp: string;
  externalNetwork: string;
  /** Node hosting the workload. */
  node: string;
}

export interface SourceNatTranslation {
  ruleId: RuleId;
  insideNetworks: string[];
  insideCidrs: string[];
  outsideNetwork: string;
  outsideIp: string;
}

export interface LoadBalancerConfig {
  ruleId: RuleId;
  network: string;
  vip: string;
  protocol: "tcp" | "udp";
  port: number;
  members: { workload: string; ip: string; port: number; node: string }[];
}

export interface DnsZone {
  ruleId: RuleId;
  domain: string;
  networks: string[];
  /** Answered at each network's gateway address, UDP/53. */
  records: { name: string; network: string; ip: string }[];
}

/** Everything of one tenant that one node needs, and no more. */
export interface TenantConfig {
  tenantId: string;
  tenant: string;
  /** Short stable key (<= 6 chars) for device names of this tenant on the node. */
  tenantKey: string;
  networks: NetworkInstance[];
  localInterfaces: LocalInterface[];
  remoteEndpoints: RemoteEndpoint[];
  /** Other nodes hosting this tenant's networks: VXLAN flood/peer list. */
  peers: { node: string; underlay: string }[];
  routes: InterNetworkRoute[];
  securityGroups: { name: string; rules: SecurityGroupEntry[] }[];
  firewalls: { name: string; rules: FirewallEntry[] }[];
  floatingIps: FloatingIpTranslation[];
  sourceNats: SourceNatTranslation[];
  loadBalancers: LoadBalancerConfig[];
  dnsZones: DnsZone[];
}

/**
 * Issue 14: a learned EVPN type-5 route as a node programs it, in every tenant namespace that
 * holds the external network's VXLAN device (vx<vni>): `route <prefix> via <via> dev vx<vni>
 * onlink`, a permanent neighbour `<via>` at `routerMac`, an FDB entry `routerMac` to `vtep`.
 */
export interface LearnedRouteConfig {
  prefix: string;
  /** The fabric external network whose route target imported the route. */
  network: string;
  /** The network's L3 VNI (= the route's label). */
  vni: number;
  routerMac: string;
  /** The remote VTEP's underlay address (the route's next hop). */
  vtep: string;
  /** The link-local address that stands for the VTEP on the overlay. */
  via: string;
  /** The BGP peer the route was learned from. */
  peer: string;
  routeTarget: string;
}

/** One forwarding node's whole desired state. */
export interface NodeConfig {
  node: string;
  underlay: string;
  tenants: TenantConfig[];
  /**
   * Issue 14: learned EVPN routes for the external networks this node carries, sorted by VNI
   * and prefix. Absent when there are none (configs without EVPN stay byte-identical).
   */
  learnedRoutes?: LearnedRouteConfig[];
}

/** The output of a compile: every node's config and its content hash. */
export interface CompiledFabric {
  nodes: Record<string, NodeConfig>;
  /** Content hash of each node's config: unchanged hash, nothing to send. */
  hashes: Record<string, string>;
}

/** A flow to trace or check, ends already resolved to addresses where possible. */
export interface FlowQuery {
  tenant: string;
  /** Workload name or IPv4 address. */
  from: string;
  to: string;
  protocol: Protocol;
  port?: number;
}

/** One step of a traced flow. */
export interface TraceHop {
  node: string;
  step: string;
  rule?: RuleId;
  detail?: string;
}

export interface TraceResult {
  verdict: Verdict;
  reason: string;
  hops: TraceHop[];
  /** The rule that decided the verdict (for a deny: the deny or the missing allow), when one did. */
  rule?: RuleId;
}
