// Where the wasm CPU pipeline spends its time: the lite pipeline on a synthetic 854x480 clip
// (a textured square moving over a panning textured background) in headless Chromium, on the
// page's main thread under V8's sampling profiler; prints the stage times and the functions
// with the most self time.
//   SEGMO_KEEP_NAMES=1 bash www/build.sh   (function names kept in the module)
//   node www/test/profile.mjs [frames, default 24]
import { chromium } from 'playwright-core';
import { serve } from '../serve.mjs';
const srv = await serve(undefined, 0);
const origin = `http://127.0.0.1:${srv.address().port}`;
const browser = await chromium.launch({ executablePath: '/usr/bin/chromium', args: ['--no-sandbox'] });
const page = await browser.newPage();
page.on('console', (m) => console.error('page:', m.text()));
await page.goto(`${origin}/www/demo/`);
const cdp = await page.context().newCDPSession(page);
await cdp.send('Profiler.enable');
await cdp.send('Profiler.setSamplingInterval', { interval: 500 });
const T = Number(process.argv[2] ?? 24);
console.error(`profiling the lite pipeline on ${T} synthetic frames (wasm CPU) ...`);
await page.evaluate(async (T) => {
  const wasm = await import('/pkg/segmo_wasm.js');
  await wasm.default();
  const w = 854, h = 480;
  const frames = new Uint8Array(T * w * h * 4);
  const tex = (x, y) => ((Math.sin(x * 0.21) * Math.cos(y * 0.17) + Math.sin((x + 2 * y) * 0.05)) * 60 + 128) | 0;
  for (let t = 0; t < T; t++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) {
    const i = ((t * h + y) * w + x) * 4;
    const inObj = x > 200 + 6 * t && x < 360 + 6 * t && y > 150 && y < 330;
    const v = inObj ? tex(x - 6 * t + 500, y + 300) : tex(x + 2 * t, y);
    frames[i] = v; frames[i + 1] = inObj ? 255 - v : v; frames[i + 2] = v; frames[i + 3] = 255;
  }
  const s = await wasm.Segmo.create('cpu');
  const bytes = new Uint8Array(await (await fetch('/pkg/lite-classifier.safetensors')).arrayBuffer());
  s.loadWeights(bytes);
  globalThis.__run = async () => { const r = await s.segment(w, h, frames, null); console.log(JSON.stringify(r.times)); r.free(); };
}, T);
await cdp.send('Profiler.start');
await page.evaluate(() => globalThis.__run());
const { profile } = await cdp.send('Profiler.stop');
const self = new Map();
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
profile.samples.forEach((id, i) => { const n = byId.get(id); const k = n.callFrame.functionName || n.callFrame.url; self.set(k, (self.get(k) ?? 0) + (profile.timeDeltas[i] ?? 0)); });
const tot = [...self.values()].reduce((a, b) => a + b, 0);
console.log(`total ${(tot / 1e6).toFixed(1)} s`);
console.log([...self.entries()].sort((a, b) => b[1] - a[1]).slice(0, 45).map(([k, v]) => `${(100 * v / tot).toFixed(1)}% ${k.slice(0, 140)}`).join('\n'));
await browser.close();
srv.close();
