import { writeFileSync } from "node:fs";
import { parseArgs } from "node:util";
import pino from "pino";
import { controllerUrls, startAgent } from "./agent";

const USAGE = `netloom-agent --controller URL[,URL...] --node NAME --driver linux|memory [--token T]
  --controller URL     a controller; repeat it or list several with commas: the agent moves to
                       the next one when its controller dies or falls silent (env NETLOOM_SERVER)
  --token T            node token, or a cloud admin token to register the node (env NETLOOM_AGENT_TOKEN)
  --underlay IP        the node's underlay address (registration, Linux driver)
  --node-namespace NS  Linux driver: the namespace standing for the node's host (the lab)
  --resync-ms N        compare desired with actual state every N ms (default 10000)
  --state-file PATH    keep the last applied config here (reconciled at start)
  --token-file PATH    write the node token issued at registration here`;

function fail(message: string): never {
  process.stderr.write(`${message}\n${USAGE}\n`);
  process.exit(2);
}

const { values } = parseArgs({
  options: {
    controller: { type: "string", multiple: true },
    node: { type: "string" },
    driver: { type: "string", default: "linux" },
    token: { type: "string" },
    underlay: { type: "string" },
    "node-namespace": { type: "string" },
    "resync-ms": { type: "string", default: "10000" },
    "state-file": { type: "string" },
    "token-file": { type: "string" },
    help: { type: "boolean" },
  },
});

if (values.help) {
  process.stdout.write(`${USAGE}\n`);
  process.exit(0);
}
const controllers = controllerUrls(values.controller ?? process.env.NETLOOM_SERVER ?? []);
if (controllers.length === 0) fail("--controller is required");
const node = values.node ?? fail("--node is required");
const token = values.token ?? process.env.NETLOOM_AGENT_TOKEN ?? fail("--token is required");
const driver = values.driver;
if (driver !== "linux" && driver !== "memory") fail(`--driver: ${driver} is not linux or memory`);
const resyncMs = Number(values["resync-ms"]);
if (!Number.isInteger(resyncMs) || resyncMs < 100)
  fail(`--resync-ms: ${values["resync-ms"]} is not a period`);

const tokenFile = values["token-file"];
const nodeNamespace = values["node-namespace"];
const logger = pino({ name: "netloom-agent", base: { node } }, pino.destination(2));
const agent = startAgent({
  controller: controllers,
  node,
  token,
  driver,
  resyncMs,
  ...(values.underlay ? { underlay: values.underlay } : {}),
  ...(nodeNamespace ? { linux: { nodeNamespace } } : {}),
  ...(values["state-file"] ? { stateFile: values["state-file"] } : {}),
  onToken: (issued) => {
    if (tokenFile) writeFileSync(tokenFile, `${issued}\n`, { mode: 0o600 });
  },
  logger,
});

const shutdown = () => {
  agent.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      logger.error({ err: error }, "stopping failed");
      process.exit(1);
    },
  );
};
process.on("SIGINT", shutdown);
process.on("SIGTERM", shutdown);
