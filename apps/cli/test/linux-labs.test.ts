import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { createServer, type NetloomServer } from "@netloom/controller";
import { listNamespaces, ownerPrefix, runCommand } from "@netloom/dataplane";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type Outcome, runNetloom } from "./support";

/**
 * Issue 9 §2: two labs on one host, each with its own controller, stand side by side; each
 * passes `check --dataplane`, and `lab down` of one leaves the other whole and forwarding.
 */

async function skipReason(): Promise<string | undefined> {
  if (process.platform !== "linux") return "not Linux";
  if (process.getuid?.() !== 0) return "not root: network namespaces need CAP_SYS_ADMIN";
  const ip = await runCommand(["ip", "netns", "list"]).catch(() => undefined);
  if (ip?.code !== 0) return "`ip netns` unavailable";
  return undefined;
}
const skip = await skipReason();
if (skip) console.warn(`lab tests skipped: ${skip}`);

const TOKEN = "lab-test-token-0123456789";
// Lab names of this run only: two runs at once never share a lab.
const suffix = process.pid.toString(36);
const LABS = [`alpha${suffix}`, `beta${suffix}`] as const;

const INTENT = `apiVersion: netloom/v1
tenant: red
networks:
  - name: net
    subnets: [{ cidr: 10.77.0.0/24 }]
workloads:
  - { name: a, node: compute-1, interfaces: [{ network: net, ip: 10.77.0.10 }] }
  - name: b
    node: compute-2
    interfaces: [{ network: net, ip: 10.77.0.11, securityGroups: [guard] }]
securityGroups:
  - name: guard
    rules:
      - { direction: ingress, protocol: tcp, ports: 5000, remote: 10.77.0.10/32 }
      - { direction: egress, protocol: any, remote: 0.0.0.0/0 }
`;
const EXPECT = `expect:
  - { from: a, to: b, protocol: tcp, port: 5000, verdict: allow }
  - { from: a, to: b, protocol: tcp, port: 22, verdict: deny }
  - { from: b, to: a, protocol: tcp, port: 80, verdict: allow }
`;

describe.skipIf(skip !== undefined)("two labs on one host", () => {
  let work: string;
  const servers: NetloomServer[] = [];
  const urls: string[] = [];

  const netloom = (argv: string[], server: string): Promise<Outcome> =>
    runNetloom({ work, url: server, token: TOKEN }, argv);
  const file = (name: string, text: string) => {
    const target = path.join(work, name);
    writeFileSync(target, text);
    return target;
  };
  const check = (lab: number) =>
    netloom(
      ["check", "--tenant", "red", "-f", path.join(work, "red.expect.yaml"), "--dataplane"].concat([
        "--name",
        LABS[lab] ?? "",
        "--json",
      ]),
      urls[lab] ?? "",
    );
  // A node's driver renders nft tables in a short-lived scratch namespace (`…-x<N>`) while
  // it reconciles; it belongs to the lab but comes and goes, so counts leave it out.
  const namespacesOf = async (lab: number) =>
    (await listNamespaces(ownerPrefix(LABS[lab] ?? ""))).filter((ns) => !/-x\d+$/.test(ns)).sort();

  beforeAll(async () => {
    work = mkdtempSync(path.join(tmpdir(), "netloom-labs-"));
    file("red.yaml", INTENT);
    file("red.expect.yaml", EXPECT);
    for (const [i, lab] of LABS.entries()) {
      const server = await createServer({
        port: 0,
        host: "127.0.0.1",
        dataDir: path.join(work, `data-${i}`),
        bootstrapToken: TOKEN,
        logger: false,
      });
      servers.push(server);
      const url = await server.listen();
      urls.push(url);
      const up = await netloom(["lab", "up", "--nodes", "2", "--name", lab], url);
      expect(up, up.stderr).toMatchObject({ code: 0 });
      const applied = await netloom(["apply", "-f", path.join(work, "red.yaml")], url);
      expect(applied, applied.stderr).toMatchObject({ code: 0 });
    }
  }, 120_000);

  afterAll(async () => {
    for (const [i, lab] of LABS.entries()) {
      await netloom(["lab", "down", "--name", lab], urls[i] ?? "");
    }
    for (const server of servers) await server.close();
    rmSync(work, { recursive: true, force: true });
  }, 60_000);

  it("each lab passes check --dataplane while the other runs", async () => {
    for (const lab of [0, 1]) {
      const checked = await check(lab);
      expect(checked.stderr).toContain("dataplane:");
      expect({ lab, code: checked.code, out: JSON.parse(checked.stdout) }).toEqual({
        lab,
        code: 0,
        out: { total: 3, mismatches: [] },
      });
    }
    // Every namespace is one lab's: the same workloads exist twice, apart.
    const [alpha, beta] = [await namespacesOf(0), await namespacesOf(1)];
    expect(alpha.length).toBeGreaterThan(4);
    expect(beta.length).toBe(alpha.length);
    expect(alpha.filter((ns) => beta.includes(ns))).toEqual([]);
  }, 120_000);

  it("lab down of one removes only its own; the other stays whole and forwarding", async () => {
    const alphaBefore = await namespacesOf(0);
    const down = await netloom(["lab", "down", "--name", LABS[1]], urls[1] ?? "");
    expect(down, down.stderr).toMatchObject({ code: 0 });
    expect(await namespacesOf(1)).toEqual([]);
    expect(await namespacesOf(0)).toEqual(alphaBefore);
    const checked = await check(0);
    expect({ code: checked.code, out: JSON.parse(checked.stdout) }).toEqual({
      code: 0,
      out: { total: 3, mismatches: [] },
    });
  }, 120_000);

  it("refuses a lab name that could overlap another's namespaces", async () => {
    const refused = await netloom(["lab", "down", "--name", "a.b"], urls[0] ?? "");
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("--name");
  });
});
