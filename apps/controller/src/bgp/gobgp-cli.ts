import { type ChildProcess, execFile, spawn } from "node:child_process";
import { createInterface } from "node:readline";
import { NetloomError } from "@netloom/model";
import { z } from "zod";
import { pathsOfJson, routeDistinguisher } from "./gobgp-routes";
import type { EvpnType5Route } from "./types";

/** gobgp's peer session states (apipb.PeerState.SessionState); 6 is established. */
const ESTABLISHED = 6;

const neighborSchema = z
  .object({
    conf: z.object({ neighbor_address: z.string() }).passthrough(),
    state: z.object({ session_state: z.number().optional() }).passthrough(),
    timers: z
      .object({
        state: z
          .object({ uptime: z.object({ seconds: z.number().optional() }).optional() })
          .passthrough()
          .optional(),
      })
      .passthrough()
      .optional(),
    afi_safis: z
      .array(
        z
          .object({
            state: z
              .object({
                family: z.object({ afi: z.number(), safi: z.number() }).optional(),
                received: z.number().optional(),
                accepted: z.number().optional(),
              })
              .passthrough()
              .optional(),
          })
          .passthrough(),
      )
      .default([]),
  })
  .passthrough();

/** One neighbour's session as gobgpd reports it. */
export interface NeighborState {
  address: string;
  established: boolean;
  /** When the session came up (established only). */
  upSince: Date | undefined;
  prefixesReceived: number;
  prefixesAdvertised: number;
}

/** AFI 25 / SAFI 70: l2vpn-evpn. */
const isEvpn = (family: { afi: number; safi: number } | undefined) =>
  family?.afi === 25 && family.safi === 70;

function neighborState(value: unknown): NeighborState {
  const neighbor = neighborSchema.parse(value);
  const established = neighbor.state.session_state === ESTABLISHED;
  const evpn = neighbor.afi_safis.find((entry) => isEvpn(entry.state?.family))?.state;
  const upSeconds = neighbor.timers?.state?.uptime?.seconds;
  return {
    address: neighbor.conf.neighbor_address,
    established,
    upSince: established && upSeconds ? new Date(upSeconds * 1000) : undefined,
    prefixesReceived: evpn?.received ?? 0,
    prefixesAdvertised: 0,
  };
}

/** A running `gobgp monitor`: stop it when done; it ends by itself when gobgpd goes. */
export interface MonitorHandle {
  stop(): void;
  /** Resolves when the monitor process has ended (for any reason). */
  ended: Promise<void>;
}

/**
 * gobgpd's API through the `gobgp` command, on the speaker's own socket: every speaker on a
 * machine has its own, never the shared default port 50051.
 */
export class GobgpCli {
  constructor(
    private readonly apiTarget: string,
    private readonly binary = "gobgp",
  ) {}

  private run(args: string[], timeoutMs = 10_000): Promise<string> {
    return new Promise((resolve, reject) => {
      execFile(
        this.binary,
        ["--target", this.apiTarget, ...args],
        { timeout: timeoutMs, maxBuffer: 64 * 1024 * 1024 },
        (error, stdout, stderr) => {
          if (error) {
            const detail = String(stderr).trim() || error.message;
            reject(new NetloomError("INTERNAL", `gobgp ${args.join(" ")}: ${detail}`));
          } else resolve(String(stdout));
        },
      );
    });
  }

  /** Answers whether gobgpd answers on its API yet. */
  async ready(): Promise<boolean> {
    try {
      await this.run(["global", "-j"], 3_000);
      return true;
    } catch {
      return false;
    }
  }

  /** Originates (or re-originates with new attributes) one type-5 route. */
  async addRoute(route: EvpnType5Route): Promise<void> {
    await this.run([
      ...["global", "rib", "-a", "evpn", "add", "prefix", route.prefix, "etag", "0"],
      ...["label", String(route.vni), "rd", routeDistinguisher(route), "rt", route.routeTarget],
      ...["encap", "vxlan", "router-mac", route.routerMac, "nexthop", route.nexthop],
    ]);
  }

  /** Withdraws one route this speaker originated. */
  async deleteRoute(route: EvpnType5Route): Promise<void> {
    await this.run([
      ...["global", "rib", "-a", "evpn", "del", "prefix", route.prefix, "etag", "0"],
      ...["rd", routeDistinguisher(route)],
    ]);
  }

  /**
   * Every neighbour's session with EVPN prefix counts. Received comes from the session's
   * counters; advertised is counted in the Adj-RIB-Out, since gobgp's own counter also counts
   * End-of-RIB markers and withdrawn routes.
   */
  async neighbors(addresses: readonly string[]): Promise<NeighborState[]> {
    return Promise.all(
      addresses.map(async (address) => {
        const state = neighborState(JSON.parse(await this.run(["neighbor", address, "-j"])));
        if (!state.established) return state;
        const out = await this.run(["neighbor", address, "adj-out", "-a", "evpn", "-j"]);
        const advertised = out.trim() === "" ? 0 : pathsOfJson(JSON.parse(out)).length;
        return { ...state, prefixesAdvertised: advertised };
      }),
    );
  }

  /**
   * Streams the EVPN table: first its current content, then one JSON line per change
   * (`withdrawal: true` for a withdraw). `onLine` gets each parsed line.
   */
  monitor(onLine: (value: unknown) => void, onError: (error: Error) => void): MonitorHandle {
    const child: ChildProcess = spawn(
      this.binary,
      ["--target", this.apiTarget, "monitor", "global", "rib", "-a", "evpn", "--current", "-j"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let stderr = "";
    child.stderr?.on("data", (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-2000);
    });
    if (child.stdout) {
      createInterface({ input: child.stdout }).on("line", (line) => {
        if (line.trim() === "") return;
        try {
          onLine(JSON.parse(line) as unknown);
        } catch {
          onError(
            new Error(`gobgp monitor printed a line that is not JSON: ${line.slice(0, 200)}`),
          );
        }
      });
    }
    const ended = new Promise<void>((resolve) => {
      child.on("error", (error) => {
        onError(error);
        resolve();
      });
      child.on("exit", (code, signal) => {
        if (signal !== "SIGTERM" && code !== 0) {
          onError(new Error(`gobgp monitor ended (${code ?? signal}): ${stderr.trim()}`));
        }
        resolve();
      });
    });
    return {
      stop: () => {
        if (child.exitCode === null) child.kill("SIGTERM");
      },
      ended,
    };
  }
}
