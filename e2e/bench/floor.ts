// TEMPORARY: frame floor on a blank page with the bench's input script.
import { chromium } from "@playwright/test";
async function main() {
  const browser = await chromium.launch({
    executablePath: "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-frame-rate-limit", "--disable-gpu-vsync", ...(process.env.ARGS ? process.env.ARGS.split(" ") : [])],
  });
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.setContent(`<div id=d style="width:100px;height:100px;background:red;position:absolute"></div><script>addEventListener('mousemove', e => { d.style.transform = 'translate(' + e.clientX + 'px,' + e.clientY + 'px)'; })</script>`);
  await page.evaluate(`(() => {
    window.__frames = [];
    window.__recording = true;
    let last = performance.now();
    const ticker = document.createElement('div'); ticker.style.cssText = 'position:fixed;left:0;top:0;width:1px;height:1px;background:#fff;z-index:9'; if (${!!process.env.TICK}) document.body.append(ticker); let n = 0;
    const tick = (now) => { window.__frames.push(now - last); last = now; ticker.style.opacity = (n++ % 2) ? '0.99' : '1'; if (window.__recording) requestAnimationFrame(tick); };
    requestAnimationFrame((now) => { last = now; requestAnimationFrame(tick); });
  })()`);
  const start = { x: 300, y: 300 };
  if (process.env.TRACE) await browser.startTracing(page, { path: process.env.TRACE, categories: ["devtools.timeline", "disabled-by-default-devtools.timeline.frame", "cc", "viz", "benchmark", "input", "toplevel", "blink", "gpu", "disabled-by-default-viz.surface_id_flow"] });
  await page.mouse.move(start.x, start.y);
  if (!process.env.NODOWN) await page.mouse.down();
  for (let i = 1; i <= 90; i++) await page.mouse.move(start.x + (i % 30 < 15 ? 1 : -1) * 6 * (i % 15), start.y + (i % 20) * 2);
  if (!process.env.NODOWN) await page.mouse.up();
  if (process.env.TRACE) await browser.stopTracing();
  const frames = (await page.evaluate("window.__recording = false, window.__frames")) as number[];
  const s = [...frames].sort((a, b) => a - b);
  const n = s.length;
  console.log(n, "p50", s[n >> 1]?.toFixed(1), "p95", s[Math.ceil(n * 0.95) - 1]?.toFixed(1), frames.slice(0, 40).map((x) => x.toFixed(1)).join(" "));
  await browser.close();
}
main();
