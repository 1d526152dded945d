import { z } from "zod";
import {
  DEFAULT_GRACEFUL_RESTART_SECONDS,
  MAC_PATTERN,
  MAX_AS,
  MIN_AS,
  routeTargetProblem,
} from "./evpn";
import { isPort, parseCidr, parseIpv4, parsePorts, showValue, unsafeTextReason } from "./ipv4";

/**
 * The topology file of `../shared/spec/intent.md` section 1 as zod schemas. These same schemas
 * parse the intent file, every API input and the web app's forms. They check each value's form;
 * cross-object rules (references, overlaps, addresses taken) live in `validate.ts`.
 */

/** Names of objects and tenants: `[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?`. */
export const NAME_PATTERN = /^[a-z0-9]([a-z0-9-]{0,38}[a-z0-9])?$/;

export const nameSchema = z
  .string()
  .regex(NAME_PATTERN, {
    message:
      "must be 1-40 lowercase letters, digits or '-', starting and ending with a letter or digit",
  })
  .brand<"Name">();
/** A validated object name. */
export type Name = z.infer<typeof nameSchema>;

/**
 * A superRefine that refuses control and bidirectional characters first, then whatever `check`
 * says (a message naming the value, or undefined when the value is fine).
 */
function textRule(check: (value: string) => string | undefined) {
  return (value: string, ctx: z.RefinementCtx) => {
    const message = unsafeTextReason(value) ?? check(value);
    if (message !== undefined) ctx.addIssue({ code: "custom", message, input: value });
  };
}

/** A dotted-quad address; the message names the value (`10.1.0.256 is not an IPv4 address`). */
export const ipv4Schema = z
  .string()
  .superRefine(
    textRule((value) =>
      parseIpv4(value) === undefined ? `${showValue(value)} is not an IPv4 address` : undefined,
    ),
  )
  .brand<"Ipv4">();
/** A dotted-quad IPv4 address. */
export type Ipv4 = z.infer<typeof ipv4Schema>;

/** `a.b.c.d/len` with no host bits set, checked by `parseCidr`. */
export const cidrSchema = z
  .string()
  .superRefine(
    textRule((value) => {
      const parsed = parseCidr(value);
      return parsed.ok ? undefined : parsed.message;
    }),
  )
  .brand<"Cidr">();
/** An IPv4 prefix whose host bits are zero. */
export type Cidr = z.infer<typeof cidrSchema>;

export const protocolSchema = z.enum(["any", "tcp", "udp", "icmp"]);
export type Protocol = z.infer<typeof protocolSchema>;

/** A TCP/UDP port number, 1-65535. */
export const portNumberSchema = z.number().superRefine((value, ctx) => {
  if (!isPort(value)) {
    ctx.addIssue({ code: "custom", message: `${value} is not a port (1-65535)`, input: value });
  }
});

/** `80`, `"80"`, `"8000-8080"` or `"80,443"`; every port 1-65535 (see `parsePorts`). */
export const portsSchema = z.union([z.number(), z.string()]).superRefine((value, ctx) => {
  const message = typeof value === "string" ? unsafeTextReason(value) : undefined;
  const parsed = message === undefined ? parsePorts(value) : undefined;
  const problem = message ?? (parsed && !parsed.ok ? parsed.message : undefined);
  if (problem !== undefined) ctx.addIssue({ code: "custom", message: problem, input: value });
});
export type Ports = z.infer<typeof portsSchema>;

/**
 * A network name, a CIDR, `any`, or (for `remote` only) a security group name. Its form is
 * checked here; whether the name exists, in `validate.ts`.
 */
export const endpointSchema = z.string().superRefine(
  textRule((value) => {
    if (value === "any" || NAME_PATTERN.test(value)) return undefined;
    if (value.includes("/")) {
      const parsed = parseCidr(value);
      return parsed.ok ? undefined : parsed.message;
    }
    const hint = parseIpv4(value) === undefined ? "" : ` (did you mean ${value}/32?)`;
    return `${showValue(value)} is not a name, a CIDR or "any"${hint}`;
  }),
);

export const directionSchema = z.enum([">", "<>"]);
export type Direction = z.infer<typeof directionSchema>;

export const subnetSchema = z.strictObject({
  cidr: cidrSchema,
  gateway: ipv4Schema.optional(),
});
export type Subnet = z.infer<typeof subnetSchema>;

export const networkSchema = z.strictObject({
  name: nameSchema,
  external: z.boolean().optional(),
  subnets: z.array(subnetSchema).min(1, { message: "needs at least one subnet" }),
});
export type Network = z.infer<typeof networkSchema>;

export const floatingIpRefSchema = z.strictObject({
  pool: nameSchema,
  ip: ipv4Schema.optional(),
});

export const interfaceSchema = z.strictObject({
  network: nameSchema,
  ip: ipv4Schema.optional(),
  securityGroups: z.array(nameSchema).optional(),
  floatingIp: floatingIpRefSchema.optional(),
  /**
   * Spec section 1.2: prefixes inside the network's subnets this interface may also send from
   * (Neutron's allowed address pairs). Port security drops every other source.
   */
  allowedAddresses: z.array(cidrSchema).optional(),
});
export type Interface = z.infer<typeof interfaceSchema>;

export const workloadSchema = z.strictObject({
  name: nameSchema,
  node: nameSchema.optional(),
  interfaces: z.array(interfaceSchema).min(1, { message: "needs at least one interface" }),
});
export type Workload = z.infer<typeof workloadSchema>;

export const securityGroupRuleSchema = z.strictObject({
  direction: z.enum(["ingress", "egress"]),
  protocol: protocolSchema.optional(),
  ports: portsSchema.optional(),
  /** Absent means 0.0.0.0/0. */
  remote: endpointSchema.optional(),
});
export type SecurityGroupRule = z.infer<typeof securityGroupRuleSchema>;

export const securityGroupSchema = z.strictObject({
  name: nameSchema,
  rules: z.array(securityGroupRuleSchema),
});
export type SecurityGroup = z.infer<typeof securityGroupSchema>;

export const policyRuleSchema = z.strictObject({
  action: z.enum(["allow", "deny"]),
  protocol: protocolSchema.optional(),
  source: endpointSchema,
  destination: endpointSchema,
  ports: portsSchema.optional(),
  direction: directionSchema.optional(),
  services: z.array(nameSchema).optional(),
});
export type PolicyRule = z.infer<typeof policyRuleSchema>;

export const policySchema = z.strictObject({
  name: nameSchema,
  attach: z.array(nameSchema),
  rules: z.array(policyRuleSchema),
});
export type Policy = z.infer<typeof policySchema>;

export const firewallRuleSchema = z.strictObject({
  action: z.enum(["allow", "deny"]),
  protocol: protocolSchema.optional(),
  source: endpointSchema,
  destination: endpointSchema,
  ports: portsSchema.optional(),
});
export type FirewallRule = z.infer<typeof firewallRuleSchema>;

export const firewallServiceSchema = z.strictObject({
  name: nameSchema,
  type: z.literal("firewall"),
  rules: z.array(firewallRuleSchema),
});
export const loadBalancerServiceSchema = z.strictObject({
  name: nameSchema,
  type: z.literal("load-balancer"),
  network: nameSchema,
  vip: ipv4Schema,
  protocol: z.enum(["tcp", "udp"]),
  port: portNumberSchema,
  members: z.array(nameSchema).min(1, { message: "needs at least one member" }),
  memberPort: portNumberSchema,
});
export const natServiceSchema = z.strictObject({
  name: nameSchema,
  type: z.literal("nat"),
  inside: z.array(nameSchema).min(1, { message: "needs at least one inside network" }),
  outside: nameSchema,
});
export const dnsServiceSchema = z.strictObject({
  name: nameSchema,
  type: z.literal("dns"),
  domain: z
    .string()
    .regex(/^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/, {
      message: "is not a DNS domain",
    }),
  networks: z.array(nameSchema).min(1, { message: "needs at least one network" }),
});
export const serviceSchema = z.discriminatedUnion("type", [
  firewallServiceSchema,
  loadBalancerServiceSchema,
  natServiceSchema,
  dnsServiceSchema,
]);
export type Service = z.infer<typeof serviceSchema>;
export type ServiceType = Service["type"];
export type FirewallService = z.infer<typeof firewallServiceSchema>;
export type LoadBalancerService = z.infer<typeof loadBalancerServiceSchema>;
export type NatService = z.infer<typeof natServiceSchema>;
export type DnsService = z.infer<typeof dnsServiceSchema>;

export const routerSchema = z.strictObject({
  name: nameSchema,
  networks: z.array(nameSchema).min(1, { message: "needs at least one network" }),
});
export type Router = z.infer<typeof routerSchema>;

export const floatingIpPoolSchema = z.strictObject({
  name: nameSchema,
  network: nameSchema,
});
export type FloatingIpPool = z.infer<typeof floatingIpPoolSchema>;

export const verdictSchema = z.enum(["allow", "deny"]);
export type Verdict = z.infer<typeof verdictSchema>;

/** A flow endpoint in trace, check and assertions: a workload name or an IPv4 address. */
export const flowEndSchema = z
  .string()
  .superRefine(
    textRule((value) =>
      NAME_PATTERN.test(value) || parseIpv4(value) !== undefined
        ? undefined
        : `${showValue(value)} is neither a workload name nor an IPv4 address`,
    ),
  );

/**
 * A stored reachability assertion ("web-1 must reach db-1 on tcp/5432"). netloom extension:
 * an optional `assertions` list in the tenant file, checked before every change is stored.
 */
export const assertionSchema = z.strictObject({
  name: nameSchema,
  from: flowEndSchema,
  to: flowEndSchema,
  protocol: protocolSchema,
  port: portNumberSchema.optional(),
  verdict: verdictSchema,
});
export type Assertion = z.infer<typeof assertionSchema>;

/** One tenant's whole intent: the topology file. */
export const intentFileSchema = z.strictObject({
  apiVersion: z.literal("netloom/v1"),
  tenant: nameSchema,
  networks: z.array(networkSchema).optional(),
  workloads: z.array(workloadSchema).optional(),
  securityGroups: z.array(securityGroupSchema).optional(),
  policies: z.array(policySchema).optional(),
  services: z.array(serviceSchema).optional(),
  routers: z.array(routerSchema).optional(),
  floatingIpPools: z.array(floatingIpPoolSchema).optional(),
  assertions: z.array(assertionSchema).optional(),
});
export type IntentFile = z.infer<typeof intentFileSchema>;

/** The kinds of intent object, by the key that lists them in the file. */
export const RESOURCE_KINDS = [
  "networks",
  "workloads",
  "securityGroups",
  "policies",
  "services",
  "routers",
  "floatingIpPools",
  "assertions",
] as const;
export type ResourceKind = (typeof RESOURCE_KINDS)[number];

/** Each kind's singular noun, for messages and labels ("policy" for `policies`). */
export const RESOURCE_KIND_NOUNS: Readonly<Record<ResourceKind, string>> = {
  networks: "network",
  workloads: "workload",
  securityGroups: "security group",
  policies: "policy",
  services: "service",
  routers: "router",
  floatingIpPools: "floating IP pool",
  assertions: "assertion",
};

/** The object type of each kind. */
export interface ResourceSpecs {
  networks: Network;
  workloads: Workload;
  securityGroups: SecurityGroup;
  policies: Policy;
  services: Service;
  routers: Router;
  floatingIpPools: FloatingIpPool;
  assertions: Assertion;
}

/** The zod schema of each kind's objects. */
export const resourceSchemas = {
  networks: networkSchema,
  workloads: workloadSchema,
  securityGroups: securityGroupSchema,
  policies: policySchema,
  services: serviceSchema,
  routers: routerSchema,
  floatingIpPools: floatingIpPoolSchema,
  assertions: assertionSchema,
} as const satisfies { [K in ResourceKind]: z.ZodType<ResourceSpecs[K]> };

export const fabricNodeSchema = z.strictObject({
  name: nameSchema,
  underlay: ipv4Schema,
});
export type FabricNodeSpec = z.infer<typeof fabricNodeSchema>;

/**
 * Spec section 1.1: an external network the operator declares for the whole fabric. Tenants use
 * it by name (a pool's `network`, a nat service's `outside`); `tenants` limits who may.
 */
/** An `ASN:NN` BGP route target (RFC 4360), e.g. `65000:5000`. */
export const routeTargetSchema = z.string().superRefine(textRule(routeTargetProblem));

/** A BGP AS number a speaker may use: 1-4294967294. */
export const asNumberSchema = z
  .number()
  .int({ message: "an AS number is a whole number" })
  .min(MIN_AS, { message: `an AS number is ${MIN_AS}-${MAX_AS}` })
  .max(MAX_AS, { message: `an AS number is ${MIN_AS}-${MAX_AS}` });

/** A VXLAN network identifier in a file: 1-16777215. */
const evpnVniSchema = z
  .number()
  .int({ message: "a VNI is a whole number" })
  .min(1, { message: "a VNI is 1-16777215" })
  .max(16_777_215, { message: "a VNI is 1-16777215" });

/** A MAC address, six lowercase hex pairs (`02:4e:c6:12:00:0b`). */
export const macSchema = z
  .string()
  .superRefine(
    textRule((value) =>
      MAC_PATTERN.test(value) ? undefined : `${showValue(value)} is not a MAC address`,
    ),
  );

/**
 * Issue 14: an external network's EVPN door. Its L3 VNI (the VNI the network's VXLAN devices use,
 * so a gateway's packets land on it), the route target its type-5 routes carry and import, and
 * the tenant subnets the operator exports on it besides floating IPs and NAT addresses.
 */
export const evpnNetworkSchema = z.strictObject({
  vni: evpnVniSchema,
  routeTarget: routeTargetSchema,
  exportTenantSubnets: z
    .array(z.strictObject({ tenant: nameSchema, network: nameSchema }))
    .optional(),
});
export type EvpnNetworkSpec = z.infer<typeof evpnNetworkSchema>;

export const fabricExternalNetworkSchema = z.strictObject({
  name: nameSchema,
  subnets: z.array(subnetSchema).min(1, { message: "needs at least one subnet" }),
  tenants: z.array(nameSchema).optional(),
  evpn: evpnNetworkSchema.optional(),
});
export type FabricExternalNetworkSpec = z.infer<typeof fabricExternalNetworkSchema>;

/** A BGP neighbour of the controller's speaker: a data-center gateway or another domain. */
export const bgpPeerSchema = z.strictObject({
  name: nameSchema,
  address: ipv4Schema,
  as: asNumberSchema,
});
export type BgpPeerSpec = z.infer<typeof bgpPeerSchema>;

/** Issue 14: the controller as a BGP speaker (`l2vpn-evpn`), as the operator configures it. */
export const bgpSchema = z.strictObject({
  localAs: asNumberSchema,
  routerId: ipv4Schema,
  peers: z.array(bgpPeerSchema),
  /** Seconds peers keep our routes across a speaker restart; default 120. */
  gracefulRestartSeconds: z
    .number()
    .int({ message: "a whole number of seconds" })
    .min(1, { message: "1-4095 seconds (RFC 4724's 12 bits)" })
    .max(4095, { message: "1-4095 seconds (RFC 4724's 12 bits)" })
    .optional(),
});
export type BgpSpec = z.infer<typeof bgpSchema>;

/** The graceful restart time a `bgp` section means (its own, else the default). */
export function gracefulRestartSeconds(bgp: BgpSpec): number {
  return bgp.gracefulRestartSeconds ?? DEFAULT_GRACEFUL_RESTART_SECONDS;
}

/** The operator's fabric file: forwarding nodes, their underlay addresses, external networks. */
export const fabricFileSchema = z.strictObject({
  apiVersion: z.literal("netloom/v1"),
  kind: z.literal("Fabric"),
  nodes: z.array(fabricNodeSchema),
  externalNetworks: z.array(fabricExternalNetworkSchema).optional(),
  bgp: bgpSchema.optional(),
});
export type FabricFile = z.infer<typeof fabricFileSchema>;

export const expectationSchema = z.strictObject({
  from: flowEndSchema,
  to: flowEndSchema,
  protocol: protocolSchema,
  port: portNumberSchema.optional(),
  verdict: verdictSchema,
});
export type Expectation = z.infer<typeof expectationSchema>;

/** An EXPECT file for `netloom check`. */
export const expectFileSchema = z.strictObject({
  expect: z.array(expectationSchema),
});
export type ExpectFile = z.infer<typeof expectFileSchema>;
