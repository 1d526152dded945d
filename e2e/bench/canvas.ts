/**
 * Canvas benchmark: `npm run bench:canvas`. Prints one JSON line:
 * {"first_render_ms_10k","pan_p95_ms_10k","drag_p95_ms_10k","pan_p95_ms_small","pan_ratio_10k",
 *  "layout_ms_2k","layout_longest_task_ms"}.
 * Targets (issue 10): pan_p95_ms_10k <= 1.5 x pan_p95_ms_small, first_render_ms_10k <= 2,000,
 * layout_ms_2k <= 1,000 with no main-thread task over 50 ms (layout_longest_task_ms).
 *
 * - The large tenant is 10,000 nodes (2,000 networks, 8,000 workloads) and 15,000 edges (8,000
 *   interfaces, 7,000 policies); BENCH_NODES / BENCH_EDGES change it.
 * - layout_ms_2k: the canvas's auto-layout (layered.ts in a Web Worker) of the 2,000-node,
 *   3,000-edge tenant, from the call to the second frame after the positions are applied;
 *   layout_longest_task_ms: the longest main-thread task (PerformanceObserver "longtask", which
 *   reports tasks over 50 ms; 0 when there were none) during that time.
 *
 * What it measures, honestly:
 * - It drives Debian's chromium (headless) with Playwright over the web app's test-only page
 *   `#/bench?nodes=N&edges=E`, which renders a generated tenant (2,000 nodes: 400 networks and
 *   1,600 workloads; 3,000 edges: 1,600 interfaces and 1,400 two-network policies) with the real
 *   canvas component. No controller is involved: this is the canvas alone, not the API.
 * - first_render_ms: navigation start to the second animation frame after React Flow reports
 *   every node initialized (bundle load and parse included; the page is served from localhost).
 * - pan_p95_ms / drag_p95_ms: the 95th percentile of requestAnimationFrame deltas while
 *   Playwright pans the pane / drags a workload node with real mouse input, at zoom 0.75 (a
 *   working zoom for editing; culling keeps off-screen elements out of the DOM). Chromium runs
 *   with --disable-frame-rate-limit and --disable-gpu-vsync, so idle frames are not held to
 *   16.7 ms; frames that carry input still are (Chromium paces them at ~60 Hz), so a cheap frame
 *   reads ~17.7 ms. The run prints that floor on stderr: the same pan on a blank page.
 * - pan_p95_ms_small: the same pan on a 50-node, 75-edge tenant in the same run.
 * Experiment knobs (defaults give the figures above): BENCH_EDGES (edges of the large tenant),
 * BENCH_EXTRA (bench-page switches, e.g. "&minimap=0&background=0"), BENCH_DIST (serve another
 * build of apps/web), BENCH_TRACE (Chrome traces of the three runs), BENCH_SHOT (screenshot of
 * the large tenant at the measured view), BENCH_DUMP (raw frame deltas as JSON).
 * On a shared 2-core machine the frame times swing by 2x between runs: run it a few times.
 */
import { createReadStream, existsSync, statSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium, type Page } from "@playwright/test";
import { ensureWebBuilt, freePort } from "../global-setup";

const here = path.dirname(fileURLToPath(import.meta.url));
/** BENCH_DIST: an already built copy of apps/web to serve instead (experiments on a private build). */
const DIST = process.env.BENCH_DIST ?? path.resolve(here, "../../apps/web/dist");
const CHROMIUM = process.env.NETLOOM_CHROMIUM ?? "/usr/bin/chromium";

const TYPES: Record<string, string> = {
  ".html": "text/html",
  ".js": "text/javascript",
  ".css": "text/css",
  ".svg": "image/svg+xml",
};

function serveDist(port: number): Promise<Server> {
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    let file = path.join(DIST, path.normalize(url.pathname));
    if (!file.startsWith(DIST) || !existsSync(file) || statSync(file).isDirectory())
      file = path.join(DIST, "index.html");
    response.writeHead(200, {
      "content-type": TYPES[path.extname(file)] ?? "application/octet-stream",
    });
    createReadStream(file).pipe(response);
  });
  return new Promise((resolve) => server.listen(port, "127.0.0.1", () => resolve(server)));
}

function p95(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const index = Math.min(sorted.length - 1, Math.ceil(sorted.length * 0.95) - 1);
  return Math.round((sorted[Math.max(0, index)] ?? 0) * 100) / 100;
}

/** Experiment knobs: a Chrome trace of the large pan and drag (`<path>.pan.json`, `.drag.json`), a screenshot. */
const TRACE = process.env.BENCH_TRACE;
const SHOT = process.env.BENCH_SHOT;
/** BENCH_DUMP: a JSON file for the raw frame deltas of the three runs. */
const DUMP = process.env.BENCH_DUMP;
const TRACE_CATEGORIES = [
  "devtools.timeline",
  "disabled-by-default-devtools.timeline",
  "disabled-by-default-devtools.timeline.frame",
  "blink",
  "cc",
  "viz",
  "gpu",
  "toplevel",
];

/** Extra bench-page switches for experiments, e.g. BENCH_EXTRA="&minimap=0&background=0". */
const EXTRA = process.env.BENCH_EXTRA ?? "";

async function open(page: Page, base: string, nodes: number, edges: number): Promise<number> {
  // A full page load each time (a hash change alone would keep the mounted canvas).
  await page.goto("about:blank");
  await page.goto(`${base}/#/bench?nodes=${nodes}&edges=${edges}${EXTRA}`, { waitUntil: "commit" });
  await page.waitForFunction(() => window.__netloomBench?.firstRenderMs != null, undefined, {
    timeout: 60_000,
  });
  return page.evaluate(() => window.__netloomBench?.firstRenderMs ?? -1);
}

/** Sets the viewport through the bench page's hook (React Flow's setViewport). */
async function setViewport(page: Page, x: number, y: number, zoom: number): Promise<void> {
  await page.evaluate(
    ([vx, vy, vz]) => {
      window.__netloomSetViewport?.({ x: vx ?? 0, y: vy ?? 0, zoom: vz ?? 1 });
    },
    [x, y, zoom],
  );
  await page.waitForTimeout(400);
}

async function recordFrames(page: Page, action: () => Promise<void>): Promise<number[]> {
  // A string, not a function: tsx's name-keeping helpers do not exist in the page.
  await page.evaluate(`(() => {
    window.__frames = [];
    window.__recording = true;
    let last = performance.now();
    const tick = (now) => {
      window.__frames.push(now - last);
      last = now;
      if (window.__recording) requestAnimationFrame(tick);
    };
    requestAnimationFrame((now) => {
      last = now;
      requestAnimationFrame(tick);
    });
  })()`);
  await action();
  return page.evaluate(() => {
    const w = window as unknown as { __frames: number[]; __recording: boolean };
    w.__recording = false;
    return w.__frames;
  });
}

/** A point of the canvas where the pane itself (no node, edge or label) is under the pointer. */
async function emptyPanePoint(page: Page): Promise<{ x: number; y: number }> {
  const point = await page.evaluate(() => {
    for (let y = 120; y < 700; y += 17) {
      for (let x = 40; x < 1200; x += 23) {
        const el = document.elementFromPoint(x, y);
        if (el?.classList.contains("react-flow__pane")) return { x, y };
      }
    }
    return null;
  });
  if (!point) throw new Error("no empty pane to start a pan from");
  return point;
}

/** The scripted pan gesture from `start`, timed; the same script runs on the canvas and the floor. */
function panFrom(page: Page, start: { x: number; y: number }): Promise<number[]> {
  return recordFrames(page, async () => {
    await page.mouse.move(start.x, start.y);
    await page.mouse.down();
    for (let i = 1; i <= 90; i++) {
      await page.mouse.move(
        start.x + (i % 30 < 15 ? 1 : -1) * 6 * (i % 15),
        start.y + (i % 20) * 2,
      );
    }
    await page.mouse.up();
  });
}

async function pan(page: Page): Promise<number[]> {
  return panFrom(page, await emptyPanePoint(page));
}

/**
 * The same pan script on a blank page whose only work is moving a box: what the harness reports
 * for a frame that costs almost nothing. Chromium paces frames that carry input at ~60 Hz even
 * with the frame-rate limit off, so no canvas can read below this (about 17.7 ms here).
 */
async function floor(page: Page): Promise<number[]> {
  await page.goto("about:blank");
  await page.setContent(
    `<div id="box" style="position:absolute;width:100px;height:100px;background:#ddd"></div>`,
  );
  await page.evaluate(`document.addEventListener("mousemove", (e) => {
    document.getElementById("box").style.transform = "translate(" + e.clientX + "px," + e.clientY + "px)";
  })`);
  return panFrom(page, { x: 300, y: 300 });
}

async function drag(page: Page): Promise<number[]> {
  const box = await page.locator(".react-flow__node-workload").first().boundingBox();
  if (!box) throw new Error("no workload node on screen to drag");
  const x = box.x + box.width / 2;
  const y = box.y + 12;
  return recordFrames(page, async () => {
    await page.mouse.move(x, y);
    await page.mouse.down();
    for (let i = 1; i <= 90; i++) await page.mouse.move(x + i * 3, y + (i % 10) * 3);
    await page.mouse.up();
  });
}

/** The auto-layout of the 2,000-node tenant: its time, and the longest main-thread task meanwhile. */
async function autoLayout(
  page: Page,
  base: string,
): Promise<{ ms: number; longestTask: number; tasks: [number, number][] }> {
  await open(page, base, 2000, 3000);
  await page.waitForTimeout(500);
  // A string, not a function: tsx's name-keeping helpers do not exist in the page.
  return page.evaluate(`(async () => {
    const tasks = [];
    const started = performance.now();
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) {
        tasks.push([Math.round(entry.startTime - started), Math.round(entry.duration)]);
      }
    });
    observer.observe({ type: "longtask" });
    const ms = await window.__netloomLayout();
    await new Promise((resolve) => setTimeout(resolve, 300));
    observer.disconnect();
    return { ms, longestTask: tasks.length ? Math.max(...tasks.map((t) => t[1])) : 0, tasks };
  })()`) as Promise<{ ms: number; longestTask: number; tasks: [number, number][] }>;
}

async function main(): Promise<void> {
  if (!process.env.BENCH_DIST) ensureWebBuilt();
  const port = await freePort();
  const server = await serveDist(port);
  const base = `http://127.0.0.1:${port}`;
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      "--disable-frame-rate-limit",
      "--disable-gpu-vsync",
    ],
  });
  try {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    // Warm the HTTP cache and the JIT once, as a returning user's browser would be.
    await open(page, base, 50, 75);
    const first = await open(
      page,
      base,
      Number(process.env.BENCH_NODES ?? 10_000),
      Number(process.env.BENCH_EDGES ?? 15_000),
    );
    await setViewport(page, -2200, -1000, 0.75);
    if (SHOT) await page.screenshot({ path: SHOT });
    if (TRACE)
      await browser.startTracing(page, { path: `${TRACE}.pan.json`, categories: TRACE_CATEGORIES });
    const panLarge = await pan(page);
    if (TRACE) {
      await browser.stopTracing();
      await browser.startTracing(page, {
        path: `${TRACE}.drag.json`,
        categories: TRACE_CATEGORIES,
      });
    }
    const dragLarge = await drag(page);
    if (TRACE) await browser.stopTracing();
    await open(page, base, 50, 75);
    await setViewport(page, -100, 100, 0.75);
    if (TRACE)
      await browser.startTracing(page, {
        path: `${TRACE}.small.json`,
        categories: TRACE_CATEGORIES,
      });
    const panSmall = await pan(page);
    if (TRACE) await browser.stopTracing();
    if (DUMP) {
      writeFileSync(DUMP, JSON.stringify({ panLarge, dragLarge, panSmall }));
    }
    process.stderr.write(
      `frames: pan ${panLarge.length}, drag ${dragLarge.length}, small pan ${panSmall.length}; DOM nodes rendered at zoom 0.75: ${await page.locator(".react-flow__node").count()} (small)\n`,
    );
    const layout = await autoLayout(page, base);
    process.stderr.write(
      `layout: ${Math.round(layout.ms)} ms to the laid-out frame; long tasks [start ms, duration ms] from the call: ${JSON.stringify(layout.tasks)}\n`,
    );
    const blank = await floor(page);
    process.stderr.write(
      `harness floor (same pan on a blank page): p95 ${p95(blank)} ms over ${blank.length} frames\n`,
    );
    process.stdout.write(
      `${JSON.stringify({
        first_render_ms_10k: Math.round(first),
        pan_p95_ms_10k: p95(panLarge),
        drag_p95_ms_10k: p95(dragLarge),
        pan_p95_ms_small: p95(panSmall),
        pan_ratio_10k: Math.round((p95(panLarge) / Math.max(1, p95(panSmall))) * 100) / 100,
        layout_ms_2k: Math.round(layout.ms),
        layout_longest_task_ms: Math.round(layout.longestTask),
      })}\n`,
    );
  } finally {
    await browser.close();
    server.close();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
