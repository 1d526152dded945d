/*
 * Where an incremental update's time and allocation go, per edit kind: not a benchmark (the
 * figures are `npm run bench:compile`'s), a diagnosis. Run:
 *   node --expose-gc --import tsx packages/compiler/bench/profile-incremental.ts
 * Prints one JSON line: per edit kind the count, CPU p50/max and bytes allocated (heap growth
 * across one update after a full collection, so no collection falls inside it).
 */
import { performance } from "node:perf_hooks";
import { createIncrementalCompiler, type TenantInput } from "../src";
import { BENCH_SIZE, editTenant, makeFixture, random } from "./fixture";

const gc = (globalThis as { gc?: () => void }).gc;
if (gc === undefined) throw new Error("run with node --expose-gc");

const input = makeFixture(20261126, BENCH_SIZE);
const compiler = createIncrementalCompiler(input);
const rng = random(20261127);
const tenants = [...input.tenants];
const edits: { tenant: TenantInput; what: string }[] = [];
for (let i = 0; i < 420; i++) {
  const index = rng.int(tenants.length);
  const tenant = tenants[index];
  if (tenant === undefined) continue;
  const edit = editTenant(rng, tenant, input.fabric.nodes);
  tenants[index] = edit.tenant;
  edits.push(edit);
}
const byKind = new Map<string, { ms: number[]; bytes: number[] }>();
const all: number[] = [];
// PROFILE_NO_GC=1: no collection before each update (times as the bench sees them; bytes then
// meaningless when a collection falls inside an update).
const collect = process.env.PROFILE_NO_GC !== "1";
edits.forEach((edit, i) => {
  if (collect) gc();
  const heap = process.memoryUsage().heapUsed;
  const start = performance.now();
  compiler.update({ kind: "tenant", tenant: edit.tenant });
  const ms = performance.now() - start;
  const bytes = process.memoryUsage().heapUsed - heap;
  if (i < 20) return;
  const kind = edit.what
    .split(" ")
    .slice(0, 2)
    .join(" ")
    .replace(/ (net|new|wl|sg|pol)-.*$/, "");
  const entry = byKind.get(kind) ?? { ms: [], bytes: [] };
  entry.ms.push(ms);
  entry.bytes.push(bytes);
  byKind.set(kind, entry);
  all.push(bytes);
});
const median = (values: number[]) => [...values].sort((a, b) => a - b)[values.length >> 1] ?? 0;
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
const kinds = Object.fromEntries(
  [...byKind].map(([kind, { ms, bytes }]) => [
    kind,
    {
      n: ms.length,
      ms_p50: Math.round(median(ms) * 100) / 100,
      ms_max: Math.round(Math.max(...ms) * 100) / 100,
      kb_p50: Math.round(median(bytes) / 1024),
      kb_mean: Math.round(mean(bytes) / 1024),
    },
  ]),
);
console.log(
  JSON.stringify({
    alloc_kb_median: Math.round(median(all) / 1024),
    alloc_kb_mean: Math.round(mean(all) / 1024),
    kinds,
  }),
);
