/**
 * A controller in a process of its own, for tests that kill it (`kill -9`). Reads
 * NETLOOM_TEST_CONTROLLER_DB (PostgreSQL URL) and NETLOOM_TEST_HEARTBEAT_MS; prints one JSON line
 * `{"port": N}` on stdout once it serves agents.
 */
import { startTestController } from "./distribution-harness";

const databaseUrl = process.env.NETLOOM_TEST_CONTROLLER_DB;
if (!databaseUrl) throw new Error("NETLOOM_TEST_CONTROLLER_DB is required");
const heartbeatMs = Number(process.env.NETLOOM_TEST_HEARTBEAT_MS ?? 5000);
const controller = await startTestController({
  databaseUrl,
  timing: { heartbeatMs, staleAfterMs: 3 * heartbeatMs, flushMs: 20 },
  pollMs: 200,
});
process.stdout.write(`${JSON.stringify({ port: controller.port })}\n`);
