/**
 * One more controller for `bench:fabric`'s three-controller figure: createServer on the given
 * PostgreSQL (argv[2]), in a process of its own; prints `{"url": ...}` once listening.
 */
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
process.on("SIGTERM", () => {
  server.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
});
