import { execFile } from "node:child_process";
import { createServer, type NetloomServer } from "../../src/server";

/** The password every fixture user logs in with. */
export const PASSWORD = "correct horse battery";

export interface OpenStackFixture {
  server: NetloomServer;
  url: string;
  close(): Promise<void>;
}

/**
 * A controller on a free port with two projects (alpha, beta) and users: `cloud` (cloud admin),
 * `alice` (member of alpha), `rita` (reader of alpha), `bob` (member of beta). Set up through
 * the same service calls the tRPC procedures tenants.create, users.create and users.grant use.
 */
export async function startOpenStackFixture(databaseUrl = ""): Promise<OpenStackFixture> {
  const server = await createServer({
    dataDir: "memory://",
    databaseUrl,
    bootstrapToken: "openstack-admin-token",
    logger: false,
    distribution: false,
    port: 0,
  });
  const url = await server.listen();
  const { auth, store } = server.services;
  await store.applyFabric(
    [
      { name: "compute-1", underlay: "198.18.0.11" },
      { name: "compute-2", underlay: "198.18.0.12" },
    ],
    { prune: false, mode: "create" },
  );
  const alpha = await store.createTenant("alpha", "fixture");
  const beta = await store.createTenant("beta", "fixture");
  const user = async (name: string, globalRole: "none" | "cloud_admin") =>
    auth.createUser({
      email: `${name}@example.org`,
      displayName: name,
      password: PASSWORD,
      globalRole,
    });
  await user("cloud", "cloud_admin");
  await user("alice", "none");
  await user("rita", "none");
  await user("bob", "none");
  await auth.grant("alice@example.org", alpha.id, "tenant_admin");
  await auth.grant("rita@example.org", alpha.id, "tenant_viewer");
  await auth.grant("bob@example.org", beta.id, "tenant_admin");
  return { server, url, close: () => server.close() };
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
