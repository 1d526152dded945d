/**
 * One more controller for `bench:fabric`'s three-controller figure and for `npm run soak`:
 * createServer on the given PostgreSQL (argv[2]), in a process of its own; prints
 * `{"url": ...}` once listening. Over IPC it answers `{cmd:"heap"}` with the heap in use after
 * a full collection (started with --expose-gc), so that growth is what is retained, not
 * garbage not yet collected; `{cmd:"snapshot", path}` writes a heap snapshot there.
 */
import { writeHeapSnapshot } from "node:v8";
import { assertNever } from "@netloom/model";
import { createServer } from "../src/server";

const databaseUrl = process.argv[2];
if (!databaseUrl) throw new Error("usage: controller-child.ts DATABASE_URL");
const server = await createServer({
  databaseUrl,
  port: 0,
  host: "127.0.0.1",
  logger: false,
  bootstrapToken: "nlt_bench-admin",
});
const url = await server.listen();
process.stdout.write(`${JSON.stringify({ url })}\n`);

type ChildCommand = { cmd: "heap"; id: number } | { cmd: "snapshot"; id: number; path: string };

process.on("message", (message: ChildCommand) => {
  switch (message.cmd) {
    case "heap": {
      const collect = (globalThis as { gc?: () => void }).gc;
      collect?.();
      process.send?.({
        id: message.id,
        heapUsed: process.memoryUsage().heapUsed,
        collected: collect !== undefined,
      });
      break;
    }
    case "snapshot":
      process.send?.({ id: message.id, path: writeHeapSnapshot(message.path) });
      break;
    default:
      assertNever(message, "controller child command");
  }
});
process.on("SIGTERM", () => {
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
