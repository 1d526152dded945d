import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { createServer, type NetloomServer } from "../../src/server";

/** The cloud admin's API token (bootstrap). */
export const ADMIN_TOKEN = "openstack-admin-token";

/** The password every fixture user logs in with. */
export const PASSWORD = "correct horse battery";

export interface OpenStackFixture {
  server: NetloomServer;
  url: string;
  close(): Promise<void>;
}

/**
 * A controller on a free port with two projects (alpha, beta) and users: `cloud` (cloud admin),
 * `alice` (member of alpha), `rita` (reader of alpha), `bob` (member of beta), set up by the
 * `netloom` command (`tenant create`, `user create`, `user grant`) or by the service calls
 * behind it (faster, for the API tests).
 */
export async function startOpenStackFixture(
  options: { databaseUrl?: string; setupWith?: "services" | "netloom" } = {},
): Promise<OpenStackFixture> {
  const databaseUrl = options.databaseUrl ?? "";
  const server = await createServer({
    dataDir: "memory://",
    databaseUrl,
    bootstrapToken: ADMIN_TOKEN,
    logger: false,
    distribution: false,
    port: 0,
  });
  const url = await server.listen();
  const { store } = server.services;
  await store.applyFabric(
    [
      { name: "compute-1", underlay: "198.18.0.11" },
      { name: "compute-2", underlay: "198.18.0.12" },
    ],
    { prune: false, mode: "create" },
  );
  if (options.setupWith === "netloom") await setUpWithNetloomCommand(url);
  else await setUpWithServices(server);
  return { server, url, close: () => server.close() };
}

const USERS: {
  name: string;
  globalRole: "none" | "cloud_admin";
  tenant?: string;
  role?: string;
}[] = [
  { name: "cloud", globalRole: "cloud_admin" },
  { name: "alice", globalRole: "none", tenant: "alpha", role: "tenant_admin" },
  { name: "rita", globalRole: "none", tenant: "alpha", role: "tenant_viewer" },
  { name: "bob", globalRole: "none", tenant: "beta", role: "tenant_admin" },
];

async function setUpWithServices(server: NetloomServer): Promise<void> {
  const { auth, store } = server.services;
  const tenants = new Map<string, string>();
  for (const name of ["alpha", "beta"])
    tenants.set(name, (await store.createTenant(name, "fixture")).id);
  for (const user of USERS) {
    const email = `${user.name}@example.org`;
    await auth.createUser({
      email,
      displayName: user.name,
      password: PASSWORD,
      globalRole: user.globalRole,
    });
    const tenantId = user.tenant ? tenants.get(user.tenant) : undefined;
    if (tenantId && (user.role === "tenant_admin" || user.role === "tenant_viewer")) {
      await auth.grant(email, tenantId, user.role);
    }
  }
}

/** The cloud admin's setup as a new operator types it: `netloom tenant create`, `user create|grant`. */
async function setUpWithNetloomCommand(url: string): Promise<void> {
  const bin = fileURLToPath(new URL("../../../cli/bin/netloom.js", import.meta.url));
  const netloom = (args: string[]) =>
    new Promise<void>((resolve, reject) => {
      execFile(
        process.execPath,
        [bin, ...args, "--server", url],
        { env: { ...process.env, NETLOOM_TOKEN: ADMIN_TOKEN }, timeout: 120_000 },
        (error, _stdout, stderr) =>
          error ? reject(new Error(`netloom ${args.join(" ")}: ${stderr}`)) : resolve(),
      );
    });
  for (const name of ["alpha", "beta"]) await netloom(["tenant", "create", name]);
  for (const user of USERS) {
    const email = `${user.name}@example.org`;
    await netloom([
      "user",
      "create",
      email,
      "--password",
      PASSWORD,
      "--name",
      user.name,
      "--role",
      user.globalRole,
    ]);
    if (user.tenant && user.role)
      await netloom(["user", "grant", email, "--tenant", user.tenant, "--role", user.role]);
  }
}

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the real `openstack` command as `user` scoped to `project`. */
export function openstack(
  url: string,
  user: string,
  project: string,
  args: string[],
  password = PASSWORD,
): Promise<CliResult> {
  const env = {
    PATH: process.env.PATH ?? "/usr/bin:/bin",
    HOME: process.env.HOME ?? "/tmp",
    OS_AUTH_URL: `${url}/identity/v3`,
    OS_USERNAME: user,
    OS_PASSWORD: password,
    OS_PROJECT_NAME: project,
    OS_USER_DOMAIN_NAME: "Default",
    OS_PROJECT_DOMAIN_NAME: "Default",
    OS_IDENTITY_API_VERSION: "3",
    OS_INTERFACE: "public",
  };
  return new Promise((resolve) => {
    execFile("openstack", args, { env, timeout: 60_000 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === "number" ? error.code : 1) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}
