import type { AddressInfo } from "node:net";
import type { IntentFile } from "@netloom/model";
import { PROTOCOL_VERSION } from "@netloom/protocol";
import Fastify from "fastify";
import WebSocket from "ws";
import { AuthService } from "../src/auth/service";
import { type Db, openDb } from "../src/db";
import type { HubTiming } from "../src/distribution/hub";
import { type Distribution, registerDistribution } from "../src/distribution/index";
import { ControllerEvents } from "../src/events";
import { compiledAssertionChecker } from "../src/reach";
import { Store } from "../src/store/store";

/** A controller reduced to what distribution needs: store, auth, events, HTTP server. */
export interface TestController {
  url: string;
  port: number;
  db: Db;
  store: Store;
  distribution: Distribution;
  adminToken: string;
  /** Commits a whole tenant intent (creating the tenant), as `netloom apply` does. */
  applyTenant(intent: IntentFile): Promise<number>;
  close(): Promise<void>;
}

export const ADMIN_TOKEN = "nlt_test-admin-token";

export async function startTestController(options: {
  dataDir?: string;
  databaseUrl?: string;
  port?: number;
  timing?: Partial<HubTiming>;
  pollMs?: number;
}): Promise<TestController> {
  const db = await openDb(
    options.databaseUrl
      ? { databaseUrl: options.databaseUrl }
      : { dataDir: options.dataDir ?? "memory://" },
  );
  const events = new ControllerEvents();
  const store = await Store.open(db, events, compiledAssertionChecker);
  const auth = new AuthService(db);
  await auth.bootstrap(ADMIN_TOKEN);
  const app = Fastify();
  const distribution = await registerDistribution(app, {
    db,
    events,
    authenticate: (token) => auth.authenticate({ token }),
    loadCompileInput: async () => store.compileInput(),
    refresh: async () => store.reload(),
    registerNode: async (node) => {
      await store.applyFabric([node], { prune: false, mode: "create" });
    },
    databaseUrl: options.databaseUrl,
    timing: options.timing,
    pollMs: options.pollMs,
  });
  await app.listen({ host: "127.0.0.1", port: options.port ?? 0 });
  const port = (app.server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    db,
    store,
    distribution,
    adminToken: ADMIN_TOKEN,
    async applyTenant(intent) {
      const outcome = await store.change({
        tenant: intent.tenant,
        actor: "test",
        createTenant: true,
        mutate: () => intent,
      });
      return outcome.fabricGeneration;
    },
    async close() {
      await app.close();
      await store.close();
      await db.close();
    },
  };
}

/**
 * A bare agent connection for `node` (by its own token) that has said hello holding nothing;
 * the test plays the rest of the agent's part. `onMessage` sees every text it is sent.
 */
export async function helloAgent(
  ctl: TestController,
  node: string,
  onMessage?: (text: string, socket: WebSocket) => void,
): Promise<WebSocket> {
  const token = await ctl.distribution.issueNodeToken(node);
  const socket = new WebSocket(`ws://127.0.0.1:${ctl.port}/agent?node=${node}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (onMessage) socket.on("message", (data) => onMessage(data.toString(), socket));
  await new Promise<void>((resolve) => socket.once("open", () => resolve()));
  socket.send(
    JSON.stringify({
      type: "hello",
      protocol: PROTOCOL_VERSION,
      appliedGeneration: 0,
      appliedHash: null,
      acceptedGeneration: 0,
      acceptedHash: null,
    }),
  );
  return socket;
}

/** A tenant with one network and one workload per listed node. */
export function tenantIntent(
  tenant: string,
  placement: Record<string, string>,
  networks: string[] = ["web"],
): IntentFile {
  return {
    apiVersion: "netloom/v1",
    tenant,
    networks: networks.map((name, index) => ({
      name,
      subnets: [{ cidr: `10.${index + 1}.0.0/24` }],
    })),
    workloads: Object.entries(placement).map(([workload, node]) => ({
      name: workload,
      node,
      interfaces: networks.map((network) => ({ network })),
    })),
  } as IntentFile;
}

export async function until(
  what: string,
  predicate: () => boolean | Promise<boolean>,
  timeoutMs = 10_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
