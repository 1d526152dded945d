/*
 * Where an incremental update's time and allocation go: a diagnosis next to `npm run
 * bench:compile` (whose figures stand), not a benchmark. Run (npx: the project's pinned Node.js):
 *   npx node --expose-gc --import tsx packages/compiler/bench/profile-incremental.ts
 * Three passes over the bench's own 220 edits of the 1x fixture (20 warm-up, 200 counted):
 * 1. as the bench times them (one collection before the loop, none between): each update's wall
 *    time and the garbage collections that fell inside it, the slowest updates listed;
 * 2. the same, on a second fresh compiler: the same edits on the same data, with the code the
 *    first pass warmed (what the JIT adds to the first pass's tail is the difference);
 * 3. on a fresh compiler, a young-generation collection before each update (it empties the young
 *    space, so none falls inside the update): the heap growth across it is what the update
 *    allocated, per edit kind (medians: a major collection's concurrent sweep can end inside one).
 * Prints one JSON line.
 */
import { type PerformanceEntry, PerformanceObserver, performance } from "node:perf_hooks";
import { type CompileInput, createIncrementalCompiler, type TenantInput } from "../src";
import { BENCH_SIZE, editTenant, makeFixture, random } from "./fixture";

const SEED = 20261126;
const WARM_UP = 20;
const COUNTED = 200;
const gc = (globalThis as { gc?: (options?: { type: "minor" }) => void }).gc;
if (gc === undefined) throw new Error("run with node --expose-gc");
const collect: (options?: { type: "minor" }) => void = gc;

interface Edit {
  tenant: TenantInput;
  kind: string;
}

/** The bench's edit sequence (same seed, same count), each with its kind ("remove network"). */
function editsOf(input: CompileInput): Edit[] {
  const rng = random(SEED + 1);
  const tenants = [...input.tenants];
  const edits: Edit[] = [];
  for (let i = 0; i < WARM_UP + COUNTED; i++) {
    const index = rng.int(tenants.length);
    const tenant = tenants[index];
    if (tenant === undefined) continue;
    const edit = editTenant(rng, tenant, input.fabric.nodes);
    tenants[index] = edit.tenant;
    const kind = edit.what.split(" ").slice(0, 2).join(" ").replace(/ of$/, "");
    edits.push({ tenant: edit.tenant, kind: kind === "" ? "none" : kind });
  }
  return edits;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}

function percentile(values: readonly number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0;
}

/** Pass 1: wall time per update as the bench sees it, and the collections inside each. */
async function timedPass(input: CompileInput, edits: readonly Edit[]) {
  const compiler = createIncrementalCompiler(input);
  const collections: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => {
    collections.push(...list.getEntries());
  });
  observer.observe({ entryTypes: ["gc"] });
  collect();
  const windows: { kind: string; start: number; ms: number; cpuMs: number }[] = [];
  edits.forEach((edit, i) => {
    const cpu = process.cpuUsage();
    const start = performance.now();
    compiler.update({ kind: "tenant", tenant: edit.tenant });
    const ms = performance.now() - start;
    const used = process.cpuUsage(cpu);
    const cpuMs = (used.user + used.system) / 1000;
    if (i >= WARM_UP) windows.push({ kind: edit.kind, start, ms, cpuMs });
  });
  // The observer reports once the loop's synchronous work is done.
  await new Promise((resolve) => setTimeout(resolve, 200));
  observer.disconnect();
  const counted = windows.map((window) => {
    const inside = collections.filter(
      (entry) => entry.startTime >= window.start && entry.startTime < window.start + window.ms,
    );
    return {
      kind: window.kind,
      ms: round(window.ms),
      cpu_ms: round(window.cpuMs),
      gc_ms: round(inside.reduce((sum, entry) => sum + entry.duration, 0)),
    };
  });
  const times = counted.map((update) => update.ms);
  const withoutGc = counted.filter((update) => update.gc_ms === 0).map((update) => update.ms);
  const cpuByKind = new Map<string, number[]>();
  for (const update of counted) {
    const list = cpuByKind.get(update.kind) ?? [];
    list.push(update.cpu_ms);
    cpuByKind.set(update.kind, list);
  }
  return {
    p50_ms: round(percentile(times, 0.5)),
    p99_ms: round(percentile(times, 0.99)),
    cpu_p99_ms: round(
      percentile(
        counted.map((update) => update.cpu_ms),
        0.99,
      ),
    ),
    cpu_ms_p50_by_kind: Object.fromEntries(
      [...cpuByKind]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([kind, list]) => [kind, round(percentile(list, 0.5))]),
    ),
    updates_with_gc: counted.filter((update) => update.gc_ms > 0).length,
    p99_ms_of_updates_without_gc: round(percentile(withoutGc, 0.99)),
    slowest: [...counted].sort((a, b) => b.ms - a.ms).slice(0, 5),
  };
}

/** Pass 2: bytes allocated per update (heap growth after a young collection), by edit kind. */
function allocationPass(input: CompileInput, edits: readonly Edit[]) {
  const compiler = createIncrementalCompiler(input);
  const byKind = new Map<string, number[]>();
  const all: number[] = [];
  edits.forEach((edit, i) => {
    collect({ type: "minor" });
    const heap = process.memoryUsage().heapUsed;
    compiler.update({ kind: "tenant", tenant: edit.tenant });
    const bytes = process.memoryUsage().heapUsed - heap;
    if (i < WARM_UP) return;
    all.push(bytes);
    const list = byKind.get(edit.kind) ?? [];
    list.push(bytes);
    byKind.set(edit.kind, list);
  });
  const kb = (bytes: number) => Math.round(bytes / 1024);
  return {
    alloc_kb_p50: kb(percentile(all, 0.5)),
    by_kind: Object.fromEntries(
      [...byKind]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([kind, bytes]) => [kind, { n: bytes.length, kb_p50: kb(percentile(bytes, 0.5)) }]),
    ),
  };
}

const input = makeFixture(SEED, BENCH_SIZE);
const edits = editsOf(input);
const timed = await timedPass(input, edits);
collect();
const warmCode = await timedPass(input, edits);
collect();
const allocation = allocationPass(input, edits);
console.log(
  JSON.stringify({
    node: process.version,
    ...timed,
    warm_code: {
      p50_ms: warmCode.p50_ms,
      p99_ms: warmCode.p99_ms,
      p99_ms_of_updates_without_gc: warmCode.p99_ms_of_updates_without_gc,
      updates_with_gc: warmCode.updates_with_gc,
    },
    ...allocation,
  }),
);
