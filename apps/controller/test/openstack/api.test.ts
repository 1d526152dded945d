import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type OpenStackFixture, PASSWORD, startOpenStackFixture } from "./fixture";

type Json = Record<string, unknown>;

let fixture: OpenStackFixture;

async function call(
  method: "GET" | "POST" | "PUT" | "DELETE" | "HEAD",
  url: string,
  options: { token?: string; body?: unknown; headers?: Record<string, string> } = {},
) {
  const response = await fixture.server.app.inject({
    method,
    url,
    headers: {
      ...(options.token ? { "x-auth-token": options.token } : {}),
      ...(options.body !== undefined ? { "content-type": "application/json" } : {}),
      ...(options.headers ?? {}),
    },
    ...(options.body !== undefined ? { payload: JSON.stringify(options.body) } : {}),
  });
  const text = response.body;
  return {
    status: response.statusCode,
    headers: response.headers,
    body: (text ? JSON.parse(text) : {}) as Json,
  };
}

async function login(user: string, project: string, password = PASSWORD) {
  return call("POST", "/identity/v3/auth/tokens", {
    body: {
      auth: {
        identity: {
          methods: ["password"],
          password: { user: { name: user, domain: { name: "Default" }, password } },
        },
        scope: { project: { name: project, domain: { name: "Default" } } },
      },
    },
  });
}

async function tokenOf(user: string, project: string): Promise<string> {
  const response = await login(user, project);
  const token = response.headers["x-subject-token"];
  if (response.status !== 201 || typeof token !== "string")
    throw new Error(`login ${user}: ${response.status}`);
  return token;
}

const tokens = { alice: "", rita: "", bob: "" };

beforeAll(async () => {
  fixture = await startOpenStackFixture();
  tokens.alice = await tokenOf("alice", "alpha");
  tokens.rita = await tokenOf("rita", "alpha");
  tokens.bob = await tokenOf("bob", "beta");
}, 120_000);

afterAll(async () => {
  await fixture?.close();
});

async function network(
  token: string,
  name: string,
  cidr?: string,
): Promise<{ id: string; subnet?: string }> {
  const created = await call("POST", "/network/v2.0/networks", {
    token,
    body: { network: { name } },
  });
  expect(created.status).toBe(201);
  const id = String((created.body.network as Json).id);
  if (!cidr) return { id };
  const subnet = await call("POST", "/network/v2.0/subnets", {
    token,
    body: { subnet: { network_id: id, cidr, ip_version: 4 } },
  });
  expect(subnet.status).toBe(201);
  return { id, subnet: String((subnet.body.subnet as Json).id) };
}

describe("Keystone v3", () => {
  it("answers the version document and issues a scoped token with a catalog", async () => {
    const version = await call("GET", "/identity/v3");
    expect(version.body.version).toMatchObject({ id: "v3.14", status: "stable" });
    const response = await login("alice@example.org", "alpha");
    expect(response.status).toBe(201);
    const token = response.body.token as Json;
    expect(token.methods).toEqual(["password"]);
    expect(typeof token.expires_at).toBe("string");
    expect(Date.parse(String(token.expires_at))).toBeGreaterThan(Date.now());
    expect(token.project).toMatchObject({
      name: "alpha",
      domain: { id: "default", name: "Default" },
    });
    expect(token.roles).toEqual([
      { id: "member", name: "member" },
      { id: "reader", name: "reader" },
    ]);
    const catalog = token.catalog as { type: string; endpoints: { url: string }[] }[];
    expect(catalog.find((service) => service.type === "network")?.endpoints[0]?.url).toMatch(
      /\/network$/,
    );
    const reader = (await login("rita", "alpha")).body.token as Json;
    expect(reader.roles).toEqual([{ id: "reader", name: "reader" }]);
  });

  it("refuses wrong credentials and foreign projects with 401 in Keystone's shape", async () => {
    const wrong = await login("alice", "alpha", "not the password");
    expect(wrong.status).toBe(401);
    expect(wrong.body.error).toMatchObject({ code: 401, title: "Unauthorized" });
    expect(wrong.headers["x-subject-token"]).toBeUndefined();
    expect((await login("alice", "beta")).status).toBe(401);
    expect((await login("nobody", "alpha")).status).toBe(401);
  });

  it("validates, re-scopes by the token method, and revokes", async () => {
    const token = await tokenOf("alice", "alpha");
    const valid = await call("GET", "/identity/v3/auth/tokens", {
      token,
      headers: { "x-subject-token": token },
    });
    expect(valid.status).toBe(200);
    expect((valid.body.token as Json).user).toMatchObject({ name: "alice@example.org" });
    expect(
      (
        await call("HEAD", "/identity/v3/auth/tokens", {
          token,
          headers: { "x-subject-token": token },
        })
      ).status,
    ).toBe(200);
    const rescoped = await call("POST", "/identity/v3/auth/tokens", {
      body: {
        auth: {
          identity: { methods: ["token"], token: { id: token } },
          scope: { project: { name: "alpha" } },
        },
      },
    });
    expect(rescoped.status).toBe(201);
    expect((await call("GET", "/network/v2.0/networks", { token })).status).toBe(200);
    expect(
      (
        await call("DELETE", "/identity/v3/auth/tokens", {
          token,
          headers: { "x-subject-token": token },
        })
      ).status,
    ).toBe(204);
    const after = await call("GET", "/network/v2.0/networks", { token });
    expect(after.status).toBe(401);
  });

  it("accepts netloom API tokens on the Neutron endpoint", async () => {
    const { auth } = fixture.server.services;
    const user = (await auth.listUsers()).find(
      (candidate) => candidate.email === "bob@example.org",
    );
    if (!user) throw new Error("no bob");
    const { token } = await auth.createToken(user.id, "neutron");
    const listed = await call("GET", "/network/v2.0/networks", { token });
    expect(listed.status).toBe(200);
    const viaBearer = await call("GET", "/network/v2.0/networks", {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(viaBearer.status).toBe(200);
  });
});

describe("Neutron v2.0", () => {
  it("lists exactly the supported extensions; unknown ones are 404", async () => {
    const versions = await call("GET", "/network");
    expect(versions.body.versions).toEqual([
      expect.objectContaining({ id: "v2.0", status: "CURRENT" }),
    ]);
    const list = await call("GET", "/network/v2.0/extensions", { token: tokens.alice });
    const aliases = (list.body.extensions as Json[]).map((extension) => extension.alias);
    expect(aliases).toContain("router");
    expect(aliases).toContain("security-group");
    expect(aliases).not.toContain("policys");
    expect(
      (await call("GET", "/network/v2.0/extensions/router", { token: tokens.alice })).status,
    ).toBe(200);
    const unknown = await call("GET", "/network/v2.0/extensions/tag-ports-during-bulk-creation", {
      token: tokens.alice,
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.NeutronError).toMatchObject({ type: "ExtensionNotFound" });
  });

  it("creates in bulk all or nothing", async () => {
    const ok = await call("POST", "/network/v2.0/networks", {
      token: tokens.alice,
      body: { networks: [{ name: "bulk-a" }, { name: "bulk-b", tags: ["x"], description: "b" }] },
    });
    expect(ok.status).toBe(201);
    const created = ok.body.networks as Json[];
    expect(created.map((item) => item.name)).toEqual(["bulk-a", "bulk-b"]);
    expect(created[1]).toMatchObject({ tags: ["x"], description: "b" });
    const [a, b] = created.map((item) => String(item.id));
    const refused = await call("POST", "/network/v2.0/subnets", {
      token: tokens.alice,
      body: {
        subnets: [
          { network_id: a, cidr: "10.50.0.0/24" },
          { network_id: b, cidr: "10.50.0.128/25" },
        ],
      },
    });
    expect(refused.status).toBe(400);
    expect(refused.body.NeutronError).toMatchObject({ type: "BadRequest" });
    const subnets = await call("GET", "/network/v2.0/subnets?cidr=10.50.0.0/24", {
      token: tokens.alice,
    });
    expect(subnets.body.subnets).toEqual([]);
  });

  it("filters, projects, sorts and paginates lists", async () => {
    await network(tokens.alice, "list-1", "10.61.0.0/24");
    await network(tokens.alice, "list-2", "10.62.0.0/24");
    await network(tokens.alice, "list-3", "10.63.0.0/24");
    const byName = await call("GET", "/network/v2.0/networks?name=list-2&fields=id&fields=name", {
      token: tokens.alice,
    });
    const named = byName.body.networks as Json[];
    expect(named).toHaveLength(1);
    expect(Object.keys(named[0] ?? {}).sort()).toEqual(["id", "name"]);
    const repeated = await call("GET", "/network/v2.0/networks?name=list-1&name=list-3", {
      token: tokens.alice,
    });
    expect((repeated.body.networks as Json[]).map((item) => item.name).sort()).toEqual([
      "list-1",
      "list-3",
    ]);
    const sorted = await call(
      "GET",
      "/network/v2.0/networks?name=list-1&name=list-2&name=list-3&sort_key=name&sort_dir=desc",
      { token: tokens.alice },
    );
    expect((sorted.body.networks as Json[]).map((item) => item.name)).toEqual([
      "list-3",
      "list-2",
      "list-1",
    ]);
    const page = await call(
      "GET",
      "/network/v2.0/networks?name=list-1&name=list-2&name=list-3&sort_key=name&limit=2",
      { token: tokens.alice },
    );
    const first = page.body.networks as Json[];
    expect(first.map((item) => item.name)).toEqual(["list-1", "list-2"]);
    const next = (page.body.networks_links as { rel: string; href: string }[])[0];
    expect(next?.rel).toBe("next");
    const nextUrl = new URL(String(next?.href));
    const second = await call("GET", `${nextUrl.pathname}${nextUrl.search}`, {
      token: tokens.alice,
    });
    expect((second.body.networks as Json[]).map((item) => item.name)).toEqual(["list-3"]);
    expect(second.body.networks_links).toBeUndefined();
  });

  it("answers 412 to a stale If-Match revision and applies a matching one", async () => {
    const { id } = await network(tokens.alice, "revisioned");
    const shown = await call("GET", `/network/v2.0/networks/${id}`, { token: tokens.alice });
    const revision = Number((shown.body.network as Json).revision_number);
    const stale = await call("PUT", `/network/v2.0/networks/${id}`, {
      token: tokens.alice,
      headers: { "if-match": `revision_number=${revision + 5}` },
      body: { network: { description: "never" } },
    });
    expect(stale.status).toBe(412);
    const fresh = await call("PUT", `/network/v2.0/networks/${id}`, {
      token: tokens.alice,
      headers: { "if-match": `revision_number=${revision}` },
      body: { network: { description: "now" } },
    });
    expect(fresh.status).toBe(200);
    expect(fresh.body.network).toMatchObject({ description: "now", revision_number: revision + 1 });
  });

  it("hides other projects' objects: 404 by id, absent from name lookups", async () => {
    const { id } = await network(tokens.bob, "shared-name", "10.70.0.0/24");
    await network(tokens.alice, "shared-name", "10.70.0.0/24");
    const foreign = await call("GET", `/network/v2.0/networks/${id}`, { token: tokens.alice });
    expect(foreign.status).toBe(404);
    expect(foreign.body.NeutronError).toMatchObject({ type: "NetworkNotFound" });
    const lookup = await call("GET", "/network/v2.0/networks?name=shared-name", {
      token: tokens.alice,
    });
    expect(lookup.body.networks).toHaveLength(1);
    expect(
      (await call("DELETE", `/network/v2.0/networks/${id}`, { token: tokens.alice })).status,
    ).toBe(404);
  });

  it("refuses a reader's changes with 403 but lets it read", async () => {
    const refused = await call("POST", "/network/v2.0/networks", {
      token: tokens.rita,
      body: { network: { name: "x" } },
    });
    expect(refused.status).toBe(403);
    expect(refused.body.NeutronError).toMatchObject({ type: "PolicyNotAuthorized" });
    expect((await call("GET", "/network/v2.0/networks", { token: tokens.rita })).status).toBe(200);
  });

  it("gives each project Neutron's default group and echoes rule fields exactly", async () => {
    const groups = await call("GET", "/network/v2.0/security-groups?name=default", {
      token: tokens.alice,
    });
    const group = (groups.body.security_groups as Json[])[0] as Json;
    const rules = group.security_group_rules as Json[];
    expect(
      rules.map((rule) => [
        rule.direction,
        rule.protocol,
        rule.port_range_min,
        rule.remote_ip_prefix,
        rule.remote_group_id,
      ]),
    ).toEqual([
      ["egress", null, null, null, null],
      ["ingress", null, null, null, group.id],
    ]);
    const full = await call("POST", "/network/v2.0/security-group-rules", {
      token: tokens.alice,
      body: {
        security_group_rule: {
          security_group_id: group.id,
          direction: "ingress",
          protocol: "tcp",
          port_range_min: 1,
          port_range_max: 65535,
        },
      },
    });
    expect(full.status).toBe(201);
    expect(full.body.security_group_rule).toMatchObject({
      protocol: "tcp",
      port_range_min: 1,
      port_range_max: 65535,
      remote_ip_prefix: null,
    });
    const again = await call("POST", "/network/v2.0/security-group-rules", {
      token: tokens.alice,
      body: {
        security_group_rule: {
          security_group_id: group.id,
          direction: "ingress",
          protocol: "tcp",
          port_range_min: 1,
          port_range_max: 65535,
        },
      },
    });
    expect(again.status).toBe(409);
    expect(again.body.NeutronError).toMatchObject({ type: "SecurityGroupRuleExists" });
  });

  it("deletes a group's rules with it", async () => {
    const created = await call("POST", "/network/v2.0/security-groups", {
      token: tokens.alice,
      body: { security_group: { name: "temp" } },
    });
    const groupId = String((created.body.security_group as Json).id);
    const rule = await call("POST", "/network/v2.0/security-group-rules", {
      token: tokens.alice,
      body: {
        security_group_rule: {
          security_group_id: groupId,
          direction: "ingress",
          protocol: "udp",
          port_range_min: 53,
          port_range_max: 53,
        },
      },
    });
    const ruleId = String((rule.body.security_group_rule as Json).id);
    expect(
      (await call("GET", `/network/v2.0/security-group-rules/${ruleId}`, { token: tokens.alice }))
        .status,
    ).toBe(200);
    expect(
      (await call("DELETE", `/network/v2.0/security-groups/${groupId}`, { token: tokens.alice }))
        .status,
    ).toBe(204);
    expect(
      (await call("GET", `/network/v2.0/security-group-rules/${ruleId}`, { token: tokens.alice }))
        .status,
    ).toBe(404);
  });

  it("deletes a network's subnets with it when no port uses them", async () => {
    const { id, subnet } = await network(tokens.alice, "doomed", "10.80.0.0/24");
    expect(
      (await call("DELETE", `/network/v2.0/networks/${id}`, { token: tokens.alice })).status,
    ).toBe(204);
    expect(
      (await call("GET", `/network/v2.0/subnets/${subnet}`, { token: tokens.alice })).status,
    ).toBe(404);
  });

  it("answers 409 when a subnet has no address left", async () => {
    const { id } = await network(tokens.alice, "tiny", "10.90.0.0/30");
    const first = await call("POST", "/network/v2.0/ports", {
      token: tokens.alice,
      body: { port: { network_id: id } },
    });
    expect(first.status).toBe(201);
    const second = await call("POST", "/network/v2.0/ports", {
      token: tokens.alice,
      body: { port: { network_id: id } },
    });
    expect(second.status).toBe(409);
    expect(second.body.NeutronError).toMatchObject({ type: "IpAddressGenerationFailure" });
  });

  it("is one model with netloom: canvas changes show in Neutron, Neutron changes in export and history", async () => {
    const { id } = await network(tokens.alice, "shared-model", "10.100.0.0/24");
    const admin = await fixture.server.services.auth.authenticate({
      token: "openstack-admin-token",
    });
    if (!admin) throw new Error("no admin");
    const caller = fixture.server.caller(admin);
    await caller.workloads.create({
      tenant: "alpha",
      spec: {
        name: "canvas-vm",
        interfaces: [{ network: "shared-model", ip: "10.100.0.50" }],
      } as never,
    });
    const ports = await call("GET", `/network/v2.0/ports?network_id=${id}`, {
      token: tokens.alice,
    });
    const port = (ports.body.ports as Json[])[0] as Json;
    expect(port).toMatchObject({
      name: "canvas-vm",
      fixed_ips: [expect.objectContaining({ ip_address: "10.100.0.50" })],
      device_owner: "compute:nova",
    });
    const exported = await caller.intent.export({ tenant: "alpha" });
    expect(
      exported.document.networks?.find((item) => item.name === "shared-model")?.subnets,
    ).toEqual([{ cidr: "10.100.0.0/24", gateway: "10.100.0.1" }]);
    const state = fixture.server.services.store.tenant("alpha");
    if (!state) throw new Error("no alpha");
    const history = await fixture.server.services.store.history(state, { limit: 50 });
    expect(
      history.events.some(
        (event) =>
          event.kind === "networks" &&
          event.name === "shared-model" &&
          event.actor === "alice@example.org",
      ),
    ).toBe(true);
  });
});

describe("the cloud admin's external networks (spec 1.1)", () => {
  it("become fabric external networks every project uses for gateways and floating IPs", async () => {
    const cloud = await tokenOf("cloud", "alpha");
    const { store } = fixture.server.services;
    // A tenant member may not create one.
    const refused = await call("POST", "/network/v2.0/networks", {
      token: tokens.bob,
      body: { network: { name: "nope", "router:external": true } },
    });
    expect(refused.status).toBe(403);

    const created = await call("POST", "/network/v2.0/networks", {
      token: cloud,
      body: {
        network: { name: "Public Net", "router:external": true, description: "the outside" },
      },
    });
    expect(created.status).toBe(201);
    const publicId = String((created.body.network as Json).id);
    // Pending until its first subnet: not yet in the fabric, but already one id everywhere.
    expect(store.fabricExternalNetworks().map((network) => network.name)).not.toContain(
      "public-net",
    );
    const pendingForBob = await call("GET", `/network/v2.0/networks/${publicId}`, {
      token: tokens.bob,
    });
    expect(pendingForBob.status).toBe(200);

    const subnet = await call("POST", "/network/v2.0/subnets", {
      token: cloud,
      body: { subnet: { network_id: publicId, cidr: "198.51.100.0/24", ip_version: 4 } },
    });
    expect(subnet.status).toBe(201);
    const fabric = store.fabricExternalNetworks().find((network) => network.name === "public-net");
    expect(fabric?.subnets).toEqual([{ cidr: "198.51.100.0/24", gateway: "198.51.100.1" }]);
    // The tenant's own networks are untouched: it is not an alpha network.
    expect(store.tenant("alpha")?.resources.has("networks/public-net")).toBe(false);

    // Overlapping another external subnet: 400, and the fabric is unchanged.
    const overlapping = await call("POST", "/network/v2.0/subnets", {
      token: cloud,
      body: { subnet: { network_id: publicId, cidr: "198.51.100.128/25", ip_version: 4 } },
    });
    expect(overlapping.status).toBe(400);
    expect(
      store.fabricExternalNetworks().find((network) => network.name === "public-net")?.subnets,
    ).toHaveLength(1);

    // Every project sees it by the same id, with its Neutron attributes, shared and external.
    for (const token of [tokens.alice, tokens.bob]) {
      const shown = await call("GET", `/network/v2.0/networks/${publicId}`, { token });
      expect(shown.status).toBe(200);
      expect(shown.body.network).toMatchObject({
        id: publicId,
        name: "Public Net",
        description: "the outside",
        shared: true,
        "router:external": true,
        subnets: [String((subnet.body.subnet as Json).id)],
      });
      const listed = await call("GET", "/network/v2.0/networks?router:external=true", { token });
      expect((listed.body.networks as Json[]).map((network) => network.id)).toContain(publicId);
    }
    // A tenant can neither rename nor delete it.
    const renamed = await call("PUT", `/network/v2.0/networks/${publicId}`, {
      token: tokens.bob,
      body: { network: { name: "mine" } },
    });
    expect(renamed.status).toBe(403);

    // bob (beta): a router with an interface and this gateway, and a floating IP from it.
    const inside = await network(tokens.bob, "beta-inside", "10.77.0.0/24");
    const router = await call("POST", "/network/v2.0/routers", {
      token: tokens.bob,
      body: { router: { name: "beta-router" } },
    });
    const routerId = String((router.body.router as Json).id);
    const added = await call("PUT", `/network/v2.0/routers/${routerId}/add_router_interface`, {
      token: tokens.bob,
      body: { subnet_id: inside.subnet },
    });
    expect(added.status).toBe(200);
    const gateway = await call("PUT", `/network/v2.0/routers/${routerId}`, {
      token: tokens.bob,
      body: { router: { external_gateway_info: { network_id: publicId } } },
    });
    expect(gateway.status).toBe(200);
    const gatewayInfo = (gateway.body.router as Json).external_gateway_info as Json;
    expect(gatewayInfo.network_id).toBe(publicId);
    const gatewayIps = gatewayInfo.external_fixed_ips as Json[];
    expect(String(gatewayIps[0]?.ip_address)).toMatch(/^198\.51\.100\./);

    const floating = async (token: string) => {
      const answer = await call("POST", "/network/v2.0/floatingips", {
        token,
        body: { floatingip: { floating_network_id: publicId } },
      });
      expect(answer.status).toBe(201);
      const view = answer.body.floatingip as Json;
      expect(view.floating_network_id).toBe(publicId);
      return { id: String(view.id), ip: String(view.floating_ip_address) };
    };
    const bobIp = await floating(tokens.bob);
    const aliceIp = await floating(tokens.alice);
    expect(bobIp.ip).toMatch(/^198\.51\.100\./);
    expect(aliceIp.ip).toMatch(/^198\.51\.100\./);
    // One address space: the two projects' floating IPs and bob's gateway all differ.
    expect(new Set([bobIp.ip, aliceIp.ip, gatewayIps[0]?.ip_address]).size).toBe(3);

    expect(bobIp.ip).not.toBe("198.51.100.1"); // the subnet's gateway
    // bob associates his with a port: it becomes beta's intent, from a pool on the fabric network.
    const port = await call("POST", "/network/v2.0/ports", {
      token: tokens.bob,
      body: { port: { name: "beta-vm", network_id: inside.id } },
    });
    expect(port.status).toBe(201);
    const portId = String((port.body.port as Json).id);
    const associated = await call("PUT", `/network/v2.0/floatingips/${bobIp.id}`, {
      token: tokens.bob,
      body: { floatingip: { port_id: portId } },
    });
    expect(associated.status).toBe(200);
    expect(associated.body.floatingip).toMatchObject({ port_id: portId, status: "ACTIVE" });
    const beta = store.tenant("beta");
    const betaPools = beta ? store.resources(beta, "floatingIpPools") : [];
    expect(betaPools.map((pool) => pool.spec.network)).toEqual(["public-net"]);

    // In use: the cloud admin cannot delete it (409), and it stays in the fabric.
    const inUse = await call("DELETE", `/network/v2.0/networks/${publicId}`, { token: cloud });
    expect(inUse.status).toBe(409);
    expect(store.fabricExternalNetworks().map((network) => network.name)).toContain("public-net");

    // Released by both projects, it goes from the fabric and from every project's view.
    for (const [token, ip] of [
      [tokens.bob, bobIp],
      [tokens.alice, aliceIp],
    ] as const) {
      expect((await call("DELETE", `/network/v2.0/floatingips/${ip.id}`, { token })).status).toBe(
        204,
      );
    }
    const cleared = await call("PUT", `/network/v2.0/routers/${routerId}`, {
      token: tokens.bob,
      body: { router: { external_gateway_info: {} } },
    });
    expect(cleared.status).toBe(200);
    const deleted = await call("DELETE", `/network/v2.0/networks/${publicId}`, { token: cloud });
    expect(deleted.status).toBe(204);
    expect(store.fabricExternalNetworks().map((network) => network.name)).not.toContain(
      "public-net",
    );
    const gone = await call("GET", `/network/v2.0/networks/${publicId}`, { token: tokens.bob });
    expect(gone.status).toBe(404);
  });
});
