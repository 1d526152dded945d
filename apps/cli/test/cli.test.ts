import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { NetloomServer } from "@netloom/controller";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SHARED_EXAMPLES } from "../../../test-support/shared";
import { type Outcome, runNetloom, startCliController } from "./support";

const examples = SHARED_EXAMPLES;
const TOKEN = "cli-test-token-0123456789";

let server: NetloomServer;
let url: string;
let work: string;

function netloom(argv: string[], env: Record<string, string | undefined> = {}): Promise<Outcome> {
  return runNetloom({ work, url, token: TOKEN }, argv, env);
}

function writeWork(name: string, text: string): string {
  const file = path.join(work, name);
  writeFileSync(file, text);
  return file;
}

beforeAll(async () => {
  work = mkdtempSync(path.join(tmpdir(), "netloom-cli-"));
  ({ server, url } = await startCliController({ work, token: TOKEN }));
  const fabric = await netloom(["apply", "-f", path.join(examples, "fabric.yaml")]);
  expect(fabric).toMatchObject({ code: 0 });
});

afterAll(async () => {
  await server.close();
  rmSync(work, { recursive: true, force: true });
});

describe("netloom apply, export, check, trace (spec section 4)", () => {
  it("applies the three-tier example and every verdict agrees", async () => {
    const applied = await netloom(["apply", "-f", path.join(examples, "three-tier.yaml")]);
    expect(applied.code).toBe(0);
    expect(applied.stdout).toContain("+ networks/web");

    const checked = await netloom([
      "check",
      "--tenant",
      "shop",
      "-f",
      path.join(examples, "three-tier.expect.yaml"),
      "--json",
    ]);
    expect(checked.code).toBe(0);
    expect(JSON.parse(checked.stdout)).toEqual({ total: 10, mismatches: [] });
  });

  it("exports a file that applies back to the identical export", async () => {
    const first = await netloom(["export", "--tenant", "shop"]);
    expect(first.code).toBe(0);
    const again = await netloom(["apply", "-f", writeWork("exported.yaml", first.stdout)]);
    expect(again.code).toBe(0);
    const second = await netloom(["export", "--tenant", "shop"]);
    expect(second.stdout).toBe(first.stdout);
    expect(second.stdout).toContain("tenant: shop");
  });

  it("refuses a bad file with one `path: problem` line each, exit 2, and changes nothing", async () => {
    const before = (await netloom(["export", "--tenant", "shop"])).stdout;
    const bad = writeWork(
      "bad.yaml",
      "apiVersion: netloom/v1\ntenant: shop\nnetworks:\n  - name: web\n    subnets: [{ cidr: 10.1.0.0/33 }]\n  - name: db\n    subnets: [{ cidr: 10.2.0.5/24 }]\n",
    );
    const refused = await netloom(["apply", "-f", bad]);
    expect(refused.code).toBe(2);
    expect(refused.stderr.trim().split("\n")).toEqual([
      "networks[0].subnets[0].cidr: 10.1.0.0/33 is not an IPv4 prefix",
      "networks[1].subnets[0].cidr: 10.2.0.5/24 has host bits set (did you mean 10.2.0.0/24?)",
    ]);
    expect((await netloom(["export", "--tenant", "shop"])).stdout).toBe(before);
  });

  it("refuses malformed YAML with its line, and a file over 10 MiB", async () => {
    const malformed = await netloom([
      "apply",
      "-f",
      writeWork("broken.yaml", "tenant: [unclosed\n"),
    ]);
    expect(malformed.code).toBe(2);
    expect(malformed.stderr).toMatch(/line \d+/);
    const huge = writeWork("huge.yaml", `# ${"x".repeat(10 * 1024 * 1024 + 16)}\n`);
    const tooLarge = await netloom(["apply", "-f", huge]);
    expect(tooLarge.code).toBe(2);
    expect(tooLarge.stderr).toContain("10 MiB");
  });

  it("dry run prints the plan per node and stores nothing", async () => {
    const exported = (await netloom(["export", "--tenant", "shop"])).stdout;
    const changed = exported.replace("ip: 10.10.1.11", "ip: 10.10.1.12");
    expect(changed).not.toBe(exported);
    const dry = await netloom(["apply", "-f", writeWork("dry.yaml", changed), "--dry-run"]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain("~ workloads/web-2");
    expect(dry.stdout).toMatch(/compute-\d \(changed\)/);
    expect((await netloom(["export", "--tenant", "shop"])).stdout).toBe(exported);
  });

  it("check exits 1 and names each mismatch", async () => {
    const expectFile = writeWork(
      "wrong.expect.yaml",
      "expect:\n  - { from: web-1, to: db-1, protocol: tcp, port: 5432, verdict: allow }\n  - { from: web-1, to: web-2, protocol: tcp, port: 22, verdict: allow }\n",
    );
    const result = await netloom(["check", "--tenant", "shop", "-f", expectFile, "--json"]);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({
      total: 2,
      mismatches: [
        { from: "web-1", to: "db-1", protocol: "tcp", port: 5432, expected: "allow", got: "deny" },
      ],
    });
  });

  it("trace prints verdict, reason and hops with the deciding rule", async () => {
    const allowed = await netloom([
      "trace",
      "--tenant",
      "shop",
      "--from",
      "app-1",
      "--to",
      "db-1",
      "--protocol",
      "tcp",
      "--port",
      "5432",
      "--json",
    ]);
    expect(allowed.code).toBe(0);
    const trace = JSON.parse(allowed.stdout) as {
      verdict: string;
      reason: string;
      hops: { rule?: string }[];
    };
    expect(trace.verdict).toBe("allow");
    expect(trace.hops.map((hop) => hop.rule).filter(Boolean)).toContain("policy:app-db/0");

    const denied = await netloom([
      "trace",
      "--tenant",
      "shop",
      "--from",
      "10.10.1.10",
      "--to",
      "db-1",
      "--protocol",
      "tcp",
      "--port",
      "5432",
    ]);
    expect(denied.code).toBe(0);
    expect(denied.stdout.split("\n")[0]).toMatch(/^deny: /);
  });

  it("status lists the fabric's nodes", async () => {
    const status = await netloom(["status", "--json"]);
    expect(status.code).toBe(0);
    const parsed = JSON.parse(status.stdout) as { nodes: { name: string }[] };
    expect(parsed.nodes.map((node) => node.name).sort()).toEqual(["compute-1", "compute-2"]);
  });
});

describe("netloom command errors", () => {
  it("exit 2 for bad usage, naming the option", async () => {
    expect(await netloom(["export"])).toMatchObject({ code: 2, stderr: "--tenant is required\n" });
    expect((await netloom(["frobnicate"])).code).toBe(2);
    const badPort = await netloom([
      "trace",
      "--tenant",
      "shop",
      "--from",
      "a",
      "--to",
      "b",
      "--protocol",
      "tcp",
      "--port",
      "70000",
    ]);
    expect(badPort).toMatchObject({ code: 2, stderr: "--port: 70000 is not a port (1-65535)\n" });
  });

  it("exit 2 when the token is wrong or the server is unreachable", async () => {
    const wrongToken = await netloom(["export", "--tenant", "shop"], { NETLOOM_TOKEN: "nope" });
    expect(wrongToken.code).toBe(2);
    expect(wrongToken.stdout).toBe("");
    const unreachable = await netloom(["status"], { NETLOOM_SERVER: "http://127.0.0.1:9" });
    expect(unreachable.code).toBe(2);
    expect(unreachable.stderr).toContain("cannot reach the controller");
  });

  it("a saved login is used when NETLOOM_TOKEN is unset", async () => {
    const login = await netloom(["login", "--token", TOKEN]);
    expect(login.code).toBe(0);
    const saved = JSON.parse(
      readFileSync(path.join(work, ".config/netloom/credentials.json"), "utf8"),
    ) as Record<string, string>;
    expect(saved[url.replace(/\/$/, "")]).toBe(TOKEN);
    const status = await netloom(["status", "--json"], { NETLOOM_TOKEN: undefined });
    expect(status.code).toBe(0);
  });
});
