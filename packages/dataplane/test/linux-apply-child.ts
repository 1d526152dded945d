/** Applies one config through a fresh driver; the crash test kills this process mid-apply. */
import { readFileSync } from "node:fs";
import type { NodeConfig } from "@netloom/compiler";
import { createLinuxDriver } from "../src/linux";

const [configPath, nodeNamespace, underlayIp] = process.argv.slice(2);
if (!configPath || !nodeNamespace || !underlayIp) throw new Error("usage: CONFIG NODE_NS UNDERLAY");
const config = JSON.parse(readFileSync(configPath, "utf8")) as NodeConfig;
const driver = createLinuxDriver({ node: config.node, nodeNamespace, underlayIp });
process.stdout.write("start\n");
await driver.apply(config, 1);
process.stdout.write("applied\n");
