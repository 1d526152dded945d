import { randomBytes } from "node:crypto";
import type { FabricNodeSpec, IntentFile } from "@netloom/model";
import { applyIntent } from "./domain/intent";
import type { Services } from "./trpc";

/** Who `--demo` made, to print once. */
export interface DemoCredentials {
  users: { email: string; password: string; role: string }[];
  tenant: string;
}

const DEMO_FABRIC = [
  { name: "compute-1", underlay: "198.18.0.11" },
  { name: "compute-2", underlay: "198.18.0.12" },
] as FabricNodeSpec[];

/** A three-tier shop: web/app/db, a firewall in the app-db chain, a router, NAT, LB, DNS. */
export const DEMO_TOPOLOGY = {
  apiVersion: "netloom/v1",
  tenant: "demo",
  networks: [
    { name: "web", subnets: [{ cidr: "10.20.1.0/24" }] },
    { name: "app", subnets: [{ cidr: "10.20.2.0/24" }] },
    { name: "db", subnets: [{ cidr: "10.20.3.0/24" }] },
    { name: "mgmt", subnets: [{ cidr: "10.20.9.0/24" }] },
    { name: "public", external: true, subnets: [{ cidr: "203.0.113.0/24" }] },
  ],
  workloads: [
    {
      name: "web-1",
      interfaces: [
        { network: "web", securityGroups: ["web-sg"], floatingIp: { pool: "public-pool" } },
      ],
    },
    { name: "web-2", interfaces: [{ network: "web", securityGroups: ["web-sg"] }] },
    { name: "app-1", interfaces: [{ network: "app" }] },
    { name: "db-1", interfaces: [{ network: "db", securityGroups: ["db-sg"] }] },
    { name: "bastion", interfaces: [{ network: "mgmt" }, { network: "web" }] },
  ],
  securityGroups: [
    {
      name: "web-sg",
      rules: [
        { direction: "ingress", protocol: "tcp", ports: "80,443,8080", remote: "0.0.0.0/0" },
        { direction: "ingress", protocol: "icmp", remote: "10.20.0.0/16" },
        { direction: "egress", protocol: "any", remote: "0.0.0.0/0" },
      ],
    },
    {
      name: "db-sg",
      rules: [
        { direction: "ingress", protocol: "tcp", ports: 5432, remote: "app" },
        { direction: "egress", protocol: "any", remote: "0.0.0.0/0" },
      ],
    },
  ],
  policies: [
    {
      name: "web-app",
      attach: ["web", "app"],
      rules: [
        {
          action: "allow",
          protocol: "tcp",
          source: "web",
          destination: "app",
          ports: 8080,
          direction: ">",
        },
        { action: "allow", protocol: "icmp", source: "web", destination: "app" },
      ],
    },
    {
      name: "app-db",
      attach: ["app", "db"],
      rules: [
        {
          action: "allow",
          protocol: "tcp",
          source: "app",
          destination: "db",
          ports: 5432,
          direction: ">",
          services: ["fw1"],
        },
      ],
    },
  ],
  services: [
    {
      name: "fw1",
      type: "firewall",
      rules: [{ action: "allow", protocol: "tcp", source: "app", destination: "db", ports: 5432 }],
    },
    {
      name: "lb1",
      type: "load-balancer",
      network: "web",
      vip: "10.20.1.100",
      protocol: "tcp",
      port: 80,
      members: ["web-1", "web-2"],
      memberPort: 8080,
    },
    { name: "nat1", type: "nat", inside: ["app"], outside: "public" },
    { name: "dns1", type: "dns", domain: "demo.internal", networks: ["web", "app", "db"] },
  ],
  routers: [{ name: "r1", networks: ["web", "mgmt"] }],
  floatingIpPools: [{ name: "public-pool", network: "public" }],
  assertions: [
    {
      name: "app-reaches-db",
      from: "app-1",
      to: "db-1",
      protocol: "tcp",
      port: 5432,
      verdict: "allow",
    },
    { name: "web-not-db", from: "web-1", to: "db-1", protocol: "tcp", port: 5432, verdict: "deny" },
  ],
} as unknown as IntentFile;

function password(): string {
  return randomBytes(9).toString("base64url");
}

/**
 * Seeds users, a fabric and the demo tenant into an empty store. `cloudAdmin`, the cloud admin
 * the bootstrap just made, gets a password and is the demo's cloud admin login: one cloud admin,
 * reachable by password (portal) and by its token (command).
 */
export async function seedDemo(
  services: Services,
  cloudAdmin?: string | undefined,
): Promise<DemoCredentials> {
  const { auth, store, reach } = services;
  const actor = "demo-seed";
  await store.applyFabric(DEMO_FABRIC, { prune: false, mode: "upsert" });
  await applyIntent(store, reach, DEMO_TOPOLOGY, { actor, dryRun: false, createTenant: true });
  const tenant = store.tenant("demo");
  const users = [
    { email: cloudAdmin ?? "admin@demo.netloom", role: "cloud_admin" as const },
    { email: "viewer@demo.netloom", role: "cloud_viewer" as const },
    { email: "demo-admin@demo.netloom", role: "tenant_admin" as const },
  ].map((user) => ({ ...user, password: password() }));
  for (const user of users) {
    if (user.email === cloudAdmin) {
      await auth.setPassword(user.email, user.password);
      continue;
    }
    await auth.createUser({
      email: user.email,
      displayName: user.email.split("@")[0] ?? user.email,
      password: user.password,
      globalRole: user.role === "tenant_admin" ? "none" : user.role,
    });
    if (user.role === "tenant_admin" && tenant)
      await auth.grant(user.email, tenant.id, "tenant_admin");
  }
  return { users, tenant: "demo" };
}
