import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { hashSecret } from "../src/auth/crypto";
import { BASE_LOCKOUT_MS, FREE_FAILURES, LoginLimiter } from "../src/auth/limiter";
import type { LoginAudit } from "../src/auth/service";
import { jsonDepth, MAX_JSON_DEPTH } from "../src/http/body";
import { createServer, type NetloomServer } from "../src/server";

/** Issue 9 section 3: the web's usual defences, each over real HTTP. */

const ADMIN = "defences-admin-token-0123456789";
const METRICS_TOKEN = "defences-metrics-token-0123456789";
const PASSWORD = "correct horse battery";

let server: NetloomServer;
let url: string;
const logLines: Record<string, unknown>[] = [];
const audits: LoginAudit[] = [];

function deepJson(depth: number): string {
  return `${"[".repeat(depth)}${"]".repeat(depth)}`;
}

async function trpcPost(procedure: string, input: unknown, headers: Record<string, string> = {}) {
  return fetch(`${url}/trpc/${procedure}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(input),
  });
}

/** Logs in by password; answers the session cookie (`name=value`). */
async function sessionOf(email: string): Promise<string> {
  const response = await trpcPost("auth.login", { email, password: PASSWORD });
  expect(response.status).toBe(200);
  const cookie = response.headers.get("set-cookie") ?? "";
  const pair = cookie.split(";")[0];
  if (!pair) throw new Error("no session cookie");
  return pair;
}

async function createUser(
  email: string,
  globalRole: "none" | "cloud_viewer" = "none",
  tenantRole?: "tenant_admin",
) {
  const { auth, store } = server.services;
  await auth.createUser({ email, displayName: email, password: PASSWORD, globalRole });
  const tenant = store.tenant("shop");
  if (tenantRole && tenant) await auth.grant(email, tenant.id, tenantRole);
}

beforeAll(async () => {
  process.env.NETLOOM_METRICS_TOKEN = METRICS_TOKEN;
  server = await createServer({
    port: 0,
    host: "127.0.0.1",
    dataDir: "memory://",
    databaseUrl: "",
    bootstrapToken: ADMIN,
    logger: {
      level: "info",
      stream: {
        write(line: string) {
          logLines.push(JSON.parse(line) as Record<string, unknown>);
        },
      },
    },
    distribution: false,
  });
  delete process.env.NETLOOM_METRICS_TOKEN;
  url = await server.listen();
  const audit = server.services.auth.onLoginAudit;
  server.services.auth.onLoginAudit = (event) => {
    audits.push(event);
    audit(event);
  };
  const admin = server.caller(await server.services.auth.authenticate({ token: ADMIN }));
  await admin.tenants.create({ name: "shop" });
  await admin.networks.create({
    tenant: "shop",
    spec: { name: "web", subnets: [{ cidr: "10.1.0.0/24" }] },
  });
  await createUser("shop-admin@x.y", "none", "tenant_admin");
  await createUser("viewer@x.y", "cloud_viewer");
}, 60_000);

afterAll(async () => {
  await server.close();
});

describe("/metrics", () => {
  it("shows nothing tenant-identifying without a token", async () => {
    const anonymous = await (await fetch(`${url}/metrics`)).text();
    expect(anonymous).toMatch(/netloom_http_requests_total/);
    expect(anonymous).not.toMatch(/tenant="/);
    expect(anonymous).not.toContain("shop");
  });

  it("a tenant user's token sees no tenant series either", async () => {
    const { token } = await server.services.auth.createToken(
      (await server.services.auth.listUsers()).find((u) => u.email === "shop-admin@x.y")?.id ?? "",
      "m",
    );
    const text = await (
      await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${token}` } })
    ).text();
    expect(text).not.toMatch(/tenant="/);
  });

  it("the metrics token and a cloud viewer see every tenant", async () => {
    const byToken = await (
      await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    ).text();
    expect(byToken).toMatch(/netloom_tenant_generation\{tenant="shop"\}/);
    const cookie = await sessionOf("viewer@x.y");
    const byViewer = await (await fetch(`${url}/metrics`, { headers: { cookie } })).text();
    expect(byViewer).toMatch(/netloom_tenant_generation\{tenant="shop"\}/);
  });
});

describe("login", () => {
  it("locks an account after its free failures, even for the right password, and audits", async () => {
    await createUser("locked@x.y");
    for (let attempt = 0; attempt < FREE_FAILURES.account; attempt += 1) {
      const wrong = await trpcPost("auth.login", { email: "locked@x.y", password: "wrong!" });
      expect(wrong.status).toBe(401);
    }
    const locked = await trpcPost("auth.login", { email: "locked@x.y", password: "wrong!" });
    expect(locked.status).toBe(401);
    const right = await trpcPost("auth.login", { email: "locked@x.y", password: PASSWORD });
    expect(right.status).toBe(429);
    const body = (await right.json()) as { error: { data: { netloom: { code: string } } } };
    expect(body.error.data.netloom.code).toBe("RATE_LIMITED");

    const mine = audits.filter((event) => event.email === "locked@x.y");
    expect(mine.filter((event) => event.outcome === "failure")).toHaveLength(
      FREE_FAILURES.account + 1,
    );
    expect(mine.at(-1)).toMatchObject({ outcome: "rate_limited", address: "127.0.0.1" });
    expect(logLines.some((line) => line.audit === "login" && line.outcome === "failure")).toBe(
      true,
    );
    const counted = await (
      await fetch(`${url}/metrics`, { headers: { authorization: `Bearer ${METRICS_TOKEN}` } })
    ).text();
    expect(counted).toMatch(/netloom_login_attempts_total\{outcome="rate_limited"\} [1-9]/);
  });

  it("a success is audited and clears the account", async () => {
    await createUser("fine@x.y");
    expect((await trpcPost("auth.login", { email: "fine@x.y", password: "no" })).status).toBe(401);
    await sessionOf("fine@x.y");
    expect(audits.filter((e) => e.email === "fine@x.y").map((e) => e.outcome)).toEqual([
      "failure",
      "success",
    ]);
  });

  it("an unknown email takes as long as a known one", async () => {
    const { auth } = server.services;
    await createUser("timed@x.y");
    const time = async (email: string) => {
      const started = performance.now();
      await auth.login(email, "wrong password").catch(() => undefined);
      return performance.now() - started;
    };
    const known: number[] = [];
    const unknown: number[] = [];
    for (let round = 0; round < 4; round += 1) {
      known.push(await time("timed@x.y"));
      unknown.push(await time(`nobody-${round}@x.y`));
    }
    const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0;
    // Before: 95 ms against 23 ms. Now both run one scrypt.
    expect(median(unknown)).toBeGreaterThan(median(known) * 0.6);
  });

  it("backs off per account and per address, doubling, and forgets a success", () => {
    let now = 0;
    const limiter = new LoginLimiter(() => now);
    for (let i = 0; i < FREE_FAILURES.account; i += 1) limiter.failed("a@x", "1.2.3.4");
    expect(() => limiter.check("a@x", "1.2.3.4")).not.toThrow();
    limiter.failed("a@x", "1.2.3.4");
    expect(() => limiter.check("a@x", "9.9.9.9")).toThrow(/too many failed logins/);
    now += BASE_LOCKOUT_MS + 1;
    expect(() => limiter.check("a@x", "9.9.9.9")).not.toThrow();
    limiter.failed("a@x", "1.2.3.4");
    now += BASE_LOCKOUT_MS + 1;
    expect(() => limiter.check("a@x", "9.9.9.9")).toThrow(/RATE|too many/);
    now += BASE_LOCKOUT_MS + 1;
    expect(() => limiter.check("a@x", "9.9.9.9")).not.toThrow();
    limiter.succeeded("a@x");
    expect(() => limiter.check("a@x", "9.9.9.9")).not.toThrow();

    // An address spraying many accounts is locked for every account.
    for (let i = 0; i <= FREE_FAILURES.address; i += 1) limiter.failed(`spray-${i}@x`, "6.6.6.6");
    expect(() => limiter.check("fresh@x", "6.6.6.6")).toThrow(/too many failed logins/);
    expect(() => limiter.check("fresh@x", "7.7.7.7")).not.toThrow();
  });
});

describe("cookie-authenticated mutations", () => {
  let cookie: string;
  beforeAll(async () => {
    cookie = await sessionOf("shop-admin@x.y");
  });
  let third = 10;
  const create = (name: string) => {
    third += 1;
    return JSON.stringify({
      tenant: "shop",
      spec: { name, subnets: [{ cidr: `10.2.${third}.0/24` }] },
    });
  };

  it("refuses text/plain with a foreign Origin (the CSRF form post)", async () => {
    const response = await fetch(`${url}/trpc/networks.create`, {
      method: "POST",
      headers: { cookie, "content-type": "text/plain", origin: "https://evil.example" },
      body: create("csrf1"),
    });
    expect(response.status).toBe(403);
    expect(server.services.store.tenant("shop")?.resources.has("networks/csrf1")).toBe(false);
  });

  it("refuses JSON from a foreign Origin or a cross-site fetch", async () => {
    const foreign = await fetch(`${url}/trpc/networks.create`, {
      method: "POST",
      headers: { cookie, "content-type": "application/json", origin: "https://evil.example" },
      body: create("csrf2"),
    });
    expect(foreign.status).toBe(403);
    const crossSite = await fetch(`${url}/trpc/networks.create`, {
      method: "POST",
      headers: { cookie, "content-type": "application/json", "sec-fetch-site": "cross-site" },
      body: create("csrf3"),
    });
    expect(crossSite.status).toBe(403);
  });

  it("refuses a same-origin non-JSON body with 415 UNSUPPORTED_MEDIA_TYPE", async () => {
    const response = await fetch(`${url}/trpc/networks.create`, {
      method: "POST",
      headers: { cookie, "content-type": "text/plain", "sec-fetch-site": "same-origin" },
      body: create("csrf4"),
    });
    expect(response.status).toBe(415);
    const body = (await response.json()) as { error: { data: { netloom: { code: string } } } };
    expect(body.error.data.netloom.code).toBe("UNSUPPORTED_MEDIA_TYPE");
  });

  it("accepts the portal's own JSON, and bearer clients whatever their Origin", async () => {
    const own = await fetch(`${url}/trpc/networks.create`, {
      method: "POST",
      headers: {
        cookie,
        "content-type": "application/json",
        "sec-fetch-site": "same-origin",
        origin: url,
      },
      body: create("own"),
    });
    expect(own.status).toBe(200);
    const bearer = await fetch(`${url}/trpc/networks.create`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${ADMIN}`,
        "content-type": "application/json",
        origin: "https://automation.example",
      },
      body: create("scripted"),
    });
    expect(bearer.status).toBe(200);
  });

  it("marks the cookie Secure over https (X-Forwarded-Proto) and only then", async () => {
    const body = JSON.stringify({ email: "viewer@x.y", password: PASSWORD });
    const https = await fetch(`${url}/trpc/auth.login`, {
      method: "POST",
      headers: { "content-type": "application/json", "x-forwarded-proto": "https" },
      body,
    });
    expect(https.headers.get("set-cookie")).toMatch(/; Secure/);
    const plain = await fetch(`${url}/trpc/auth.login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body,
    });
    expect(plain.headers.get("set-cookie")).not.toMatch(/Secure/);
  });
});

describe("stored secrets", () => {
  it("are SHA-256 in hex, as the tokens and sessions already stored were hashed", () => {
    expect(hashSecret("abc")).toBe(
      "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
    );
  });
});

describe("response headers", () => {
  it("every answer has a CSP without inline script, no framing, nosniff, a referrer policy, a request id", async () => {
    const response = await fetch(`${url}/healthz`);
    const csp = response.headers.get("content-security-policy") ?? "";
    expect(csp).toContain("frame-ancestors 'none'");
    const scriptSrc = csp.split(";").find((part) => part.trim().startsWith("script-src")) ?? "";
    expect(scriptSrc).toContain("'self'");
    expect(scriptSrc).not.toContain("unsafe-inline");
    expect(response.headers.get("x-content-type-options")).toBe("nosniff");
    expect(response.headers.get("referrer-policy")).toBe("no-referrer");
    expect(response.headers.get("x-request-id")).toMatch(/^[0-9a-f-]{36}$/);
  });
});

describe("bodies are bounded", () => {
  const headers = { authorization: `Bearer ${ADMIN}`, "content-type": "application/json" };

  it("counts depth outside strings only", () => {
    expect(jsonDepth('{"a":[1,{"b":"[[[["}]}')).toBe(3);
    expect(jsonDepth(deepJson(MAX_JSON_DEPTH + 10))).toBeGreaterThan(MAX_JSON_DEPTH);
  });

  it("REST /api/intent with JSON nested 5,000 deep: 400 naming the problem, controller fine", async () => {
    const response = await fetch(`${url}/api/intent`, {
      method: "POST",
      headers,
      body: `{"document":${deepJson(5000)}}`,
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as {
      error: { message: string; data: { netloom: { code: string } } };
    };
    expect(body.error.data.netloom.code).toBe("INVALID");
    expect(body.error.message).toContain(`nests deeper than ${MAX_JSON_DEPTH} levels`);
    expect((await fetch(`${url}/healthz`)).status).toBe(200);
  });

  it("tRPC bodies and query inputs nested 5,000 deep: 400", async () => {
    const post = await fetch(`${url}/trpc/intent.applyFile`, {
      method: "POST",
      headers,
      body: `{"document":${deepJson(5000)}}`,
    });
    expect(post.status).toBe(400);
    const get = await fetch(
      // A URL holds less than 5,000 levels; 200 is over the bound all the same.
      `${url}/trpc/intent.export?input=${encodeURIComponent(deepJson(200))}`,
      { headers },
    );
    expect(get.status).toBe(400);
    const batch = await fetch(`${url}/trpc/intent.applyFile,intent.applyFile?batch=1`, {
      method: "POST",
      headers,
      body: `{"0":${deepJson(5000)}}`,
    });
    expect(batch.status).toBe(400);
  });

  it("REST refuses an unsupported content type with 415 and its own code", async () => {
    const response = await fetch(`${url}/api/tenants/shop/networks`, {
      method: "POST",
      headers: { authorization: `Bearer ${ADMIN}`, "content-type": "application/xml" },
      body: "<network/>",
    });
    expect(response.status).toBe(415);
    const body = (await response.json()) as { error: { data: { netloom: { code: string } } } };
    expect(body.error.data.netloom.code).toBe("UNSUPPORTED_MEDIA_TYPE");
  });

  it("a validation error's message names the field, not a zod dump", async () => {
    const response = await fetch(`${url}/trpc/networks.create`, {
      method: "POST",
      headers,
      body: JSON.stringify({ tenant: "shop", spec: { name: 7 } }),
    });
    expect(response.status).toBe(400);
    const body = (await response.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/^spec\.name: /);
    expect(body.error.message).not.toContain('"code"');
  });
});

describe("5xx", () => {
  it("is logged with the request id the response carries", async () => {
    const store = server.services.store;
    const original = store.listTenants.bind(store);
    store.listTenants = () => {
      throw new Error("disk on fire");
    };
    let response: Response;
    try {
      response = await fetch(`${url}/trpc/tenants.list`, {
        headers: { authorization: `Bearer ${ADMIN}` },
      });
    } finally {
      store.listTenants = original;
    }
    expect(response.status).toBe(500);
    const requestId = response.headers.get("x-request-id");
    const body = (await response.json()) as {
      error: { message: string; data: { requestId?: string } };
    };
    expect(body.error.message).toBe("internal error");
    expect(body.error.data.requestId).toBe(requestId);
    const logged = logLines.find((line) => line.requestId === requestId && line.level === 50);
    expect(logged?.msg).toBe("procedure failed");
    expect(JSON.stringify(logged)).toContain("disk on fire");
  });
});

describe("revocation ends open streams at once", () => {
  /** Opens the SSE stream of `intent.changes` for shop; answers a reader and when it ended. */
  async function openStream(headers: Record<string, string>) {
    const input = encodeURIComponent(JSON.stringify({ tenant: "shop" }));
    const response = await fetch(`${url}/trpc/intent.changes?input=${input}`, { headers });
    expect(response.status).toBe(200);
    const body = response.body;
    if (!body) throw new Error("no stream");
    const reader = body.getReader();
    await reader.read(); // the first frame: the stream is open and registered
    const ended = (async () => {
      for (;;) {
        const { done } = await reader.read();
        if (done) return performance.now();
      }
    })();
    return { ended, reader };
  }

  async function settle(ended: Promise<number>, ms: number): Promise<number | "open"> {
    return Promise.race([
      ended,
      new Promise<"open">((resolve) => setTimeout(() => resolve("open"), ms)),
    ]);
  }

  it("revoking the membership ends the member's stream of that tenant", async () => {
    await createUser("streamer@x.y", "none", "tenant_admin");
    const { auth, store } = server.services;
    const user = (await auth.listUsers()).find((u) => u.email === "streamer@x.y");
    const { token } = await auth.createToken(user?.id ?? "", "s");
    const stream = await openStream({ authorization: `Bearer ${token}` });
    expect(await settle(stream.ended, 200)).toBe("open");
    const revokedAt = performance.now();
    await auth.grant("streamer@x.y", store.tenant("shop")?.id ?? "", null);
    const endedAt = await settle(stream.ended, 2000);
    expect(endedAt).not.toBe("open");
    expect(Number(endedAt) - revokedAt).toBeLessThan(1000);
  });

  it("logout ends the streams its session opened", async () => {
    await createUser("leaver@x.y", "none", "tenant_admin");
    const cookie = await sessionOf("leaver@x.y");
    const stream = await openStream({ cookie });
    expect(await settle(stream.ended, 200)).toBe("open");
    const logout = await fetch(`${url}/trpc/auth.logout`, {
      method: "POST",
      headers: { cookie, "sec-fetch-site": "same-origin" },
    });
    expect(logout.status).toBe(200);
    expect(await settle(stream.ended, 2000)).not.toBe("open");
  });

  it("deleting a token ends its streams", async () => {
    await createUser("tokened@x.y", "none", "tenant_admin");
    const { auth } = server.services;
    const user = (await auth.listUsers()).find((u) => u.email === "tokened@x.y");
    const created = await auth.createToken(user?.id ?? "", "s");
    const stream = await openStream({ authorization: `Bearer ${created.token}` });
    expect(await settle(stream.ended, 200)).toBe("open");
    await auth.revokeToken(user?.id ?? "", created.id);
    expect(await settle(stream.ended, 2000)).not.toBe("open");
    expect(auth.streams.size).toBe(0);
  });
});
