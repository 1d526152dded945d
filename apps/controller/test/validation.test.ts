import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AppCaller, NetloomServer } from "../src/server";
import { adminCaller, codeOf, example, freshServer } from "./helpers";

type Doc = {
  networks: Record<string, unknown>[];
  workloads: Record<string, unknown>[];
  [key: string]: unknown;
};

const BASE: Doc = {
  apiVersion: "netloom/v1",
  tenant: "shop",
  networks: [
    { name: "web", subnets: [{ cidr: "10.1.0.0/24" }] },
    { name: "db", subnets: [{ cidr: "10.2.0.0/24" }] },
    { name: "public", external: true, subnets: [{ cidr: "203.0.113.0/24" }] },
  ],
  workloads: [
    { name: "web-1", node: "compute-1", interfaces: [{ network: "web", ip: "10.1.0.10" }] },
  ],
  floatingIpPools: [{ name: "pool", network: "public" }],
};

function variant(change: (doc: Doc) => void): Doc {
  const doc = structuredClone(BASE);
  change(doc);
  return doc;
}

/** Spec section 3, case by case: the path the problem must name. */
const CASES: { name: string; doc: Doc; path: string }[] = [
  {
    name: "malformed prefix",
    doc: variant((d) => {
      d.networks[0] = { name: "web", subnets: [{ cidr: "10.1.0.0/33" }] };
    }),
    path: "networks[0].subnets[0].cidr",
  },
  {
    name: "host bits set",
    doc: variant((d) => {
      d.networks[0] = { name: "web", subnets: [{ cidr: "10.1.0.5/24" }] };
    }),
    path: "networks[0].subnets[0].cidr",
  },
  {
    name: "overlapping subnets",
    doc: variant((d) => {
      d.networks[1] = { name: "db", subnets: [{ cidr: "10.1.0.128/25" }] };
    }),
    path: "networks[1].subnets[0].cidr",
  },
  {
    name: "fixed address outside its subnet",
    doc: variant((d) => {
      d.workloads[0] = {
        name: "web-1",
        node: "compute-1",
        interfaces: [{ network: "web", ip: "10.9.0.10" }],
      };
    }),
    path: "workloads[0].interfaces[0].ip",
  },
  {
    name: "fixed address on the gateway",
    doc: variant((d) => {
      d.workloads[0] = {
        name: "web-1",
        node: "compute-1",
        interfaces: [{ network: "web", ip: "10.1.0.1" }],
      };
    }),
    path: "workloads[0].interfaces[0].ip",
  },
  {
    name: "fixed address on broadcast",
    doc: variant((d) => {
      d.workloads[0] = {
        name: "web-1",
        node: "compute-1",
        interfaces: [{ network: "web", ip: "10.1.0.255" }],
      };
    }),
    path: "workloads[0].interfaces[0].ip",
  },
  {
    name: "address taken twice",
    doc: variant((d) => {
      d.workloads.push({
        name: "web-2",
        node: "compute-1",
        interfaces: [{ network: "web", ip: "10.1.0.10" }],
      });
    }),
    path: "workloads[1].interfaces[0].ip",
  },
  {
    name: "reference to a missing network",
    doc: variant((d) => {
      d.workloads[0] = { name: "web-1", node: "compute-1", interfaces: [{ network: "nowhere" }] };
    }),
    path: "workloads[0].interfaces[0].network",
  },
  {
    name: "reference to a missing node",
    doc: variant((d) => {
      d.workloads[0] = { name: "web-1", node: "compute-9", interfaces: [{ network: "web" }] };
    }),
    path: "workloads[0].node",
  },
  {
    name: "reference to a missing group",
    doc: variant((d) => {
      d.workloads[0] = {
        name: "web-1",
        node: "compute-1",
        interfaces: [{ network: "web", securityGroups: ["nope"] }],
      };
    }),
    path: "workloads[0].interfaces[0].securityGroups[0]",
  },
  {
    name: "duplicate name",
    doc: variant((d) => {
      d.networks.push({ name: "web", subnets: [{ cidr: "10.3.0.0/24" }] });
    }),
    path: "networks[3].name",
  },
  {
    name: "port out of range",
    doc: variant((d) => {
      d.securityGroups = [
        { name: "sg", rules: [{ direction: "ingress", protocol: "tcp", ports: 70000 }] },
      ];
    }),
    path: "securityGroups[0].rules[0].ports",
  },
  {
    name: "ports on icmp",
    doc: variant((d) => {
      d.securityGroups = [
        { name: "sg", rules: [{ direction: "ingress", protocol: "icmp", ports: 80 }] },
      ];
    }),
    path: "securityGroups[0].rules[0].ports",
  },
  {
    name: "services on a deny rule",
    doc: variant((d) => {
      d.services = [{ name: "fw1", type: "firewall", rules: [] }];
      d.policies = [
        {
          name: "p",
          attach: ["web", "db"],
          rules: [{ action: "deny", source: "web", destination: "db", services: ["fw1"] }],
        },
      ];
    }),
    path: "policies[0].rules[0].services",
  },
  {
    name: "pool on a network that is not external",
    doc: variant((d) => {
      d.floatingIpPools = [{ name: "pool", network: "web" }];
    }),
    path: "floatingIpPools[0].network",
  },
  {
    name: "unknown field",
    doc: variant((d) => {
      (d.networks[0] as Record<string, unknown>).colour = "red";
    }),
    path: "networks[0].colour",
  },
  {
    name: "bidi control in a name",
    doc: variant((d) => {
      d.networks[0] = { name: "web\u202e", subnets: [{ cidr: "10.1.0.0/24" }] };
    }),
    path: "networks[0].name",
  },
  {
    name: "control character in a name",
    doc: variant((d) => {
      d.networks[0] = { name: "we\u0007b", subnets: [{ cidr: "10.1.0.0/24" }] };
    }),
    path: "networks[0].name",
  },
];

describe("spec section 3: bad input is refused whole, by path, nothing stored", () => {
  let server: NetloomServer;
  let admin: AppCaller;
  let before: string;
  let url: string;

  beforeAll(async () => {
    server = await freshServer();
    url = await server.listen();
    admin = await adminCaller(server);
    await admin.fabric.applyFile({ document: example("fabric.yaml") });
    await admin.intent.applyFile({ document: BASE });
    before = JSON.stringify(await admin.intent.export({ tenant: "shop" }));
  });
  afterAll(async () => {
    await server.close();
  });

  for (const testCase of CASES) {
    it(testCase.name, async () => {
      const outcome = await codeOf(admin.intent.applyFile({ document: testCase.doc }));
      expect(outcome.code).toBe("INVALID");
      expect(outcome.problems.map((p) => p.path)).toContain(testCase.path);
      expect(JSON.stringify(await admin.intent.export({ tenant: "shop" }))).toBe(before);
    });
  }

  it("malformed YAML text is INVALID with its line, and nothing is stored", async () => {
    const outcome = await codeOf(
      admin.intent.applyFile({
        document: "apiVersion: netloom/v1\ntenant: shop\nnetworks: [\n  - name: x",
      }),
    );
    expect(outcome.code).toBe("INVALID");
    expect(outcome.problems[0]?.message).toMatch(/line \d+/);
    expect(JSON.stringify(await admin.intent.export({ tenant: "shop" }))).toBe(before);
  });

  it("YAML text applies like the decoded document", async () => {
    const dry = await admin.intent.applyFile({
      dryRun: true,
      document:
        "apiVersion: netloom/v1\ntenant: shop\nnetworks:\n  - { name: web, subnets: [{ cidr: 10.1.0.0/24 }] }\n",
    });
    expect(dry.changes.map((c) => `${c.action} ${c.kind}/${c.name}`)).toContain(
      "delete networks/db",
    );
  });

  it("lists every problem of a file at once", async () => {
    const doc = variant((d) => {
      d.workloads[0] = {
        name: "web-1",
        node: "compute-9",
        interfaces: [{ network: "web", securityGroups: ["nope"] }],
      };
    });
    const outcome = await codeOf(admin.intent.applyFile({ document: doc }));
    expect(outcome.problems.map((p) => p.path)).toEqual(
      expect.arrayContaining(["workloads[0].node", "workloads[0].interfaces[0].securityGroups[0]"]),
    );
  });

  it("a single-object call is validated as the whole tenant would be", async () => {
    const outcome = await codeOf(
      admin.networks.create({
        tenant: "shop",
        spec: { name: "clash", subnets: [{ cidr: "10.1.0.0/25" }] } as never,
      }),
    );
    expect(outcome.code).toBe("INVALID");
    expect(outcome.problems.map((p) => p.path)).toContain("networks[3].subnets[0].cidr");
  });

  it("a stale revision is a CONFLICT and changes nothing", async () => {
    const web = await admin.networks.get({ tenant: "shop", name: "web" });
    const spec = { ...web.spec, subnets: [{ cidr: "10.1.0.0/23" }] };
    const updated = await admin.networks.update({
      tenant: "shop",
      spec: spec as never,
      revision: web.revision,
    });
    expect(updated.revision).toBe(web.revision + 1);
    const stale = await codeOf(
      admin.networks.update({ tenant: "shop", spec: web.spec, revision: web.revision }),
    );
    expect(stale.code).toBe("CONFLICT");
    expect(stale.problems[0]?.path).toBe("revision");
    const deleteStale = await codeOf(
      admin.networks.delete({ tenant: "shop", name: "db", revision: 99 }),
    );
    expect(deleteStale.code).toBe("CONFLICT");
    await admin.networks.update({ tenant: "shop", spec: web.spec, revision: updated.revision });
    before = JSON.stringify({
      ...(await admin.intent.export({ tenant: "shop" })),
      generation: undefined,
    });
  });

  it("quota exceeded names the path", async () => {
    await admin.tenants.setQuotas({ tenant: "shop", quotas: { networks: 3 } });
    const outcome = await codeOf(
      admin.networks.create({
        tenant: "shop",
        spec: { name: "extra", subnets: [{ cidr: "10.5.0.0/24" }] } as never,
      }),
    );
    expect(outcome.code).toBe("QUOTA_EXCEEDED");
    expect(outcome.problems[0]?.path).toBe("networks[3]");
    await admin.tenants.setQuotas({ tenant: "shop", quotas: { networks: 200 } });
  });

  it("a change that breaks an assertion is refused with ASSERTION_FAILED", async () => {
    await admin.workloads.create({
      tenant: "shop",
      spec: { name: "db-1", interfaces: [{ network: "db" }] } as never,
    });
    await admin.assertions.create({
      tenant: "shop",
      spec: {
        name: "isolated",
        from: "web-1",
        to: "db-1",
        protocol: "tcp",
        port: 5432,
        verdict: "deny",
      } as never,
    });
    const outcome = await codeOf(
      admin.routers.create({
        tenant: "shop",
        spec: { name: "r1", networks: ["web", "db"] } as never,
      }),
    );
    expect(outcome.code).toBe("ASSERTION_FAILED");
    expect(outcome.problems[0]?.path).toBe("assertions[0]");
    const plan = await admin.intent.applyFile({
      dryRun: true,
      document: {
        ...(await admin.intent.export({ tenant: "shop" })).document,
        routers: [{ name: "r1", networks: ["web", "db"] }],
      },
    });
    expect(plan.brokenAssertions[0]?.path).toBe("assertions[0]");
    expect(plan.changes).toEqual([{ action: "create", kind: "routers", name: "r1" }]);
    expect(plan.plan?.nodes.length).toBeGreaterThan(0);
  });

  describe("over HTTP", () => {
    const post = (path: string, body: string, headers: Record<string, string> = {}) =>
      fetch(`${url}/trpc/${path}`, {
        method: "POST",
        headers: {
          "content-type": "application/json",
          authorization: "Bearer test-admin-token",
          ...headers,
        },
        body,
      });

    it("malformed JSON is INVALID", async () => {
      const response = await post("intent.applyFile", '{"document": {');
      expect(response.status).toBe(400);
      const body = (await response.json()) as { error: { data: { netloom: { code: string } } } };
      expect(body.error.data.netloom.code).toBe("INVALID");
    });

    it("a body over 10 MiB is TOO_LARGE", async () => {
      const big = JSON.stringify({
        document: { apiVersion: "netloom/v1", tenant: "shop", pad: "x".repeat(11 * 1024 * 1024) },
      });
      const response = await post("intent.applyFile", big);
      expect(response.status).toBe(413);
      const body = (await response.json()) as { error: { data: { netloom: { code: string } } } };
      expect(body.error.data.netloom.code).toBe("TOO_LARGE");
    });

    it("no token is UNAUTHORIZED, a bad one too", async () => {
      const input = encodeURIComponent(JSON.stringify({ tenant: "shop" }));
      const none = await fetch(`${url}/trpc/intent.export?input=${input}`);
      expect(none.status).toBe(401);
      const bad = await fetch(`${url}/trpc/intent.export?input=${input}`, {
        headers: { authorization: "Bearer nope" },
      });
      expect(bad.status).toBe(401);
    });

    it("problems travel in error.data.netloom", async () => {
      const doc = variant((d) => {
        d.networks[0] = { name: "web", subnets: [{ cidr: "10.1.0.0/33" }] };
      });
      const response = await post("intent.applyFile", JSON.stringify({ document: doc }));
      expect(response.status).toBe(400);
      const body = (await response.json()) as {
        error: { data: { netloom: { code: string; problems: { path: string }[] } } };
      };
      expect(body.error.data.netloom.problems.map((p) => p.path)).toContain(
        "networks[0].subnets[0].cidr",
      );
    });

    it("session login sets an HTTP-only cookie that authenticates", async () => {
      await admin.users.create({
        email: "ops@x.y",
        displayName: "ops",
        password: "long enough pw",
        globalRole: "cloud_viewer",
      });
      const login = await fetch(`${url}/trpc/auth.login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "ops@x.y", password: "long enough pw" }),
      });
      expect(login.status).toBe(200);
      const cookie = login.headers.get("set-cookie") ?? "";
      expect(cookie).toMatch(/HttpOnly/);
      const me = await fetch(`${url}/trpc/auth.me`, {
        headers: { cookie: cookie.split(";")[0] ?? "" },
      });
      const body = (await me.json()) as { result: { data: { email: string } } };
      expect(body.result.data.email).toBe("ops@x.y");
      const wrong = await fetch(`${url}/trpc/auth.login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ email: "ops@x.y", password: "wrong password" }),
      });
      expect(wrong.status).toBe(401);
    });

    it("serves the REST view under /api with its OpenAPI document", async () => {
      const doc = (await (await fetch(`${url}/api/openapi.json`)).json()) as {
        paths: Record<string, unknown>;
      };
      expect(Object.keys(doc.paths)).toContain("/tenants/{tenant}/networks");
      const headers = {
        authorization: "Bearer test-admin-token",
        "content-type": "application/json",
      };
      const list = await fetch(`${url}/api/tenants/shop/networks`, { headers });
      expect(list.status).toBe(200);
      const missing = await fetch(`${url}/api/tenants/nosuch/networks`, { headers });
      expect(missing.status).toBe(404);
      const bad = await fetch(`${url}/api/tenants/shop/networks`, {
        method: "POST",
        headers,
        body: JSON.stringify({ spec: { name: "bad", subnets: [{ cidr: "10.1.0.0/33" }] } }),
      });
      expect(bad.status).toBe(400);
      const body = (await bad.json()) as { data: { netloom: { problems: { path: string }[] } } };
      expect(body.data.netloom.problems[0]?.path).toMatch(/subnets\[0\]\.cidr/);
    });

    it("serves /healthz and /metrics", async () => {
      expect((await fetch(`${url}/healthz`)).status).toBe(200);
      const metrics = await (
        await fetch(`${url}/metrics`, { headers: { authorization: "Bearer test-admin-token" } })
      ).text();
      expect(metrics).toMatch(/netloom_http_requests_total/);
      expect(metrics).toMatch(/netloom_tenant_generation\{tenant="shop"\}/);
    });
  });
});
