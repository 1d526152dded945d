import { parentPort } from "node:worker_threads";
import { NetloomError } from "@netloom/model";
import { type AnalysisRequest, CompiledCache, runAnalysis } from "./jobs";

/*
 * An analysis worker thread: answers requests one at a time. Its heap is bounded by the pool
 * (resourceLimits); a request over the time budget gets the worker terminated by the pool.
 */

export interface WorkerCall {
  id: number;
  request: AnalysisRequest;
}

export type WorkerReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; code: string; message: string; problems: unknown[] };

const cache = new CompiledCache();
const port = parentPort;
if (port === null) throw new Error("analysis worker: not started as a worker thread");

port.on("message", (call: WorkerCall) => {
  let reply: WorkerReply;
  try {
    reply = { id: call.id, ok: true, result: runAnalysis(call.request, cache) };
  } catch (error) {
    reply =
      error instanceof NetloomError
        ? {
            id: call.id,
            ok: false,
            code: error.code,
            message: error.message,
            problems: [...error.problems],
          }
        : {
            id: call.id,
            ok: false,
            code: "INTERNAL",
            message: error instanceof Error ? (error.stack ?? error.message) : String(error),
            problems: [],
          };
  }
  port.postMessage(reply);
});
