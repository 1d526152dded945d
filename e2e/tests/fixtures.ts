import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { IntentFile } from "@netloom/model";
import {
  type APIRequestContext,
  test as base,
  expect,
  type Page,
  request as playwrightRequest,
} from "@playwright/test";

const here = path.dirname(fileURLToPath(import.meta.url));
export const SCREENSHOTS = path.resolve(here, "../screenshots");

function env(name: string): string {
  const value = process.env[name];
  if (!value)
    throw new Error(
      `${name} is not set: run through playwright (global-setup.ts starts the server)`,
    );
  return value;
}

/** Calls one tRPC procedure over HTTP (no transformer): queries by GET, mutations by POST. */
export async function trpc<T = unknown>(
  request: APIRequestContext,
  kind: "query" | "mutation",
  procedure: string,
  input?: unknown,
): Promise<T> {
  const response =
    kind === "query"
      ? await request.get(
          `/trpc/${procedure}${input === undefined ? "" : `?input=${encodeURIComponent(JSON.stringify(input))}`}`,
        )
      : await request.post(`/trpc/${procedure}`, input === undefined ? {} : { data: input });
  const body = (await response.json()) as { result?: { data: T }; error?: unknown };
  if (!response.ok() || !body.result) {
    throw new Error(
      `${procedure} failed (${response.status()}): ${JSON.stringify(body.error ?? body)}`,
    );
  }
  return body.result.data;
}

export interface Seeded {
  tenant: string;
  email: string;
  password: string;
}

let counter = 0;
/** A tenant name unique to this run and test. */
export function uniqueName(prefix: string): string {
  counter++;
  return `${prefix}-${Date.now().toString(36).slice(-5)}${counter}`;
}

type Fixtures = {
  /** API client acting as the cloud admin (bearer token); seeds data, never used by the UI. */
  admin: APIRequestContext;
  /** Applies a tenant document and makes a tenant admin for it. */
  seedTenant: (doc: IntentFile, role?: "tenant_admin" | "tenant_viewer") => Promise<Seeded>;
  /** Logs the page's browser context in through the API (sets the session cookie). */
  loginAs: (page: Page, email: string, password: string) => Promise<void>;
  demoUsers: { email: string; password: string; role: string }[];
};

export const test = base.extend<Fixtures>({
  // biome-ignore lint/correctness/noEmptyPattern: Playwright reads fixture dependencies from this pattern
  baseURL: async ({}, use) => {
    await use(env("NETLOOM_E2E_URL"));
  },
  // biome-ignore lint/correctness/noEmptyPattern: Playwright reads fixture dependencies from this pattern
  admin: async ({}, use) => {
    const context = await playwrightRequest.newContext({
      baseURL: env("NETLOOM_E2E_URL"),
      extraHTTPHeaders: { Authorization: `Bearer ${env("NETLOOM_E2E_ADMIN_TOKEN")}` },
    });
    await use(context);
    await context.dispose();
  },
  seedTenant: async ({ admin }, use) => {
    await use(async (doc, role = "tenant_admin") => {
      await trpc(admin, "mutation", "intent.applyFile", { document: doc });
      const email = `${doc.tenant}-user@e2e.netloom`;
      const password = `pw-${Math.random().toString(36).slice(2)}-x`;
      await trpc(admin, "mutation", "users.create", {
        email,
        displayName: `${doc.tenant} user`,
        password,
      });
      await trpc(admin, "mutation", "users.grant", { email, tenant: doc.tenant, role });
      return { tenant: doc.tenant, email, password };
    });
  },
  // biome-ignore lint/correctness/noEmptyPattern: Playwright reads fixture dependencies from this pattern
  loginAs: async ({}, use) => {
    await use(async (page, email, password) => {
      const response = await page.request.post("/trpc/auth.login", { data: { email, password } });
      expect(response.ok(), `login of ${email}`).toBeTruthy();
    });
  },
  // biome-ignore lint/correctness/noEmptyPattern: Playwright reads fixture dependencies from this pattern
  demoUsers: async ({}, use) => {
    await use(JSON.parse(env("NETLOOM_E2E_USERS")) as Fixtures["demoUsers"]);
  },
});

export { expect };

/** A small two-network tenant: web-1 on web, db-1 on db, a policy allowing tcp/5432 web→db. */
export function twoTierTenant(tenant: string, options: { policy?: boolean } = {}): IntentFile {
  const doc = {
    apiVersion: "netloom/v1",
    tenant,
    networks: [
      { name: "web", subnets: [{ cidr: "10.1.0.0/24" }] },
      { name: "db", subnets: [{ cidr: "10.2.0.0/24" }] },
    ],
    workloads: [
      { name: "web-1", interfaces: [{ network: "web" }] },
      { name: "db-1", interfaces: [{ network: "db" }] },
    ],
    policies:
      options.policy === false
        ? []
        : [
            {
              name: "web-db",
              attach: ["web", "db"],
              rules: [
                { action: "allow", protocol: "tcp", source: "web", destination: "db", ports: 5432 },
              ],
            },
          ],
  };
  return doc as unknown as IntentFile;
}

/** Saves a screenshot of a main screen for people to look at (e2e/screenshots/NAME.png). */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(SCREENSHOTS, `${name}.png`) });
}

/** Opens a tenant's workspace and waits for its canvas. */
export async function openTenant(page: Page, tenant: string): Promise<void> {
  await page.goto(`/#/t/${tenant}`);
  await expect(page.getByRole("application", { name: `topology of ${tenant}` })).toBeVisible();
}

const ROOT = path.resolve(here, "../..");

/** One memory-driver agent for `node`, as a separate process (the agent's own command). */
export function startAgent(node: string, underlay: string): ChildProcess {
  return spawn(
    process.execPath,
    [
      path.join(ROOT, "apps/agent/bin/netloom-agent.js"),
      "--controller",
      env("NETLOOM_E2E_URL"),
      "--node",
      node,
      "--driver",
      "memory",
      "--underlay",
      underlay,
      "--resync-ms",
      "2000",
    ],
    {
      cwd: ROOT,
      env: { ...process.env, NETLOOM_AGENT_TOKEN: env("NETLOOM_E2E_ADMIN_TOKEN") },
      stdio: "ignore",
    },
  );
}
