import { execFileSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OpenStackFixture, openstack, startOpenStackFixture } from "./fixture";

function hasOpenStackClient(): boolean {
  try {
    execFileSync("openstack", ["--version"], { stdio: "ignore", timeout: 60_000 });
    return true;
  } catch {
    return false;
  }
}

const available = hasOpenStackClient();
if (!available) {
  console.warn(
    "openstack client missing: apt-get install -y python3-openstackclient (CI installs it)",
  );
}

type Row = Record<string, unknown>;

/**
 * The scripted session, driven by Debian's own `openstack` command (6.0.0) exactly as a
 * new user would type it, with `-f json` and assertions on the values. Then the topology it
 * built answers `trace` as expected.
 */
describe.skipIf(!available)("the real openstack client", () => {
  let fixture: OpenStackFixture;
  const ids: Record<string, string> = {};

  const run = async (args: string[], user = "alice", project = "alpha") => {
    const result = await openstack(fixture.url, user, project, args);
    if (result.code !== 0) {
      throw new Error(`openstack ${args.join(" ")} failed (${result.code}): ${result.stderr}`);
    }
    return result.stdout;
  };
  const json = async (args: string[], user = "alice", project = "alpha"): Promise<Row> =>
    JSON.parse(await run([...args, "-f", "json"], user, project)) as Row;
  const jsonList = async (args: string[], user = "alice", project = "alpha"): Promise<Row[]> =>
    JSON.parse(await run([...args, "-f", "json"], user, project)) as Row[];
  const fails = async (args: string[], user = "alice", project = "alpha", password?: string) => {
    const result = await openstack(fixture.url, user, project, args, password);
    expect(result.code, `openstack ${args.join(" ")} should fail`).not.toBe(0);
    return result.stderr;
  };
  const trace = async (
    from: string,
    to: string,
    protocol: "tcp" | "udp" | "icmp",
    port?: number,
  ) => {
    const admin = await fixture.server.services.auth.authenticate({
      token: "openstack-admin-token",
    });
    if (!admin) throw new Error("no admin");
    return fixture.server.caller(admin).reach.trace({ tenant: "alpha", from, to, protocol, port });
  };

  beforeAll(async () => {
    fixture = await startOpenStackFixture();
  }, 120_000);
  afterAll(async () => {
    await fixture?.close();
  });

  it("creates, lists, shows, sets, unsets and deletes a project's topology", async () => {
    // network, subnet with range, gateway and allocation pool
    const network = await json(["network", "create", "front"]);
    expect(network).toMatchObject({
      name: "front",
      status: "ACTIVE",
      "router:external": false,
      subnets: [],
    });
    ids.front = String(network.id);
    expect(ids.front).toMatch(/^[0-9a-f-]{36}$/);
    const subnet = await json([
      "subnet",
      "create",
      "front-v4",
      "--network",
      "front",
      "--subnet-range",
      "10.10.0.0/24",
      "--gateway",
      "10.10.0.1",
      "--allocation-pool",
      "start=10.10.0.10,end=10.10.0.200",
    ]);
    expect(subnet).toMatchObject({
      name: "front-v4",
      cidr: "10.10.0.0/24",
      gateway_ip: "10.10.0.1",
      ip_version: 4,
      network_id: ids.front,
      allocation_pools: [{ start: "10.10.0.10", end: "10.10.0.200" }],
    });
    ids.subnet = String(subnet.id);

    // ports: a fixed IP and an allocated one (first address of the pool)
    const web = await json([
      "port",
      "create",
      "web-1",
      "--network",
      "front",
      "--fixed-ip",
      "subnet=front-v4,ip-address=10.10.0.20",
    ]);
    expect(web.fixed_ips).toEqual([{ subnet_id: ids.subnet, ip_address: "10.10.0.20" }]);
    ids.web = String(web.id);
    const db = await json(["port", "create", "db-1", "--network", "front"]);
    expect(db.fixed_ips).toEqual([{ subnet_id: ids.subnet, ip_address: "10.10.0.10" }]);
    ids.db = String(db.id);
    // Neutron's default group, made on first use, guards new ports.
    const groups = await jsonList(["security", "group", "list"]);
    const defaultGroup = groups.find((group) => group.Name === "default");
    expect(defaultGroup).toBeDefined();
    expect(web.security_group_ids).toEqual([defaultGroup?.ID]);

    // negative: a fixed IP already taken -> 409
    expect(
      await fails([
        "port",
        "create",
        "dup",
        "--network",
        "front",
        "--fixed-ip",
        "subnet=front-v4,ip-address=10.10.0.20",
      ]),
    ).toMatch(/409.*10\.10\.0\.20 already allocated/);

    // security group and rules: --dst-port, --remote-ip, --remote-group, ingress and egress
    const group = await json(["security", "group", "create", "web", "--description", "web tier"]);
    expect(group).toMatchObject({ name: "web", description: "web tier" });
    ids.group = String(group.id);
    const http = await json([
      "security",
      "group",
      "rule",
      "create",
      "web",
      "--ingress",
      "--protocol",
      "tcp",
      "--dst-port",
      "80",
      "--remote-ip",
      "0.0.0.0/0",
    ]);
    expect(http).toMatchObject({
      direction: "ingress",
      protocol: "tcp",
      port_range_min: 80,
      port_range_max: 80,
      remote_ip_prefix: "0.0.0.0/0",
      remote_group_id: null,
      security_group_id: ids.group,
    });
    const ssh = await json([
      "security",
      "group",
      "rule",
      "create",
      "web",
      "--ingress",
      "--protocol",
      "tcp",
      "--dst-port",
      "22",
      "--remote-group",
      "web",
    ]);
    expect(ssh).toMatchObject({
      port_range_min: 22,
      port_range_max: 22,
      remote_group_id: ids.group,
      remote_ip_prefix: null,
    });
    const dns = await json([
      "security",
      "group",
      "rule",
      "create",
      "web",
      "--egress",
      "--protocol",
      "udp",
      "--dst-port",
      "53:54",
      "--remote-ip",
      "10.10.0.0/24",
    ]);
    expect(dns).toMatchObject({
      direction: "egress",
      protocol: "udp",
      port_range_min: 53,
      port_range_max: 54,
    });
    const anyProtocol = await json([
      "security",
      "group",
      "rule",
      "create",
      "web",
      "--ingress",
      "--remote-group",
      "default",
    ]);
    // null stays null: never "any", never 0-65535
    expect(anyProtocol).toMatchObject({
      protocol: null,
      port_range_min: null,
      port_range_max: null,
    });
    const rules = await jsonList(["security", "group", "rule", "list", "web"]);
    expect(rules).toHaveLength(5); // the new group's egress rule and the four above
    await run(["port", "set", "web-1", "--security-group", "web"]);
    const webGroups = await json(["port", "show", "web-1"]);
    expect(webGroups.security_group_ids).toEqual([defaultGroup?.ID, ids.group]);

    // external network (the cloud admin's), router with an interface and a gateway
    const external = await json(["network", "create", "public", "--external"], "cloud");
    expect(external["router:external"]).toBe(true);
    ids.public = String(external.id);
    await run(
      [
        "subnet",
        "create",
        "public-v4",
        "--network",
        "public",
        "--subnet-range",
        "203.0.113.0/24",
        "--no-dhcp",
      ],
      "cloud",
    );
    const router = await json(["router", "create", "r1"]);
    ids.router = String(router.id);
    await run(["router", "add", "subnet", "r1", "front-v4"]);
    await run(["router", "set", "r1", "--external-gateway", "public"]);
    const routed = await json(["router", "show", "r1"]);
    const gateway = routed.external_gateway_info as Row;
    expect(gateway.network_id).toBe(ids.public);
    const gatewayIps = gateway.external_fixed_ips as Row[];
    expect(gatewayIps).toHaveLength(1);
    expect(String(gatewayIps[0]?.ip_address)).toMatch(/^203\.0\.113\./);
    expect(routed.interfaces_info).toEqual([
      expect.objectContaining({ subnet_id: ids.subnet, ip_address: "10.10.0.1" }),
    ]);
    const routerPorts = await jsonList(["port", "list", "--router", "r1"]);
    expect(routerPorts.map((port) => port["Fixed IP Addresses"])).toEqual([
      [{ subnet_id: ids.subnet, ip_address: "10.10.0.1" }],
    ]);

    // floating IP: created from the external network, associated by port
    const floating = await json(["floating", "ip", "create", "public"]);
    const address = String(floating.floating_ip_address);
    expect(address).toMatch(/^203\.0\.113\./);
    expect(address).not.toBe(gatewayIps[0]?.ip_address);
    expect(floating).toMatchObject({
      port_id: null,
      status: "DOWN",
      floating_network_id: ids.public,
    });
    await run(["floating", "ip", "set", "--port", "web-1", address]);
    const associated = await json(["floating", "ip", "show", address]);
    expect(associated).toMatchObject({
      port_id: ids.web,
      fixed_ip_address: "10.10.0.20",
      router_id: ids.router,
      status: "ACTIVE",
    });

    // lists with filters
    const networks = await jsonList(["network", "list"]);
    expect(networks.map((row) => row.Name).sort()).toEqual(["front", "public"]);
    const frontPorts = await jsonList(["port", "list", "--network", "front"]);
    expect(frontPorts.map((row) => row.Name).sort()).toEqual(["", "db-1", "web-1"]);
    const byAddress = await jsonList(["port", "list", "--fixed-ip", "ip-address=10.10.0.10"]);
    expect(byAddress.map((row) => row.ID)).toEqual([ids.db]);

    // set and unset
    await run([
      "network",
      "set",
      "front",
      "--name",
      "frontend",
      "--description",
      "the front",
      "--tag",
      "tier1",
    ]);
    const renamed = await json(["network", "show", ids.front]);
    expect(renamed).toMatchObject({ name: "frontend", description: "the front", tags: ["tier1"] });
    expect(Number(renamed.revision_number)).toBeGreaterThan(Number(network.revision_number));
    await run(["network", "unset", "--tag", "tier1", "frontend"]);
    expect((await json(["network", "show", "frontend"])).tags).toEqual([]);
    await run(["port", "unset", "--security-group", "default", "web-1"]);
    expect((await json(["port", "show", "web-1"])).security_group_ids).toEqual([ids.group]);

    // negative cases
    expect(
      await fails([
        "subnet",
        "create",
        "overlap",
        "--network",
        "frontend",
        "--subnet-range",
        "10.10.0.128/25",
      ]),
    ).toMatch(/400/);
    expect(await fails(["network", "show", ids.front], "bob", "beta")).toMatch(/No Network found/);
    expect(await fails(["network", "list"], "alice", "alpha", "wrong password")).toMatch(/401/);
    expect(await fails(["network", "create", "nope"], "rita", "alpha")).toMatch(/403/);
    expect(await fails(["network", "delete", "frontend"])).toMatch(/409/);
    // the reader still reads
    expect((await jsonList(["network", "list"], "rita")).length).toBe(2);
  }, 600_000);

  it("builds a topology that trace answers as Neutron means it", async () => {
    const floating = await jsonList(["floating", "ip", "list"]);
    const address = String(floating[0]?.["Floating IP Address"]);
    // outside reaches web-1 at its floating IP on tcp/80 (web group), not on tcp/22
    expect((await trace("203.0.113.200", address, "tcp", 80)).verdict).toBe("allow");
    expect((await trace("203.0.113.200", address, "tcp", 22)).verdict).toBe("deny");
    // db-1 (default group) reaches web-1 on 80 (from anywhere) and on 22 (web admits default's members)
    expect((await trace("db-1", "web-1", "tcp", 80)).verdict).toBe("allow");
    expect((await trace("db-1", "web-1", "tcp", 22)).verdict).toBe("allow");
    // web-1 left the default group, so db-1 (default: ingress from members only) refuses it
    expect((await trace("web-1", "db-1", "tcp", 5432)).verdict).toBe("deny");
    // db-1 reaches outside through the router's gateway (nat)
    expect((await trace("db-1", "203.0.113.200", "tcp", 443)).verdict).toBe("allow");
  }, 120_000);

  it("deletes everything again", async () => {
    const floating = await jsonList(["floating", "ip", "list"]);
    await run(["floating", "ip", "delete", String(floating[0]?.ID)]);
    await run(["router", "unset", "--external-gateway", "r1"]);
    await run(["router", "remove", "subnet", "r1", "front-v4"]);
    await run(["router", "delete", "r1"]);
    await run(["port", "delete", "web-1", "db-1"]);
    await run(["security", "group", "delete", "web"]);
    await run(["subnet", "delete", "front-v4"]);
    await run(["network", "delete", "frontend"]);
    expect((await jsonList(["network", "list"])).map((row) => row.Name)).toEqual(["public"]);
    expect(await jsonList(["port", "list"])).toEqual([]);
    expect(await jsonList(["router", "list"])).toEqual([]);
    expect(await jsonList(["floating", "ip", "list"])).toEqual([]);
  }, 300_000);
});
