/**
 * Ack-only stub agents for the fan-out figures of `bench:fabric` (issue 8 §7): each stub
 * connects to `/agent` like an agent, says hello, parses every config message and acks it, and
 * does nothing else, so the figures measure the controllers' fan-out rather than two cores
 * parsing configs into drivers. Stubs live in several child processes (`--stubs`); the parent
 * asks them over IPC.
 */
import { type ChildProcess, fork } from "node:child_process";
import { fileURLToPath } from "node:url";
import WebSocket from "ws";

export type StubCommand =
  | { cmd: "connect"; nodes: { node: string; token: string; url: string }[] }
  | { cmd: "bare"; url: string; from: number; count: number }
  | { cmd: "await"; id: number; desired: Record<string, string> }
  | { cmd: "disconnect" }
  | { cmd: "stop" };

type StubReply =
  | { ready: "child" | "connect" | "bare" | "disconnect" }
  | { awaited: number; lastAckAt: number; missing: number };

/** Wall-clock milliseconds with sub-millisecond resolution, comparable across processes. */
export function wallNow(): number {
  return performance.timeOrigin + performance.now();
}

// ------------------------------------------------------------------------------ child side

async function runStubs(): Promise<void> {
  const lastAck = new Map<string, { hash: string; generation: number; at: number }>();
  const sockets: WebSocket[] = [];
  /** The stubs' controller connections (not the bare clients'). */
  const agentSockets: WebSocket[] = [];
  let waiting:
    | {
        id: number;
        desired: Record<string, string>;
        check: (node: string, hash: string, at: number) => void;
      }
    | undefined;

  const connectOne = (node: string, token: string, url: string): Promise<void> =>
    new Promise((resolve) => {
      const socket = new WebSocket(`${url.replace(/^http/, "ws")}/agent?node=${node}`, {
        headers: { authorization: `Bearer ${token}` },
        perMessageDeflate: false,
      });
      sockets.push(socket);
      agentSockets.push(socket);
      socket.on("message", (data) => {
        const message = JSON.parse(data.toString()) as {
          type: string;
          generation?: number;
          hash?: string;
        };
        if (message.type === "welcome") {
          socket.send(
            '{"type":"hello","protocol":1,"appliedGeneration":0,"appliedHash":null,"acceptedGeneration":0,"acceptedHash":null}',
          );
          // Heartbeats as an agent sends them (random phase), or the controller drops the stub
          // as silent after two stale periods.
          const period = (message as { heartbeatMs?: number }).heartbeatMs ?? 5000;
          const beat = () => {
            if (socket.readyState !== WebSocket.OPEN) return;
            const held = lastAck.get(node);
            socket.send(
              `{"type":"heartbeat","appliedGeneration":${held ? held.generation : 0},"appliedHash":${held ? JSON.stringify(held.hash) : "null"},"counters":{}}`,
            );
          };
          setTimeout(() => {
            beat();
            setInterval(beat, period).unref();
          }, Math.random() * period).unref();
          resolve();
          return;
        }
        if ((message.type === "snapshot" || message.type === "delta") && message.hash) {
          socket.send(
            `{"type":"ack","generation":${message.generation},"hash":${JSON.stringify(message.hash)}}`,
          );
          const at = wallNow();
          lastAck.set(node, { hash: message.hash, generation: message.generation ?? 0, at });
          waiting?.check(node, message.hash, at);
        }
      });
      socket.on("error", (error) => {
        process.stderr.write(`stub ${node}: ${error.message}\n`);
      });
    });

  const reply = (message: StubReply) => process.send?.(message);

  process.on("message", async (message: StubCommand) => {
    switch (message.cmd) {
      case "connect": {
        // A few hundred at a time: a burst of 10,000 upgrades at once only measures the backlog.
        for (let start = 0; start < message.nodes.length; start += 200) {
          await Promise.all(
            message.nodes
              .slice(start, start + 200)
              .map(({ node, token, url }) => connectOne(node, token, url)),
          );
        }
        reply({ ready: "connect" });
        break;
      }
      case "bare": {
        const openOne = (index: number) =>
          new Promise<void>((resolve) => {
            const socket = new WebSocket(`${message.url}/?client=${index}`, {
              perMessageDeflate: false,
            });
            socket.on("message", (data) => {
              const parsed = JSON.parse(data.toString()) as { generation: number; hash: string };
              socket.send(
                `{"type":"ack","generation":${parsed.generation},"hash":"${parsed.hash}"}`,
              );
            });
            socket.on("error", (error) => {
              process.stderr.write(`bare client ${index}: ${error.message}\n`);
            });
            socket.once("open", () => resolve());
            sockets.push(socket);
          });
        // In batches, as the stubs connect: a burst of 10,000 opens only measures the backlog.
        const end = message.from + message.count;
        for (let start = message.from; start < end; start += 200) {
          const batch: Promise<void>[] = [];
          for (let index = start; index < Math.min(end, start + 200); index++) {
            batch.push(openOne(index));
          }
          await Promise.all(batch);
        }
        reply({ ready: "bare" });
        break;
      }
      case "await": {
        const missing = new Set<string>();
        let last = 0;
        for (const [node, hash] of Object.entries(message.desired)) {
          const ack = lastAck.get(node);
          if (ack?.hash === hash) last = Math.max(last, ack.at);
          else missing.add(node);
        }
        const finish = () => {
          waiting = undefined;
          clearTimeout(timer);
          reply({ awaited: message.id, lastAckAt: last, missing: missing.size });
        };
        const timer = setTimeout(finish, 120_000);
        if (missing.size === 0) {
          finish();
          break;
        }
        // Per ack, only that node is looked at: the stubs must not slow down as they wait.
        waiting = {
          id: message.id,
          desired: message.desired,
          check: (node, hash, at) => {
            if (!missing.has(node) || message.desired[node] !== hash) return;
            missing.delete(node);
            last = Math.max(last, at);
            if (missing.size === 0) finish();
          },
        };
        break;
      }
      case "disconnect": {
        const closed = agentSockets.map(
          (socket) => new Promise<void>((resolve) => socket.once("close", () => resolve())),
        );
        for (const socket of agentSockets) socket.terminate();
        await Promise.all(closed);
        reply({ ready: "disconnect" });
        break;
      }
      case "stop":
        for (const socket of sockets) socket.terminate();
        process.exit(0);
    }
  });
  reply({ ready: "child" });
}

// ------------------------------------------------------------------------------ parent side

/** A set of stub processes, each holding a slice of the nodes. */
export interface StubFleet {
  /** Connects every node to its controller URL; resolves once each got a welcome. */
  connect(nodes: { node: string; token: string; url: string }[]): Promise<void>;
  /** Resolves with the wall time of the last ack of its desired hash, over every node. */
  lastAck(desired: Map<string, string>): Promise<number>;
  /** Opens `count` bare clients to `url`, spread over the processes, indices in order. */
  bare(url: string, count: number): Promise<void>;
  /** Closes every stub's controller connection (the processes stay, for `bare`). */
  disconnect(): Promise<void>;
  stop(): Promise<void>;
}

export function startStubFleet(processes: number): StubFleet {
  const here = fileURLToPath(import.meta.url);
  const children: { child: ChildProcess; nodes: Set<string> }[] = [];
  const waiters = new Map<string, (reply: StubReply) => void>();
  const ready: Promise<void>[] = [];
  for (let index = 0; index < processes; index++) {
    const child = fork(here, ["--stubs"], {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const entry = { child, nodes: new Set<string>() };
    children.push(entry);
    ready.push(
      new Promise((resolve) => {
        waiters.set(`${index}:child`, () => resolve());
      }),
    );
    child.on("message", (reply: StubReply) => {
      const key = "ready" in reply ? `${index}:${reply.ready}` : `${index}:await:${reply.awaited}`;
      const waiter = waiters.get(key);
      waiters.delete(key);
      waiter?.(reply);
    });
  }
  const ask = async (index: number, command: StubCommand, key: string): Promise<StubReply> => {
    await Promise.all(ready);
    const entry = children[index];
    if (!entry) throw new Error(`no stub process ${index}`);
    const answer = new Promise<StubReply>((resolve) => waiters.set(`${index}:${key}`, resolve));
    entry.child.send(command);
    return answer;
  };
  let awaitId = 0;
  return {
    async connect(nodes) {
      await Promise.all(
        children.map((entry, index) => {
          const slice = nodes.filter((_, n) => n % children.length === index);
          for (const { node } of slice) entry.nodes.add(node);
          return ask(index, { cmd: "connect", nodes: slice }, "connect");
        }),
      );
    },
    async lastAck(desired) {
      awaitId += 1;
      const id = awaitId;
      const replies = await Promise.all(
        children.map((entry, index) => {
          const mine: Record<string, string> = {};
          for (const node of entry.nodes) {
            const hash = desired.get(node);
            if (hash !== undefined) mine[node] = hash;
          }
          return ask(index, { cmd: "await", id, desired: mine }, `await:${id}`);
        }),
      );
      let last = 0;
      for (const reply of replies) {
        if (!("awaited" in reply)) continue;
        if (reply.missing > 0) throw new Error(`${reply.missing} stub nodes never acked`);
        last = Math.max(last, reply.lastAckAt);
      }
      return last;
    },
    async bare(url, count) {
      const per = Math.ceil(count / children.length);
      await Promise.all(
        children.map((_, index) =>
          ask(
            index,
            {
              cmd: "bare",
              url,
              from: index * per,
              count: Math.max(0, Math.min(per, count - index * per)),
            },
            "bare",
          ),
        ),
      );
    },
    async disconnect() {
      await Promise.all(
        children.map((_, index) => ask(index, { cmd: "disconnect" }, "disconnect")),
      );
    },
    async stop() {
      await Promise.all(
        children.map(
          ({ child }) =>
            new Promise<void>((resolve) => {
              child.once("exit", () => resolve());
              child.send({ cmd: "stop" } satisfies StubCommand);
            }),
        ),
      );
    },
  };
}

if (process.argv.includes("--stubs")) await runStubs();
