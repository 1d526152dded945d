import { type ChildProcess, spawn } from "node:child_process";
import { assertNever, type Protocol, type Verdict } from "@netloom/model";
import { runCommand } from "./exec";

/**
 * Real packets between namespaces: a listener the prober starts (and always stops) in the
 * destination namespace, and a client in the source namespace. Node itself is the listener and
 * the client, so nothing beyond iproute2 and iputils-ping has to be installed.
 */

const LISTENER = `
const net = require("node:net"), dgram = require("node:dgram");
const [proto, ...ports] = process.argv.slice(1);
let pending = ports.length;
const ready = () => { if (--pending === 0) process.stdout.write("ready\\n"); };
for (const port of ports.map(Number)) {
  // A client that exits at once resets the connection: that is no reason for the listener to die.
  if (proto === "tcp") net.createServer((s) => { s.on("error", () => {}); s.end("ok\\n"); }).listen(port, "0.0.0.0", ready);
  else { const u = dgram.createSocket("udp4"); u.on("message", (m, r) => u.send(m, r.port, r.address)); u.bind(port, "0.0.0.0", ready); }
}
setTimeout(() => process.exit(0), 120000);
`;

const CLIENT = `
const net = require("node:net"), dgram = require("node:dgram");
const [proto, host, port, timeout, source] = process.argv.slice(1);
const done = (ok) => { process.stdout.write(ok ? "allow\\n" : "deny\\n"); process.exit(0); };
setTimeout(() => done(false), Number(timeout));
if (proto === "tcp") {
  const s = net.connect({ host, port: Number(port), localAddress: source || undefined });
  s.on("connect", () => done(true)); s.on("error", () => done(false));
} else {
  const u = dgram.createSocket("udp4");
  u.on("message", () => done(true)); u.on("error", () => done(false));
  const send = () => u.send("probe", Number(port), host);
  if (source) u.bind(0, source, send); else send();
}
`;

/** A listener running in a namespace; `stop` kills it. */
export interface Listener {
  stop(): void;
}

/** Starts TCP or UDP listeners on `ports` inside `namespace`; resolves once they listen. */
export function startListener(
  namespace: string,
  protocol: "tcp" | "udp",
  ports: readonly number[],
): Promise<Listener> {
  return new Promise((resolve, reject) => {
    const child: ChildProcess = spawn(
      "ip",
      [
        "netns",
        "exec",
        namespace,
        process.execPath,
        "-e",
        LISTENER,
        protocol,
        ...ports.map(String),
      ],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    const stop = () => {
      if (child.exitCode === null) child.kill("SIGKILL");
    };
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`listener in ${namespace} did not start: ${stderr}`));
    }, 10_000);
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    child.stdout?.on("data", (chunk: Buffer) => {
      if (chunk.toString().includes("ready")) {
        clearTimeout(timer);
        resolve({ stop });
      }
    });
    child.on("exit", () => {
      clearTimeout(timer);
      reject(new Error(`listener in ${namespace} exited: ${stderr.trim()}`));
    });
  });
}

/** One attempt from `namespace` to `host`; ICMP sends one echo request. */
export async function sendProbe(
  namespace: string,
  protocol: Exclude<Protocol, "any">,
  host: string,
  port: number,
  timeoutMs: number,
  source?: string,
): Promise<Verdict> {
  switch (protocol) {
    case "icmp": {
      const seconds = String(Math.max(1, Math.ceil(timeoutMs / 1000)));
      const args = ["netns", "exec", namespace, "ping", "-n", "-q", "-c", "1", "-W", seconds];
      if (source) args.push("-I", source);
      const result = await runCommand(["ip", ...args, host]);
      return result.code === 0 ? "allow" : "deny";
    }
    case "tcp":
    case "udp": {
      const result = await runCommand([
        "ip",
        "netns",
        "exec",
        namespace,
        process.execPath,
        "-e",
        CLIENT,
        protocol,
        host,
        String(port),
        String(timeoutMs),
        source ?? "",
      ]);
      return result.stdout.includes("allow") ? "allow" : "deny";
    }
    default:
      return assertNever(protocol, "protocol");
  }
}

/** What {@link probe} sends and where it listens. */
export interface ProbeSpec {
  sourceNamespace: string;
  /** Address the packet leaves from (for an outside host or a multi-homed workload). */
  sourceIp?: string;
  /** Where to listen, and on which port (several for a load balancer's members). */
  listeners: { namespace: string; port: number }[];
  host: string;
  protocol: Protocol;
  port?: number;
  timeoutMs?: number;
}

/**
 * Sends one real flow and returns whether it got through. Retries once: the first packet after
 * a change can be lost while a neighbour resolves. `any` is probed as ICMP.
 */
export async function probe(spec: ProbeSpec): Promise<Verdict> {
  const protocol = spec.protocol === "any" ? "icmp" : spec.protocol;
  const port = spec.port ?? 80;
  const timeoutMs = spec.timeoutMs ?? 1000;
  const listeners: Listener[] = [];
  try {
    if (protocol === "tcp" || protocol === "udp") {
      for (const listener of spec.listeners) {
        listeners.push(await startListener(listener.namespace, protocol, [listener.port]));
      }
    }
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const verdict = await sendProbe(
        spec.sourceNamespace,
        protocol,
        spec.host,
        port,
        timeoutMs,
        spec.sourceIp,
      );
      if (verdict === "allow") return verdict;
    }
    return "deny";
  } finally {
    for (const listener of listeners) listener.stop();
  }
}
