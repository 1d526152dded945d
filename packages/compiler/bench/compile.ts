/*
 * Compiler benchmark: prints one JSON line. Run with `npm run bench:compile`.
 * Fixture: seed 20261126, 1,000 nodes, 100 tenants of 20 networks, 100 workloads, 50 policy
 * rules and 10 security groups each (2,000 networks, 10,000 workloads, 5,000 rules, 1,000
 * groups), plus a 1,000-workload tenant for the all-pairs matrix.
 */
import { execFileSync } from "node:child_process";
import { loadavg } from "node:os";
import {
  constants,
  type PerformanceEntry,
  PerformanceObserver,
  performance,
} from "node:perf_hooks";
import {
  allPairs,
  type CompileInput,
  compile,
  createIncrementalCompiler,
  type IncrementalCompiler,
  reachClasses,
  type TenantInput,
  trace,
} from "../src";
import {
  BENCH_SIZE,
  editTenant,
  type FixtureSize,
  fabricNodes,
  makeFixture,
  makeTenant,
  QUOTA_MAX_SIZE,
  random,
} from "./fixture";

const SEED = 20261126;
const gc = (globalThis as { gc?: (options?: { type: "minor" }) => void }).gc;

function time<T>(run: () => T): { value: T; ms: number } {
  const start = performance.now();
  const value = run();
  const ms = performance.now() - start;
  return { value, ms };
}

function percentile(values: number[], fraction: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * fraction))] ?? 0;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

function roundAll(figures: object): Record<string, number> {
  return Object.fromEntries(Object.entries(figures).map(([key, value]) => [key, round(value)]));
}

interface IncrementalFigures {
  p99: number;
  p50: number;
  cpuP99: number;
  changedNodesP50: number;
  /** Median KB allocated by one update (-1 without --expose-gc). */
  allocKb: number;
}

/** The same compiler over many more updates: what a long-running controller sees. */
interface SteadyFigures {
  /** p99 wall ms over STEADY_EDITS updates, WARM_EDITS after the timed ones. */
  p99: number;
  /** p99 wall ms of those updates no garbage collection fell inside. */
  p99WithoutGc: number;
  /** Updates per young-generation collection (scavenge), and a scavenge's median pause. */
  updatesPerYoungGc: number;
  youngGcP50Ms: number;
  /** Updates a collection of another kind (major, incremental marking, weak callbacks) fell inside. */
  updatesWithOtherGc: number;
}

/**
 * The steady state, what a busy controller sees after a few thousand edits: WARM_EDITS more
 * updates, then STEADY_EDITS timed. The 200-update window starts 20 edits after the compiler
 * was made, on a freshly collected heap, while V8 is still optimizing the update code: its
 * slowest updates are those a TurboFan compilation finishes in. On Node.js 20 the p99 over
 * windows of 1,000 fell from ~10 ms right after those to 2-3 ms some 2,000 updates later, at
 * the same rate of collections (docs/BENCHMARKS.md, "Issue 12 P1 on Node.js 24").
 */
const WARM_EDITS = 2000;
const STEADY_EDITS = 1000;

/**
 * The edits (the client's side): a seeded sequence, each made from its tenant's latest intent.
 * The timed loops take theirs up front, so that they time update() alone.
 */
class EditStream {
  private readonly rng = random(SEED + 1);
  private readonly tenants: TenantInput[];

  constructor(private readonly input: CompileInput) {
    this.tenants = [...input.tenants];
  }

  next(): TenantInput {
    const index = this.rng.int(this.tenants.length);
    const tenant = this.tenants[index];
    if (tenant === undefined) throw new Error(`no tenant at ${index}`);
    const edit = editTenant(this.rng, tenant, this.input.fabric.nodes);
    this.tenants[index] = edit.tenant;
    return edit.tenant;
  }

  take(count: number): TenantInput[] {
    return Array.from({ length: count }, () => this.next());
  }
}

/** Edits after the timed ones whose allocation is measured (the same compiler, warm). */
const ALLOCATION_EDITS = 100;

/**
 * Bytes one update allocates, median over the edits that follow the timed ones on the same
 * compiler: a young-generation collection before each update empties the young space, so none
 * falls inside the update and its heap growth is what it allocated. Not timed (the
 * collections would be in the figures).
 */
function allocationPerUpdate(compiler: IncrementalCompiler, edits: readonly TenantInput[]): number {
  if (gc === undefined) return -1;
  const bytes: number[] = [];
  for (const tenant of edits) {
    gc({ type: "minor" });
    const heap = process.memoryUsage().heapUsed;
    compiler.update({ kind: "tenant", tenant });
    bytes.push(process.memoryUsage().heapUsed - heap);
  }
  return percentile(bytes, 0.5) / 1024;
}

function incremental(
  input: CompileInput,
  changes: number,
): { compiler: IncrementalCompiler; figures: IncrementalFigures; edits: EditStream } {
  const compiler = createIncrementalCompiler(input);
  // The timed edits (20 warm-up, then `changes`), then those whose allocation is measured.
  const stream = new EditStream(input);
  const edits = stream.take(changes + 20);
  const allocationEdits = stream.take(ALLOCATION_EDITS);
  // Collect the setup's garbage (the seeding compile) before timing.
  gc?.();
  const times: number[] = [];
  const cpuTimes: number[] = [];
  const changed: number[] = [];
  edits.forEach((tenant, i) => {
    const cpu = process.cpuUsage();
    const { ms, value } = time(() => compiler.update({ kind: "tenant", tenant }));
    const used = process.cpuUsage(cpu);
    if (i >= 20) {
      // the first changes warm the JIT
      times.push(ms);
      cpuTimes.push((used.user + used.system) / 1000);
      changed.push(value.changedNodes.length);
    }
  });
  const timed = {
    p99: percentile(times, 0.99),
    p50: percentile(times, 0.5),
    cpuP99: percentile(cpuTimes, 0.99),
    changedNodesP50: percentile(changed, 0.5),
  };
  const allocKb = allocationPerUpdate(compiler, allocationEdits);
  return { compiler, figures: { ...timed, allocKb }, edits: stream };
}

/**
 * The same compiler warmed by WARM_EDITS more updates (untimed), then each of STEADY_EDITS
 * updates timed with the collections that fall inside them.
 */
async function steadyState(
  compiler: IncrementalCompiler,
  stream: EditStream,
): Promise<SteadyFigures> {
  for (let i = 0; i < WARM_EDITS; i++) compiler.update({ kind: "tenant", tenant: stream.next() });
  const edits = stream.take(STEADY_EDITS);
  const collections: PerformanceEntry[] = [];
  const observer = new PerformanceObserver((list) => {
    collections.push(...list.getEntries());
  });
  observer.observe({ entryTypes: ["gc"] });
  const windows: { start: number; ms: number }[] = [];
  for (const tenant of edits) {
    const start = performance.now();
    compiler.update({ kind: "tenant", tenant });
    windows.push({ start, ms: performance.now() - start });
  }
  // The observer reports once the loop's synchronous work is done.
  await new Promise((resolve) => setTimeout(resolve, 200));
  observer.disconnect();
  const first = windows[0]?.start ?? 0;
  const last = windows.at(-1);
  const end = last === undefined ? first : last.start + last.ms;
  const inLoop = collections.filter((entry) => entry.startTime >= first && entry.startTime < end);
  const young = inLoop.filter(
    (entry) =>
      (entry as PerformanceEntry & { detail?: { kind?: number } }).detail?.kind ===
      constants.NODE_PERFORMANCE_GC_MINOR,
  );
  const holdsAny = (window: { start: number; ms: number }, entries: readonly PerformanceEntry[]) =>
    entries.some(
      (entry) => entry.startTime >= window.start && entry.startTime < window.start + window.ms,
    );
  const withoutGc = windows.filter((window) => !holdsAny(window, inLoop));
  const others = inLoop.filter((entry) => !young.includes(entry));
  return {
    p99: percentile(
      windows.map((window) => window.ms),
      0.99,
    ),
    p99WithoutGc: percentile(
      withoutGc.map((window) => window.ms),
      0.99,
    ),
    updatesPerYoungGc: young.length === 0 ? edits.length : edits.length / young.length,
    youngGcP50Ms: percentile(
      young.map((entry) => entry.duration),
      0.5,
    ),
    updatesWithOtherGc: windows.filter((window) => holdsAny(window, others)).length,
  };
}

/**
 * The class-based matrix of a quota-max tenant (2,000 workloads, 20,000 rules) on its compiled
 * configs: wall time, CPU time, and the heap it grows by (measured without a collection in
 * between, so garbage made on the way counts too).
 */
function quotaMaxMatrix(): {
  ms: number;
  cpuMs: number;
  mb: number;
  compileMs: number;
  classes: number;
  flows: number;
} {
  const nodes = fabricNodes(QUOTA_MAX_SIZE.nodes);
  const tenant = makeTenant(random(20261128), 0, QUOTA_MAX_SIZE, nodes);
  const compiled = time(() => compile({ fabric: { nodes }, tenants: [tenant] }));
  // Warm the JIT on the same configs once, then measure a second run on a collected heap.
  reachClasses(compiled.value, tenant.intent.tenant);
  gc?.();
  const heapBefore = process.memoryUsage().heapUsed;
  const cpu = process.cpuUsage();
  const run = time(() => reachClasses(compiled.value, tenant.intent.tenant));
  const used = process.cpuUsage(cpu);
  const heapAfter = process.memoryUsage().heapUsed;
  return {
    ms: run.ms,
    cpuMs: (used.user + used.system) / 1000,
    mb: (heapAfter - heapBefore) / 1048576,
    compileMs: compiled.ms,
    classes: run.value.classes.length,
    flows: run.value.flows.length,
  };
}

/** apps/controller/bench/analysis.ts in a child process: its JSON line. */
function controllerFigures(): Record<string, number> {
  const script = new URL("../../../apps/controller/bench/analysis.ts", import.meta.url).pathname;
  const output = execFileSync(process.execPath, ["--import", "tsx", script], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = output.trim().split("\n").at(-1) ?? "{}";
  return JSON.parse(line) as Record<string, number>;
}

async function main(): Promise<void> {
  const input = makeFixture(SEED, BENCH_SIZE);
  gc?.();
  // Warm the JIT twice on the same fixture, then time five runs, each on a collected heap.
  compile(input);
  compile(input);
  gc?.();
  const fullCpu: number[] = [];
  const timedCompile = () => {
    const cpu = process.cpuUsage();
    const run = time(() => compile(input));
    const used = process.cpuUsage(cpu);
    fullCpu.push((used.user + used.system) / 1000);
    return run;
  };
  const full = timedCompile();
  const fullRuns = [full.ms];
  for (let i = 0; i < 4; i++) {
    gc?.();
    fullRuns.push(timedCompile().ms);
  }
  const configs = Object.values(full.value.nodes);
  const serializeRuns: number[] = [];
  let bytes = 0;
  for (let i = 0; i < 3; i++) {
    serializeRuns.push(
      time(() => {
        bytes = 0;
        for (const config of configs) bytes += JSON.stringify(config).length;
      }).ms,
    );
  }

  const singleRun = incremental(input, 200);
  const single = singleRun.figures;
  const steady = await steadyState(singleRun.compiler, singleRun.edits);
  gc?.();
  const doubleSize: FixtureSize = {
    ...BENCH_SIZE,
    tenants: BENCH_SIZE.tenants * 2,
    nodes: BENCH_SIZE.nodes * 2,
  };
  const doubleRun = incremental(makeFixture(SEED, doubleSize), 200);
  const double = doubleRun.figures;
  const steadyDouble = await steadyState(doubleRun.compiler, doubleRun.edits);
  gc?.();

  // Trace: median over many flows between random workloads of random tenants.
  const rng = random(SEED + 2);
  const traceTimes: number[] = [];
  for (let i = 0; i < 2000; i++) {
    const tenant = input.tenants[rng.int(input.tenants.length)];
    const workloads = tenant?.intent.workloads ?? [];
    const from = workloads[rng.int(workloads.length)]?.name ?? "";
    const to = workloads[rng.int(workloads.length)]?.name ?? "";
    const name = tenant?.intent.tenant ?? "";
    const port = rng.pick([22, 80, 443, 5432, 8080]);
    const { ms } = time(() =>
      trace(full.value, name, { tenant: name, from, to, protocol: "tcp", port }),
    );
    if (i >= 200) traceTimes.push(ms);
  }

  // All pairs over one 1,000-workload tenant on 100 nodes.
  const bigSize: FixtureSize = {
    tenants: 1,
    nodes: 100,
    networksPerTenant: 20,
    workloadsPerTenant: 1000,
    rulesPerTenant: 50,
    groupsPerTenant: 10,
    nodesPerTenant: 100,
  };
  const nodes = fabricNodes(bigSize.nodes);
  const big = compile({
    fabric: { nodes },
    tenants: [makeTenant(random(SEED + 3), 0, bigSize, nodes)],
  });
  const pairs = time(() => allPairs(big, "tenant-0"));
  const quota = quotaMaxMatrix();
  const controller = controllerFigures();

  const result = {
    full_compile_ms: round(percentile(fullRuns, 0.5)),
    serialize_ms: round(percentile(serializeRuns, 0.5)),
    incremental_p99_ms: round(single.p99),
    incremental_p99_ms_2x: round(double.p99),
    incremental_alloc_kb: Math.round(single.allocKb),
    incremental_steady_p99_ms: round(steady.p99),
    incremental_steady_p99_ms_2x: round(steadyDouble.p99),
    trace_ms: round(percentile(traceTimes, 0.5)),
    all_pairs_ms: round(pairs.ms),
    matrix_quota_max_ms: round(quota.ms),
    matrix_quota_max_mb: round(quota.mb),
    other_tenant_p99_ms_during_matrix: controller.other_tenant_p99_ms_during_matrix ?? -1,
    // maxRSS: the process's peak resident set, in KiB.
    peak_rss_mb: Math.round(process.resourceUsage().maxRSS / 1024),
  };
  console.log(JSON.stringify(result));
  console.error(
    JSON.stringify({
      serialized_mb: Math.round(bytes / 1048576),
      incremental: { "1x": roundAll(single), "2x": roundAll(double) },
      incremental_steady: {
        "1x": roundAll({ warmUp: WARM_EDITS, updates: STEADY_EDITS, ...steady }),
        "2x": roundAll({ warmUp: WARM_EDITS, updates: STEADY_EDITS, ...steadyDouble }),
      },
      load_average: loadavg().map(round),
      full_runs_ms: fullRuns.map(round),
      full_cpu_ms_median: round(percentile(fullCpu, 0.5)),
      trace_p99_ms: round(percentile(traceTimes, 0.99)),
      all_pairs_cells: pairs.value.allowed.length,
      all_pairs_flows: pairs.value.flows.length,
      matrix_quota_max: {
        compile_ms: round(quota.compileMs),
        classes: quota.classes,
        flows: quota.flows,
        cpu_ms: round(quota.cpuMs),
      },
      controller,
    }),
  );
}

await main();
