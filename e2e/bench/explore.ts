// TEMPORARY exploration script (to be removed).
import { createReadStream, existsSync, statSync } from "node:fs";
import { createServer } from "node:http";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "@playwright/test";
import { ensureWebBuilt, freePort } from "../global-setup";

const here = path.dirname(fileURLToPath(import.meta.url));
const DIST = process.env.BENCH_DIST ?? path.resolve(here, "../../apps/web/dist");
async function main() {
  if (!process.env.BENCH_DIST) ensureWebBuilt();
  const port = await freePort();
  const server = createServer((request, response) => {
    const url = new URL(request.url ?? "/", "http://localhost");
    let file = path.join(DIST, path.normalize(url.pathname));
    if (!existsSync(file) || statSync(file).isDirectory()) file = path.join(DIST, "index.html");
    const t = file.endsWith(".js") ? "text/javascript" : file.endsWith(".css") ? "text/css" : "text/html";
    response.writeHead(200, { "content-type": t });
    createReadStream(file).pipe(response);
  });
  await new Promise<void>((r) => server.listen(port, "127.0.0.1", () => r()));
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-frame-rate-limit", "--disable-gpu-vsync"],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const nodes = Number(process.env.N ?? 2000);
  await page.goto(`http://127.0.0.1:${port}/#/bench?nodes=${nodes}&edges=${Math.round(nodes * 1.5)}${process.env.EXTRA ?? ""}`);
  await page.waitForFunction(() => window.__netloomBench?.firstRenderMs != null, undefined, { timeout: 60000 });
  await page.evaluate((n) => window.__netloomSetViewport?.(n > 100 ? { x: -2200, y: -1000, zoom: 0.75 } : { x: -100, y: 100, zoom: 0.75 }), nodes);
  await page.waitForTimeout(600);
  const cdp = await page.context().newCDPSession(page);
  await cdp.send("LayerTree.enable");
  const layers = await new Promise<unknown[]>((resolve) => {
    cdp.on("LayerTree.layerTreeDidChange", (e: { layers?: unknown[] }) => { if (e.layers) resolve(e.layers); });
    void page.mouse.move(5, 5);
  });
  console.log("layers", layers.length);
  for (const l of layers as { layerId: string; width: number; height: number; drawsContent: boolean; backendNodeId?: number; offsetX: number; offsetY: number; paintCount: number }[]) {
    let desc = "";
    if (l.backendNodeId) {
      try {
        const r = await cdp.send("DOM.describeNode", { backendNodeId: l.backendNodeId });
        const n = r.node as { nodeName: string; attributes?: string[] };
        desc = `${n.nodeName} ${(n.attributes ?? []).join(" ").slice(0, 100)}`;
      } catch { desc = "?"; }
    }
    let reasons = "";
    try { const r = await cdp.send("LayerTree.compositingReasons", { layerId: l.layerId }); reasons = (r.compositingReasonIds ?? []).join(","); } catch {}
    if (l.drawsContent || process.env.ALL) console.log(l.layerId, l.width, l.height, l.offsetX, l.offsetY, l.drawsContent, l.paintCount, desc, "|", reasons);
  }
  const counts = await page.evaluate(() => ({
    nodes: document.querySelectorAll(".react-flow__node").length,
    edges: document.querySelectorAll(".react-flow__edge").length,
    labels: document.querySelectorAll(".nl-edge-label").length,
    dom: document.querySelectorAll("*").length,
  }));
  console.log(counts);
  if (process.env.DOM) console.log(await page.evaluate(`(() => {
    const out = [];
    const walk = (el, depth) => {
      if (depth > 7) return;
      const cls = el.getAttribute("class") ?? "";
      const st = el.getAttribute("style") ?? "";
      out.push("  ".repeat(depth) + el.tagName.toLowerCase() + "." + cls.split(" ").join(".") + " [" + el.children.length + "] " + st.slice(0, 80));
      Array.from(el.children).slice(0, 3).forEach((k) => walk(k, depth + 1));
    };
    const root = document.querySelector(".react-flow");
    if (root) walk(root, 0);
    return out.join("\\n");
  })()`));
  if (process.env.PROFILE) {
    const what = process.env.PROFILE;
    const box = await page.locator(".react-flow__node-workload").first().boundingBox();
    const start = await page.evaluate(`(() => {
      for (let y = 120; y < 700; y += 17) for (let x = 40; x < 1200; x += 23) {
        const el = document.elementFromPoint(x, y);
        if (el && el.classList.contains("react-flow__pane")) return { x, y };
      }
      return null;
    })()`) as { x: number; y: number };
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
    await cdp.send("Profiler.start");
    if (what === "pan") {
      await page.mouse.move(start.x, start.y);
      await page.mouse.down();
      for (let i = 1; i <= 90; i++) await page.mouse.move(start.x + (i % 30 < 15 ? 1 : -1) * 6 * (i % 15), start.y + (i % 20) * 2);
      await page.mouse.up();
    } else if (box) {
      const x = box.x + box.width / 2; const y = box.y + 12;
      await page.mouse.move(x, y);
      await page.mouse.down();
      for (let i = 1; i <= 90; i++) await page.mouse.move(x + i * 3, y + (i % 10) * 3);
      await page.mouse.up();
    }
    const { profile } = await cdp.send("Profiler.stop");
    type PN = { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; children?: number[] };
    const nodesById = new Map<number, PN>();
    for (const n of profile.nodes as PN[]) nodesById.set(n.id, n);
    const self = new Map<number, number>();
    const samples = profile.samples ?? [];
    const deltas = profile.timeDeltas ?? [];
    for (let i = 0; i < samples.length; i++) self.set(samples[i] as number, (self.get(samples[i] as number) ?? 0) + (deltas[i] ?? 0));
    const parent = new Map<number, number>();
    for (const n of profile.nodes as PN[]) for (const c of n.children ?? []) parent.set(c, n.id);
    const byFn = new Map<string, number>();
    const total = new Map<string, number>();
    for (const [id, t] of self) {
      const n = nodesById.get(id);
      if (!n) continue;
      const key = `${n.callFrame.functionName || "(anon)"} ${n.callFrame.url.split("/").pop()}:${n.callFrame.lineNumber}`;
      byFn.set(key, (byFn.get(key) ?? 0) + t);
      const seen = new Set<string>();
      let cur: number | undefined = id;
      while (cur !== undefined) {
        const m = nodesById.get(cur);
        if (!m) break;
        const k = `${m.callFrame.functionName || "(anon)"} ${m.callFrame.url.split("/").pop()}:${m.callFrame.lineNumber}`;
        if (!seen.has(k)) { total.set(k, (total.get(k) ?? 0) + t); seen.add(k); }
        cur = parent.get(cur);
      }
    }
    console.log("SELF");
    for (const [k, v] of [...byFn].sort((a, b) => b[1] - a[1]).slice(0, 30)) console.log((v / 1000).toFixed(1).padStart(8), k);
    console.log("TOTAL");
    for (const [k, v] of [...total].sort((a, b) => b[1] - a[1]).slice(0, 45)) console.log((v / 1000).toFixed(1).padStart(8), k);
  }
  if (process.env.SHOT) await page.screenshot({ path: process.env.SHOT });
  await browser.close();
  server.close();
}
main().catch((e) => { console.error(e); process.exit(1); });
