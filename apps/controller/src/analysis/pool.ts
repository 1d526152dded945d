import { createRequire } from "node:module";
import { pathToFileURL } from "node:url";
import { Worker } from "node:worker_threads";
import { type ErrorCode, isErrorCode, NetloomError, type Problem } from "@netloom/model";
import type { AnalysisRequest, AnalysisResult } from "./jobs";
import type { WorkerCall, WorkerReply } from "./worker";

/*
 * Trace, check, matrix and plan run here, off the controller's event loop: a few worker threads,
 * each with a bounded heap (resourceLimits) and each request with a time budget. A request over
 * its time budget terminates its worker; one that runs the worker out of heap kills only that
 * worker. Either way the caller gets BUDGET_EXCEEDED, the worker is replaced, and the controller
 * (and every other tenant's request) carries on.
 */

export interface AnalysisBudget {
  /** Wall-clock budget of one request, from the moment a worker takes it. */
  timeoutMs: number;
  /** Old-generation heap of each worker, in MB (what one request may hold, plus the cache). */
  maxHeapMb: number;
  /** Worker threads (requests run in parallel up to this; the rest wait in order). */
  workers: number;
  /** Requests waiting beyond this are refused with RATE_LIMITED instead of queueing. */
  maxQueue: number;
}

export const DEFAULT_BUDGET: AnalysisBudget = {
  timeoutMs: Number(process.env.NETLOOM_ANALYSIS_TIMEOUT_MS ?? 30_000),
  maxHeapMb: Number(process.env.NETLOOM_ANALYSIS_HEAP_MB ?? 1024),
  workers: Number(process.env.NETLOOM_ANALYSIS_WORKERS ?? 2),
  maxQueue: 64,
};

interface Job {
  call: WorkerCall;
  resolve: (value: unknown) => void;
  reject: (error: NetloomError) => void;
}

/** One worker thread and the job it runs, if any. */
class Slot {
  worker: Worker | undefined;
  job: Job | undefined;
  timer: NodeJS.Timeout | undefined;
}

/**
 * The worker's entry: registers tsx (the worker is TypeScript, like the rest of the controller,
 * and loader hooks are per thread), then loads worker.ts. A data: URL, so no JavaScript file.
 */
function workerEntry(): URL {
  const require = createRequire(import.meta.url);
  // The ESM build of tsx's API (resolve answers the CommonJS one next to it).
  const tsx = pathToFileURL(require.resolve("tsx/esm/api").replace(/\.cjs$/, ".mjs")).href;
  const worker = new URL("./worker.ts", import.meta.url).href;
  const code = `import { register } from ${JSON.stringify(tsx)};\nregister();\nawait import(${JSON.stringify(worker)});\n`;
  return new URL(`data:text/javascript,${encodeURIComponent(code)}`);
}

export class AnalysisPool {
  private readonly slots: Slot[];
  private readonly queue: Job[] = [];
  private nextId = 1;
  private closed = false;

  constructor(
    private readonly budget: AnalysisBudget = DEFAULT_BUDGET,
    private readonly log: (message: string, context: Record<string, unknown>) => void = () => {},
  ) {
    this.slots = Array.from({ length: Math.max(1, budget.workers) }, () => new Slot());
  }

  run<R extends AnalysisRequest>(request: R): Promise<AnalysisResult<R>> {
    if (this.closed) {
      return Promise.reject(new NetloomError("UNAVAILABLE", "the analysis workers are stopped"));
    }
    if (this.queue.length >= this.budget.maxQueue) {
      return Promise.reject(
        new NetloomError(
          "RATE_LIMITED",
          `too many analysis requests waiting (${this.queue.length}); try again shortly`,
        ),
      );
    }
    return new Promise((resolve, reject) => {
      this.queue.push({
        call: { id: this.nextId++, request },
        resolve: resolve as (value: unknown) => void,
        reject,
      });
      this.dispatch();
    });
  }

  /** Stops every worker; pending requests fail with UNAVAILABLE. */
  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0)) {
      job.reject(new NetloomError("UNAVAILABLE", "the analysis workers are stopped"));
    }
    await Promise.all(
      this.slots.map(async (slot) => {
        const worker = slot.worker;
        slot.worker = undefined;
        this.finish(slot)?.reject(
          new NetloomError("UNAVAILABLE", "the analysis workers are stopped"),
        );
        if (worker !== undefined) await worker.terminate();
      }),
    );
  }

  private dispatch(): void {
    for (const slot of this.slots) {
      if (slot.job !== undefined) continue;
      const job = this.queue.shift();
      if (job === undefined) return;
      const worker = slot.worker ?? this.start(slot);
      slot.job = job;
      slot.timer = setTimeout(() => this.overTime(slot), this.budget.timeoutMs);
      worker.postMessage(job.call);
    }
  }

  private start(slot: Slot): Worker {
    const worker = new Worker(workerEntry(), {
      resourceLimits: { maxOldGenerationSizeMb: this.budget.maxHeapMb },
    });
    // An idle worker must not keep the process alive.
    worker.unref();
    worker.on("message", (reply: WorkerReply) => this.answer(slot, worker, reply));
    worker.on("error", (error: Error & { code?: string }) => {
      if (slot.worker !== worker) return;
      slot.worker = undefined;
      const job = this.finish(slot);
      const outOfMemory = error.code === "ERR_WORKER_OUT_OF_MEMORY";
      this.log("analysis worker failed", {
        error: error.message,
        code: error.code,
        request: job?.call.request.kind,
      });
      job?.reject(
        outOfMemory
          ? new NetloomError(
              "BUDGET_EXCEEDED",
              `the ${job.call.request.kind} needs more than the ${this.budget.maxHeapMb} MB memory budget`,
            )
          : new NetloomError("INTERNAL", `analysis worker failed: ${error.message}`),
      );
      this.dispatch();
    });
    worker.on("exit", (code) => {
      if (slot.worker !== worker) return;
      slot.worker = undefined;
      const job = this.finish(slot);
      if (job !== undefined) {
        this.log("analysis worker exited", { code, request: job.call.request.kind });
        job.reject(new NetloomError("INTERNAL", `analysis worker exited with code ${code}`));
      }
      this.dispatch();
    });
    slot.worker = worker;
    return worker;
  }

  private answer(slot: Slot, worker: Worker, reply: WorkerReply): void {
    if (slot.worker !== worker || slot.job?.call.id !== reply.id) return;
    const job = this.finish(slot);
    if (job === undefined) return;
    if (reply.ok) job.resolve(reply.result);
    else {
      const code: ErrorCode = isErrorCode(reply.code) ? reply.code : "INTERNAL";
      if (code === "INTERNAL") {
        this.log("analysis request failed", {
          request: job.call.request.kind,
          error: reply.message,
        });
      }
      job.reject(new NetloomError(code, reply.message, reply.problems as Problem[]));
    }
    this.dispatch();
  }

  private overTime(slot: Slot): void {
    const worker = slot.worker;
    const job = this.finish(slot);
    slot.worker = undefined;
    if (worker !== undefined) {
      worker.terminate().catch((error: unknown) => {
        this.log("analysis worker did not stop", { error: String(error) });
      });
    }
    if (job !== undefined) {
      this.log("analysis request over its time budget", {
        request: job.call.request.kind,
        timeoutMs: this.budget.timeoutMs,
      });
      job.reject(
        new NetloomError(
          "BUDGET_EXCEEDED",
          `the ${job.call.request.kind} took longer than its ${this.budget.timeoutMs} ms budget`,
        ),
      );
    }
    this.dispatch();
  }

  private finish(slot: Slot): Job | undefined {
    const job = slot.job;
    slot.job = undefined;
    if (slot.timer !== undefined) clearTimeout(slot.timer);
    slot.timer = undefined;
    return job;
  }
}
