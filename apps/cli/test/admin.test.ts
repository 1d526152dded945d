import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer as createHttpServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { NetloomServer } from "@netloom/controller";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { carriesIdempotencyKey, createClient, IDEMPOTENCY_HEADER } from "../src/client";
import { resolveServer } from "../src/connection";
import { type Outcome, runNetloom, startCliController } from "./support";

const TOKEN = "cli-admin-test-token-0123456789";

let server: NetloomServer;
let url: string;
let work: string;

function netloom(argv: string[], env: Record<string, string | undefined> = {}): Promise<Outcome> {
  return runNetloom({ work, url, token: TOKEN }, argv, env);
}

/** Runs a command and parses its `--json` output, failing loudly on a non-zero exit. */
async function netloomJson<T>(argv: string[], env: Record<string, string | undefined> = {}) {
  const outcome = await netloom([...argv, "--json"], env);
  if (outcome.code !== 0) throw new Error(`netloom ${argv.join(" ")}: ${outcome.stderr}`);
  return JSON.parse(outcome.stdout) as T;
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), "netloom-cli-admin-"));
  ({ server, url } = await startCliController({ work, token: TOKEN }));
  const fabric = path.join(work, "fabric.yaml");
  writeFileSync(
    fabric,
    "apiVersion: netloom/v1\nkind: Fabric\nnodes:\n  - { name: compute-1, underlay: 198.18.0.11 }\n",
  );
  expect(await netloom(["apply", "-f", fabric])).toMatchObject({ code: 0 });
});

afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

describe("netloom tenant create|list|delete", () => {
  it("creates a tenant, lists it with counts and its last change, deletes it", async () => {
    const created = await netloomJson<{ name: string; generation: number }>([
      "tenant",
      "create",
      "acme",
    ]);
    expect(created).toMatchObject({ name: "acme", generation: 0 });

    const listed = await netloomJson<
      {
        name: string;
        objects: number;
        counts: Record<string, number>;
        lastChange: { actor: string; action: string; kind: string } | null;
      }[]
    >(["tenant", "list"]);
    const acme = listed.find((tenant) => tenant.name === "acme");
    expect(acme).toMatchObject({ objects: 0, counts: { networks: 0, workloads: 0 } });
    expect(acme?.lastChange).toMatchObject({ action: "create", kind: "tenant" });

    const human = await netloom(["tenant", "list"]);
    expect(human.code).toBe(0);
    expect(human.stdout.split("\n")[0]).toMatch(/^TENANT\s+GENERATION\s+OBJECTS\s+LAST CHANGE$/);
    expect(human.stdout).toMatch(/^acme\s+0\s+0\s+\S+/m);

    const again = await netloom(["tenant", "create", "acme"]);
    expect(again).toMatchObject({ code: 2, stderr: "tenant: tenant acme exists\n" });

    expect(await netloom(["tenant", "delete", "acme"])).toMatchObject({
      code: 0,
      stdout: "tenant acme deleted\n",
    });
    const after = await netloomJson<{ name: string }[]>(["tenant", "list"]);
    expect(after.map((tenant) => tenant.name)).not.toContain("acme");
    expect((await netloom(["tenant", "delete", "acme"])).code).toBe(2);
  });

  it("counts objects once a file is applied", async () => {
    await netloomJson(["tenant", "create", "counted"]);
    const file = path.join(work, "counted.yaml");
    writeFileSync(
      file,
      "apiVersion: netloom/v1\ntenant: counted\nnetworks:\n  - name: a\n    subnets: [{ cidr: 10.5.0.0/24 }]\n  - name: b\n    subnets: [{ cidr: 10.6.0.0/24 }]\nworkloads:\n  - name: w1\n    interfaces: [{ network: a }]\n",
    );
    expect(await netloom(["apply", "-f", file])).toMatchObject({ code: 0, stderr: "" });
    const listed = await netloomJson<
      {
        name: string;
        generation: number;
        objects: number;
        counts: Record<string, number>;
        lastChange: { kind: string; generation: number } | null;
      }[]
    >(["tenant", "list"]);
    const counted = listed.find((tenant) => tenant.name === "counted");
    expect(counted).toMatchObject({ objects: 3, counts: { networks: 2, workloads: 1 } });
    expect(counted?.generation).toBeGreaterThan(0);
    expect(counted?.lastChange?.generation).toBe(counted?.generation);
  });

  it("usage errors name what is missing", async () => {
    expect(await netloom(["tenant", "create"])).toMatchObject({
      code: 2,
      stderr: "tenant create needs a NAME\n",
    });
    expect((await netloom(["tenant", "frob"])).code).toBe(2);
  });
});

describe("netloom user create|list|grant|revoke", () => {
  it("invites a user with a generated password who then logs in and sees granted tenants only", async () => {
    await netloomJson(["tenant", "create", "team-a"]);
    await netloomJson(["tenant", "create", "team-b"]);
    const created = await netloomJson<{ email: string; password: string; globalRole: string }>([
      "user",
      "create",
      "ann@example.com",
      "--name",
      "Ann",
    ]);
    expect(created).toMatchObject({ email: "ann@example.com", globalRole: "none" });
    expect(created.password.length).toBeGreaterThanOrEqual(20);

    const annHome = path.join(work, "ann");
    mkdirSync(annHome);
    const asAnn = { HOME: annHome, NETLOOM_TOKEN: undefined };
    const login = await netloom(
      ["login", "--email", "ann@example.com", "--password", created.password],
      asAnn,
    );
    expect(login.stderr).toBe("");
    expect(login).toMatchObject({ code: 0, stdout: `logged in to ${url} as ann@example.com\n` });
    expect(await netloomJson<unknown[]>(["tenant", "list"], asAnn)).toEqual([]);

    const granted = await netloom([
      "user",
      "grant",
      "ann@example.com",
      "--tenant",
      "team-a",
      "--role",
      "tenant_viewer",
    ]);
    expect(granted).toMatchObject({
      code: 0,
      stdout: "ann@example.com is tenant_viewer of tenant team-a\n",
    });
    const visible = await netloomJson<{ name: string }[]>(["tenant", "list"], asAnn);
    expect(visible.map((tenant) => tenant.name)).toEqual(["team-a"]);

    const users = await netloomJson<{ email: string; memberships: unknown[] }[]>(["user", "list"]);
    expect(users.find((user) => user.email === "ann@example.com")?.memberships).toEqual([
      { tenant: "team-a", role: "tenant_viewer" },
    ]);
    const table = await netloom(["user", "list"]);
    expect(table.stdout).toMatch(/^ann@example\.com\s+Ann\s+none\s+team-a:tenant_viewer$/m);

    // A viewer cannot govern: FORBIDDEN, exit 2, nothing changed.
    const denied = await netloom(["tenant", "create", "annexed"], asAnn);
    expect(denied).toMatchObject({ code: 2, stderr: "needs the cloud admin role\n" });

    expect((await netloom(["user", "revoke", "ann@example.com", "--tenant", "team-a"])).code).toBe(
      0,
    );
    expect(await netloomJson<unknown[]>(["tenant", "list"], asAnn)).toEqual([]);
  });

  it("grants and revokes the cloud-wide role", async () => {
    await netloomJson(["user", "create", "bob@example.com", "--password", "a long password"]);
    const viewer = await netloomJson<{ globalRole: string }>([
      "user",
      "grant",
      "bob@example.com",
      "--role",
      "cloud_viewer",
    ]);
    expect(viewer.globalRole).toBe("cloud_viewer");
    const revoked = await netloomJson<{ globalRole: string }>([
      "user",
      "revoke",
      "bob@example.com",
    ]);
    expect(revoked.globalRole).toBe("none");
  });

  it("refuses wrong roles and unknown users with the field named", async () => {
    expect(
      await netloom(["user", "grant", "bob@example.com", "--tenant", "team-a", "--role", "root"]),
    ).toMatchObject({
      code: 2,
      stderr: "--role: root is not a tenant role (tenant_admin, tenant_viewer)\n",
    });
    expect(
      await netloom(["user", "grant", "nobody@example.com", "--role", "cloud_viewer"]),
    ).toMatchObject({ code: 2, stderr: "email: user nobody@example.com not found\n" });
    const duplicate = await netloom(["user", "create", "bob@example.com"]);
    expect(duplicate).toMatchObject({ code: 2, stderr: "email: bob@example.com is taken\n" });
  });
});

describe("netloom quota get|set", () => {
  it("sets quotas, shows them with usage, and refuses an unknown quota", async () => {
    await netloomJson(["tenant", "create", "quoted"]);
    const set = await netloomJson<{ quotas: Record<string, number> }>([
      "quota",
      "set",
      "--tenant",
      "quoted",
      "networks=3",
      "workloads=7",
    ]);
    expect(set.quotas).toMatchObject({ networks: 3, workloads: 7 });
    const got = await netloomJson<{
      used: Record<string, number>;
      quotas: Record<string, number>;
    }>(["quota", "get", "--tenant", "quoted"]);
    expect(got.quotas).toMatchObject({ networks: 3, workloads: 7 });
    expect(got.used.networks).toBe(0);
    const table = await netloom(["quota", "get", "--tenant", "quoted"]);
    expect(table.stdout).toMatch(/^networks\s+0\s+3$/m);

    const unknown = await netloom(["quota", "set", "--tenant", "quoted", "gpus=4"]);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("gpus");
    const malformed = await netloom(["quota", "set", "--tenant", "quoted", "networks=lots"]);
    expect(malformed).toMatchObject({
      code: 2,
      stderr: "networks=lots: expected KEY=VALUE with a whole number (e.g. networks=50)\n",
    });
    const unchanged = await netloomJson<{ quotas: Record<string, number> }>([
      "quota",
      "get",
      "--tenant",
      "quoted",
    ]);
    expect(unchanged.quotas.networks).toBe(3);
  });
});

describe("the newcomer's first minutes (issue 10 section 7)", () => {
  it("defaults the server from NETLOOM_PORT", () => {
    expect(resolveServer({ NETLOOM_PORT: "7171" }, undefined)).toBe("http://localhost:7171");
    expect(resolveServer({}, undefined)).toBe("http://localhost:7070");
    expect(resolveServer({ NETLOOM_PORT: "7171", NETLOOM_SERVER: "http://x:1/" }, undefined)).toBe(
      "http://x:1",
    );
  });

  it("the controller on NETLOOM_PORT answers without --server", async () => {
    const port = new URL(url).port;
    const status = await netloom(["tenant", "list", "--json"], {
      NETLOOM_SERVER: undefined,
      NETLOOM_PORT: port,
    });
    expect(status.code).toBe(0);
  });

  it("an unreachable controller is named by URL and cause", async () => {
    const closed = createHttpServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const outcome = await netloom(["tenant", "list"], {
      NETLOOM_SERVER: undefined,
      NETLOOM_PORT: String(port),
    });
    expect(outcome.code).toBe(2);
    expect(outcome.stderr.split("\n")[0]).toMatch(
      new RegExp(
        `^cannot reach the controller at http://localhost:${port}: fetch failed \\(.*ECONNREFUSED.*\\)$`,
      ),
    );
  });

  it("`netloom logins` prints the quick start's login list again, or says where it looked", async () => {
    const data = path.join(work, "qs");
    mkdirSync(data);
    const missing = await netloom(["logins"], { NETLOOM_DATA: data });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(path.join(data, "logins.txt"));
    const list = "logins for http://127.0.0.1:7070:\n  cloud_admin   a@b  password: x\n";
    writeFileSync(path.join(data, "logins.txt"), list);
    expect(await netloom(["logins"], { NETLOOM_DATA: data })).toMatchObject({
      code: 0,
      stdout: list,
    });
  });
});

describe("Idempotency-Key on creates and applies", () => {
  it("marks only creating and applying mutations", () => {
    expect(carriesIdempotencyKey({ type: "mutation", path: "tenants.create" })).toBe(true);
    expect(carriesIdempotencyKey({ type: "mutation", path: "intent.applyFile" })).toBe(true);
    expect(carriesIdempotencyKey({ type: "mutation", path: "users.grant" })).toBe(false);
    expect(carriesIdempotencyKey({ type: "query", path: "tenants.list" })).toBe(false);
  });

  it("one key per invocation, reused when the connection breaks and the call is retried", async () => {
    const seen: IncomingHttpHeaders[] = [];
    const fake = createHttpServer((request, response) => {
      seen.push(request.headers);
      request.resume();
      // The first attempt loses its answer: the socket closes before any response.
      if (seen.length === 1) {
        request.socket.destroy();
        return;
      }
      response.setHeader("content-type", "application/json");
      response.end(JSON.stringify({ result: { data: { id: "t1", name: "x", generation: 0 } } }));
    });
    await new Promise<void>((resolve) => fake.listen(0, "127.0.0.1", resolve));
    const { port } = fake.address() as AddressInfo;
    try {
      const connection = { server: `http://127.0.0.1:${port}`, token: "t" };
      const first = createClient(connection, { retryDelayMs: () => 10 });
      const answer = await first.tenants.create.mutate({ name: "x" });
      expect(answer).toMatchObject({ name: "x" });
      expect(seen).toHaveLength(2);
      const key = seen[0]?.[IDEMPOTENCY_HEADER.toLowerCase()];
      expect(typeof key).toBe("string");
      expect(seen[1]?.[IDEMPOTENCY_HEADER.toLowerCase()]).toBe(key);

      const second = createClient(connection, { retryDelayMs: () => 10 });
      await second.tenants.create.mutate({ name: "x" });
      expect(seen[2]?.[IDEMPOTENCY_HEADER.toLowerCase()]).not.toBe(key);
    } finally {
      await new Promise((resolve) => fake.close(resolve));
    }
  });
});
