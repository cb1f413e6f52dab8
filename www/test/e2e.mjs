// End-to-end browser tests with playwright-core driving the system Chromium (no browser
// download): the demo page on WebGPU (SwiftShader) and with WebGPU disabled (CPU fallback), a
// cancelled run, dispose() then a new segmenter, bad inputs, a <video> element and a 4K video
// as sources, the threaded module against the single-threaded one, and the packed npm tarball
// (its TypeScript declarations type-checked)
// imported by a plain ESM page and by a Vite app, all offline.
//   node www/test/e2e.mjs   (after `bash www/build.sh`; SEGMO_BIN = the segmo CLI)
import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '../serve.mjs';
import { FPS, makeFixture } from './fixture.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const repo = resolve(here, '../..');
const out = process.env.SEGMO_E2E_OUT ?? join(repo, 'out', 'e2e');
mkdirSync(out, { recursive: true });
const segmoBin = process.env.SEGMO_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, '.cache/segmo-target'), 'debug/segmo');
const only = process.argv.slice(2);

// Mean J of the moving objects over frames: measured 0.620 on this WebM on SwiftShader WebGPU
// and on the wasm CPU backend alike, 0.760 for its first 8 frames, the same every run since
// session 17 reads each frame exactly (earlier runs varied, 0.50-0.70, with a repeated frame;
// 0.626 / 0.769 measured in session 16; 0.576 / 0.718 before the
// densifier's colour prior, session 16; 0.528 / 0.490 before the motion-only heuristic learned
// to explain parallax, session 15; see models/lite-classifier.md).
// 0.4 catches broken plumbing (no masks, frames shifted, duplicated or scrambled, wrong sizes)
// with room for codec noise; what the model is worth is tested natively (tests/lite_weights.rs).
const J_MIN = 0.4;
// Longest main-thread task allowed while the pipeline runs (the brief's 200 ms).
const LONG_TASK_MS = 200;

// A TypeScript user of the package (the tarball test type-checks it with tsc --strict).
const TYPES_CHECK = `import { MotionSegmenter, SegmentationResult, PALETTE, type ProgressEvent, type DeviceInfo, type ObjectInfo } from 'segmo';

export async function run(video: HTMLVideoElement, file: File): Promise<number> {
  const events: ProgressEvent[] = [];
  const seg = await MotionSegmenter.create({ device: 'auto', weights: new URL('https://example.invalid/w.safetensors'), onProgress: (e) => events.push(e) });
  const device: DeviceInfo = seg.device;
  const backend: 'gpu' | 'cpu' = device.backend;
  const controller = new AbortController();
  const result: SegmentationResult = await seg.segment(video, { maxFrames: 50, frameStride: 2, signal: controller.signal });
  await seg.segment(file);
  await seg.segment('/clip.webm', { maxPixels: 640 * 360, fps: 30 });
  const labels: Uint8Array = result.labelsAt(0);
  const image: ImageData = result.imageDataAt(0, PALETTE, new Set([1]));
  const objects: ObjectInfo[] = result.objects;
  const rle = result.toRLE();
  const counts: number[] = rle.frames[0][1].counts;
  seg.dispose();
  // @ts-expect-error: no such device
  await MotionSegmenter.create({ device: 'gpu' });
  // @ts-expect-error: frames are counted, not named
  await seg.segment(video, { maxFrames: 'all' });
  // @ts-expect-error: a canvas is not a video source
  await seg.segment(document.createElement('canvas'));
  // @ts-expect-error: labels are bytes
  const wrong: string = result.labelsAt(0);
  return labels.length + image.width + objects.length + counts.length + events.length + backend.length + wrong.length;
}
`;

const fixture = makeFixture({ segmo: segmoBin });
const results = [];

async function test(name, fn) {
  if (only.length && !only.some((o) => name.includes(o))) return;
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`test ${name} ... ok (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`test ${name} ... FAILED (${((Date.now() - t0) / 1000).toFixed(1)} s)\n  ${e.stack ?? e}`);
  }
}

function assert(cond, msg) {
  if (!cond) throw new Error(msg);
}

// The static server: the repository at /, the fixture at /fixture/, extra roots as given.
async function server(roots = {}, options = {}) {
  const s = await serve(repo, 0, { '/fixture/': fixture.dir, ...roots }, options);
  return { origin: `http://127.0.0.1:${s.address().port}`, close: () => new Promise((ok) => s.close(ok)) };
}

async function browser({ webgpu }) {
  const args = ['--no-sandbox', '--disable-dev-shm-usage', '--disable-background-networking', '--disable-component-update', '--no-first-run'];
  args.push(webgpu ? '--enable-unsafe-webgpu' : '--disable-webgpu');
  return chromium.launch({ executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium', headless: true, args });
}

// A page that records every request and watches the main thread: a requestAnimationFrame
// counter and the longest task (PerformanceObserver 'longtask').
async function watchedPage(b, origin) {
  const page = await b.newPage();
  const requests = [];
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => process.env.SEGMO_E2E_VERBOSE && console.log(`  [page] ${m.text()}`));
  await page.addInitScript(() => {
    window.__watch = { frames: 0, longest: 0, tasks: [] };
    const tick = () => (window.__watch.frames++, requestAnimationFrame(tick));
    requestAnimationFrame(tick);
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) {
        window.__watch.tasks.push(Math.round(e.duration));
        window.__watch.longest = Math.max(window.__watch.longest, e.duration);
      }
    }).observe({ type: 'longtask', buffered: true });
  });
  const foreign = () => requests.filter((u) => !u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:'));
  return { page, requests, foreign };
}

// J per frame in the page: the result's labels (any object) against the fixture's masks.
async function meanJ(page, resultExpr) {
  return page.evaluate(async ({ resultExpr, masks }) => {
    const result = eval(resultExpr);
    let sum = 0;
    for (let i = 0; i < result.numFrames; i++) {
      const bmp = await createImageBitmap(await (await fetch(`/fixture/masks/${masks[i]}`)).blob());
      const c = new OffscreenCanvas(result.width, result.height);
      const ctx = c.getContext('2d');
      ctx.drawImage(bmp, 0, 0, result.width, result.height);
      const gt = ctx.getImageData(0, 0, result.width, result.height).data;
      const labels = result.labelsAt(i);
      let inter = 0;
      let union = 0;
      for (let p = 0; p < labels.length; p++) {
        const a = labels[p] > 0;
        const g = gt[p * 4] > 127;
        inter += a && g;
        union += a || g;
      }
      sum += union ? inter / union : 1;
    }
    return sum / result.numFrames;
  }, { resultExpr, masks: fixture.masks });
}

// A fresh server and browser, and a watched page with the demo loaded: `settled` once its
// segmenter is created or failed (the WebGPU run then picks its device), else once ready.
async function withDemo({ webgpu, settled = false }, fn) {
  const srv = await server();
  const b = await browser({ webgpu });
  try {
    const watched = await watchedPage(b, srv.origin);
    await watched.page.goto(`${srv.origin}/www/demo/`);
    await watched.page.waitForFunction((settled) => (settled ? window.segmoDemo.status !== 'starting' : window.segmoDemo.status === 'ready'), settled, { timeout: 120e3 });
    await fn(watched);
  } finally {
    await b.close();
    await srv.close();
  }
}

async function demoRun(page, file) {
  await page.setInputFiles('#file', join(fixture.dir, file));
  await page.waitForFunction(() => ['done', 'error', 'cancelled'].includes(window.segmoDemo.status), null, { timeout: 20 * 60e3, polling: 500 });
  return page.evaluate(() => ({ status: window.segmoDemo.status, error: window.segmoDemo.error, seconds: window.segmoDemo.seconds, objects: window.segmoDemo.result?.objects, frames: window.segmoDemo.result?.numFrames }));
}

for (const webgpu of [true, false]) {
  const name = webgpu ? 'webgpu' : 'cpu-fallback';
  await test(`demo segments the synthetic video (${name})`, () =>
    withDemo({ webgpu, settled: true }, async ({ page, foreign }) => {
      // `auto` skips a software adapter such as SwiftShader (the CPU path is faster): the
      // WebGPU run asks for it by name.
      if (webgpu) await page.selectOption('#device', 'webgpu');
      const before = await page.evaluate(() => window.__watch.frames);
      const r = await demoRun(page, 'sample.webm');
      assert(r.status === 'done', `demo ended ${r.status}: ${r.error}`);
      const device = await page.evaluate(() => window.segmoDemo.device);
      assert(device && device.backend === (webgpu ? 'gpu' : 'cpu'), `device ${JSON.stringify(device)}`);
      // Without WebGPU the page says so in a sentence (not wgpu's list of native APIs).
      if (!webgpu) assert(/WebGPU/.test(device.fallback_reason) && device.fallback_reason.length < 100, `fallback reason: ${device.fallback_reason}`);
      const watch = await page.evaluate(() => window.__watch);
      const j = await meanJ(page, 'window.segmoDemo.result');
      const painted = await page.evaluate(() => {
        const c = document.getElementById('overlay');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 3; i < d.length; i += 4) n += d[i] > 0;
        return n / (c.width * c.height);
      });
      assert(painted > 0.01, `the overlay shows ${painted} of the frame`);
      // Under the overlay, the clip's own frames for playback (read again after the run).
      const shown = await page.evaluate(() => {
        const c = document.getElementById('frame');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0;
        for (let i = 0; i < d.length; i += 4) n += d[i] + d[i + 1] + d[i + 2] > 30;
        return n / (c.width * c.height);
      });
      assert(shown > 0.5, `the frame under the overlay is blank (${shown} of it has pixels)`);
      await page.screenshot({ path: join(out, `demo-${name}.png`), fullPage: true });
      console.log(`  ${device.backend} ${device.name}${device.software ? ' (software)' : ''}: ${r.frames} frames in ${r.seconds.toFixed(1)} s, J ${j.toFixed(3)}, ${r.objects.length} objects; rAF ticks ${watch.frames - before}, longest main-thread task ${Math.round(watch.longest)} ms`);
      assert(j > J_MIN, `J ${j} <= ${J_MIN}`);
      assert(watch.frames - before > 10 * r.seconds, `requestAnimationFrame stalled: ${watch.frames - before} ticks in ${r.seconds} s`);
      assert(watch.longest <= LONG_TASK_MS, `a main-thread task took ${watch.longest} ms (tasks: ${watch.tasks})`);
      assert(foreign().length === 0, `requests beyond the page's origin: ${foreign()}`);
    }),
  );
}

// The threaded modules (www/build.sh) on a cross-origin isolated page: the pool really has the
// threads asked for; the plain-SIMD build's labels are the single-threaded module's, byte for
// byte; the relaxed-SIMD build (fused multiply-add: other roundings) scores the same J.
await test('threaded CPU modules: 2 threads, the single-threaded labels (cross-origin isolated)', async () => {
  const srv = await server({}, { isolated: true });
  const b = await browser({ webgpu: false });
  try {
    const page = await b.newPage();
    page.on('console', (m) => process.env.SEGMO_E2E_VERBOSE && console.log(`  [page] ${m.text()}`));
    await page.goto(`${srv.origin}/pkg/package.json`);
    const r = await page.evaluate(async () => {
      const { MotionSegmenter } = await import('/pkg/index.js');
      const { hasRelaxedSimd } = await import('/pkg/threads.js');
      window.runs = {};
      const run = async (name, options) => {
        const seg = await MotionSegmenter.create({ device: 'cpu', ...options });
        const t0 = performance.now();
        const result = await seg.segment('/fixture/sample.webm');
        const ms = performance.now() - t0;
        seg.dispose();
        window.runs[name] = result;
        const labels = Array.from({ length: result.numFrames }, (_, i) => result.labelsAt(i));
        return { threads: seg.device.threads, simd: seg.device.simd, ms, labels, objects: result.objects.length };
      };
      const runs = { one: await run('one', { threads: 1 }), simd: await run('simd', { threads: 2, relaxedSimd: false }), relaxed: await run('relaxed', { threads: 2 }) };
      const differ = (a, b) => a.labels.reduce((n, f, i) => n + f.reduce((m, x, p) => m + (x !== b.labels[i]?.[p]), 0), 0);
      const moving = runs.one.labels.reduce((n, f) => n + f.reduce((m, x) => m + (x > 0), 0), 0);
      const summary = Object.fromEntries(Object.entries(runs).map(([k, v]) => [k, { threads: v.threads, simd: v.simd, ms: v.ms, frames: v.labels.length, objects: v.objects }]));
      return { isolated: crossOriginIsolated, relaxedSupported: hasRelaxedSimd(), runs: summary, moving, differSimd: differ(runs.one, runs.simd), differRelaxed: differ(runs.one, runs.relaxed) };
    });
    const j = {};
    for (const k of ['one', 'simd', 'relaxed']) j[k] = await meanJ(page, `window.runs.${k}`);
    const t = (k) => `${(r.runs[k].ms / 1000).toFixed(1)} s`;
    console.log(`  1 thread ${t('one')}, 2 threads ${t('simd')} (simd), ${t('relaxed')} (${r.runs.relaxed.simd}); ${r.runs.one.frames} frames, ${r.moving} moving pixels; J ${j.one.toFixed(3)} / ${j.simd.toFixed(3)} / ${j.relaxed.toFixed(3)}, ${r.differSimd} / ${r.differRelaxed} labels differ`);
    assert(r.isolated, 'the page is not cross-origin isolated');
    assert(r.runs.one.threads === 1 && r.runs.simd.threads === 2 && r.runs.relaxed.threads === 2, `threads ${JSON.stringify(r.runs)}`);
    assert(r.runs.simd.simd === 'simd' && r.runs.relaxed.simd === (r.relaxedSupported ? 'relaxed' : 'simd'), `builds ${JSON.stringify(r.runs)}`);
    assert(r.relaxedSupported, 'Chromium validates relaxed SIMD: the probe module is wrong');
    assert(r.runs.one.frames === r.runs.simd.frames && r.runs.one.frames > 0 && r.moving > 0, `frames ${JSON.stringify(r.runs)}, ${r.moving} moving pixels`);
    assert(r.differSimd === 0 && r.runs.one.objects === r.runs.simd.objects, `${r.differSimd} labels differ between 1 and 2 threads`);
    assert(Math.abs(j.relaxed - j.one) < 0.02 && j.relaxed > J_MIN, `relaxed SIMD: J ${j.relaxed} vs ${j.one}`);
  } finally {
    await b.close();
    await srv.close();
  }
});

await test('cancel, bad inputs, dispose then a new segmenter (CPU)', () =>
  withDemo({ webgpu: false }, async ({ page, foreign }) => {
    // Cancel as soon as the pipeline starts tracking.
    await page.setInputFiles('#file', join(fixture.dir, 'sample.webm'));
    await page.waitForFunction(() => window.segmoDemo.progress.some((e) => e.stage === 'tracks'), null, { timeout: 300e3, polling: 100 });
    await page.click('#cancel');
    await page.waitForFunction(() => window.segmoDemo.status !== 'running', null, { timeout: 60e3 });
    assert((await page.evaluate(() => window.segmoDemo.status)) === 'cancelled', 'cancel did not cancel');
    for (const [file, expect] of [['not-a-video.webm', /cannot decode/], ['one-frame.webm', /at least 2 frames/]]) {
      const r = await demoRun(page, file);
      assert(r.status === 'error' && expect.test(r.error), `${file}: ${r.status} ${r.error}`);
      assert(await page.isVisible('#error'), 'the page shows the error');
    }
    // After the errors the page's segmenter still works.
    await page.fill('#max-frames', '6');
    const again = await demoRun(page, 'sample.webm');
    assert(again.status === 'done' && again.frames === 6, `after the errors: ${JSON.stringify(again)}`);
    // The library directly: weights that 404 or are not weights, then dispose and reuse.
    const api = await page.evaluate(async () => {
      const { MotionSegmenter } = await import('/pkg/index.js');
      const out = {};
      for (const [k, weights] of [['missing', '/fixture/no-such-file.safetensors'], ['wrong', '/fixture/wrong-weights.safetensors']]) {
        try {
          await MotionSegmenter.create({ device: 'cpu', weights });
          out[k] = 'created';
        } catch (e) {
          out[k] = e.message;
        }
      }
      // This browser has no WebGPU: asking for it by name is an error that says so.
      try {
        await MotionSegmenter.create({ device: 'webgpu' });
        out.forcedWebgpu = 'created';
      } catch (e) {
        out.forcedWebgpu = e.message;
      }
      const first = await MotionSegmenter.create({ device: 'cpu' });
      first.dispose();
      try {
        await first.segment('/fixture/sample.webm');
        out.afterDispose = 'ran';
      } catch (e) {
        out.afterDispose = e.message;
      }
      // The demo's segmenter downloaded the default weights: this one reads them from the Cache API.
      const events = [];
      const second = await MotionSegmenter.create({ device: 'cpu', onProgress: (e) => events.push(e) });
      out.cached = events.filter((e) => e.stage === 'weights').map((e) => e.cached);
      const r = await second.segment('/fixture/sample.webm', { maxFrames: 6 });
      out.second = { frames: r.numFrames, objects: r.objects.length };
      window.__second = r;
      second.dispose();
      return out;
    });
    assert(/HTTP 404/.test(api.missing), `404 weights: ${api.missing}`);
    assert(/weights/i.test(api.wrong), `wrong weights: ${api.wrong}`);
    assert(/disposed/.test(api.afterDispose), `after dispose: ${api.afterDispose}`);
    assert(/no GPU.*WebGPU/.test(api.forcedWebgpu), `device 'webgpu' without WebGPU: ${api.forcedWebgpu}`);
    assert(api.second.frames === 6, `second segmenter: ${JSON.stringify(api.second)}`);
    assert(api.cached.length === 1 && api.cached[0] === true, `weights not served from the Cache API: ${api.cached}`);
    assert(foreign().length === 0, `requests beyond the page's origin: ${foreign()}`);
    console.log(`  errors: 404 "${api.missing}"; wrong file "${api.wrong.slice(0, 100)}"; no WebGPU "${api.forcedWebgpu}"`);
  }),
);

await test('inputs: a <video> element of the page, and a 4K video scaled down (CPU)', () =>
  withDemo({ webgpu: false }, async ({ page, foreign }) => {
    const r = await page.evaluate(async () => {
      const { MotionSegmenter } = await import('/pkg/index.js');
      const seg = await MotionSegmenter.create({ device: 'cpu' });
      // The page's own element, not muted, paused at 0.35 s: it is borrowed and given back.
      const video = Object.assign(document.createElement('video'), { src: '/fixture/sample.webm', controls: true });
      document.body.append(video);
      await new Promise((ok) => (video.onloadeddata = ok));
      video.currentTime = 0.35;
      await new Promise((ok) => (video.onseeked = ok));
      window.__element = await seg.segment(video, { maxFrames: 8 });
      const element = { frames: window.__element.numFrames, size: [window.__element.width, window.__element.height], muted: video.muted, paused: video.paused, time: video.currentTime };
      const events = [];
      window.__big = await seg.segment('/fixture/sample-4k.webm', { maxFrames: 6, onProgress: (e) => events.push(e) });
      const big = { frames: window.__big.numFrames, size: [window.__big.width, window.__big.height], scale: events.filter((e) => e.stage === 'scale') };
      seg.dispose();
      return { element, big };
    });
    const jElement = await meanJ(page, 'window.__element');
    const jBig = await meanJ(page, 'window.__big');
    const [w, h] = r.big.size;
    console.log(`  <video> element: ${r.element.frames} frames ${r.element.size.join('x')}, J ${jElement.toFixed(3)}; 4K: "${r.big.scale[0]?.message}", ${r.big.frames} frames, J ${jBig.toFixed(3)}`);
    assert(r.element.frames === 8 && jElement > J_MIN, `<video> element: ${JSON.stringify(r.element)}, J ${jElement}`);
    assert(!r.element.muted && r.element.paused && Math.abs(r.element.time - 0.35) < 1e-3, `the element was not given back as it was: ${JSON.stringify(r.element)}`);
    assert(r.big.scale.length === 1 && r.big.scale[0].to.join() === r.big.size.join(), `no scale event for the 4K video: ${JSON.stringify(r.big.scale)}`);
    assert(w * h <= 854 * 480 && w >= 800 && Math.abs(w / h - fixture.width / fixture.height) < 0.02, `4K scaled to ${w}x${h}`);
    assert(r.big.frames === 6 && jBig > J_MIN, `4K: ${r.big.frames} frames, J ${jBig}`);
    assert(foreign().length === 0, `requests beyond the page's origin: ${foreign()}`);
  }),
);

await test('frames are read exactly: every frame once, the same pixels every time (CPU)', () =>
  withDemo({ webgpu: false }, async ({ page }) => {
    // Chromium can fire 'seeked' before the element shows the new frame; read naively, one
    // 16-frame pass in ~6 repeated a frame, and the masks changed from run to run.
    const passes = await page.evaluate(async (n) => {
      const { openVideo, frameRate, readFrames } = await import('/pkg/frames.js');
      const canvas = new OffscreenCanvas(32, 32);
      const ctx = canvas.getContext('2d', { willReadFrequently: true });
      const out = [];
      for (let pass = 0; pass < 6; pass++) {
        const { video, release } = await openVideo('/fixture/sample.webm');
        const { fps } = await frameRate(video);
        const frames = [];
        await readFrames(video, { width: 32, height: 32, fps, available: n, maxFrames: n, deliver: (i, x) => {
          ctx.drawImage(x.frame, 0, 0, 32, 32);
          frames.push({ t: x.frame.timestamp, sum: Array.from(ctx.getImageData(0, 0, 32, 32).data).reduce((h, v) => (Math.imul(h, 31) + v) | 0, 0) });
          x.frame.close();
        } });
        release();
        out.push(frames);
      }
      return out;
    }, fixture.frames);
    for (const [p, frames] of passes.entries()) {
      const times = frames.map((f) => f.t);
      assert(frames.length === fixture.frames && times.every((t, i) => i === 0 || t > times[i - 1]), `pass ${p}: frame times ${times}`);
      assert(frames.every((f, i) => f.sum === passes[0][i].sum), `pass ${p}: pixels differ from pass 0 at frames ${frames.map((f, i) => (f.sum === passes[0][i].sum ? '' : i)).filter(String)}`);
    }
    console.log(`  ${passes.length} passes x ${fixture.frames} frames: identical, each frame once`);
  }),
);

await test('packed tarball: a plain ESM page and a Vite app import it offline, its types check', async () => {
  const work = mkdtempSync(join(tmpdir(), 'segmo-pack-'));
  const tgz = execFileSync('npm', ['pack', '--silent', '--pack-destination', work], { cwd: join(repo, 'pkg') }).toString().trim().split('\n').pop();
  // Plain page: the tarball unpacked as node_modules/segmo, an import map, nothing else.
  const plain = join(work, 'plain');
  mkdirSync(join(plain, 'node_modules/segmo'), { recursive: true });
  execFileSync('tar', ['xzf', join(work, tgz), '-C', join(plain, 'node_modules/segmo'), '--strip-components', '1']);
  writeFileSync(join(plain, 'index.html'), `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,">
<script type="importmap">{ "imports": { "segmo": "./node_modules/segmo/index.js" } }</script>
<script type="module">
  import { MotionSegmenter } from 'segmo';
  window.run = async (url) => { const s = await MotionSegmenter.create({ device: 'cpu' }); window.result = await s.segment(url, { maxFrames: 8 }); return { frames: window.result.numFrames, threads: s.device.threads }; };
</script>`);
  // Vite app: installed from the tarball (npm, offline), built, served as static files.
  const app = join(work, 'vite-app');
  mkdirSync(join(app, 'src'), { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module', dependencies: { segmo: `file:../${tgz}` } }));
  writeFileSync(join(app, 'index.html'), `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module" src="/src/main.js"></script>`);
  writeFileSync(join(app, 'src/main.js'), `import { MotionSegmenter } from 'segmo';
window.run = async (url) => { const s = await MotionSegmenter.create({ device: 'cpu' }); window.result = await s.segment(url, { maxFrames: 8 }); return { frames: window.result.numFrames, threads: s.device.threads }; };`);
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--ignore-scripts'], { cwd: app, stdio: 'ignore' });
  // The declarations as a TypeScript app sees them through the package's `exports`: right
  // uses compile, wrong ones must be errors (each @ts-expect-error fails the check if unused).
  writeFileSync(join(app, 'tsconfig.json'), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, target: 'ES2022', module: 'ESNext', moduleResolution: 'bundler', lib: ['ES2022', 'DOM'], skipLibCheck: false }, files: ['src/check.ts'] }));
  writeFileSync(join(app, 'src/check.ts'), TYPES_CHECK);
  execFileSync(process.execPath, [join(repo, 'www/node_modules/typescript/bin/tsc'), '-p', app], { stdio: 'inherit' });
  execFileSync(join(repo, 'www/node_modules/.bin/vite'), ['build', '--base', '/app/', '--logLevel', 'warn'], { cwd: app, stdio: 'inherit' });
  const jByApp = [];
  // The Vite app on a cross-origin isolated page: its bundle must start the threaded module's
  // workers too (the plain page, not isolated, stays on one thread).
  for (const [name, root, isolated] of [['plain', plain, false], ['vite', join(app, 'dist'), true]]) {
    const srv = await server({ '/app/': root }, { isolated });
    const b = await browser({ webgpu: false });
    try {
      const { page, foreign } = await watchedPage(b, srv.origin);
      await page.goto(`${srv.origin}/app/`);
      await page.waitForFunction(() => typeof window.run === 'function', null, { timeout: 60e3 });
      const { frames, threads } = await page.evaluate(() => window.run('/fixture/sample.webm'));
      const j = await meanJ(page, 'window.result');
      console.log(`  ${name}: ${frames} frames, J ${j.toFixed(3)}, ${threads} thread(s)`);
      assert(frames === 8 && j > J_MIN, `${name}: ${frames} frames, J ${j}`);
      assert(isolated ? threads > 1 : threads === 1, `${name}: ${threads} threads`);
      // Same package, clip and options: the same masks (frames are read exactly).
      jByApp.push(j);
      assert(jByApp.every((x) => x === jByApp[0]), `J differs between the pages: ${jByApp}`);
      assert(foreign().length === 0, `requests beyond the page's origin: ${foreign()}`);
    } finally {
      await b.close();
      await srv.close();
    }
  }
});

const failed = results.filter((r) => !r.ok).length;
console.log(`\ntest result: ${failed ? 'FAILED' : 'ok'}. ${results.length - failed} passed; ${failed} failed`);
process.exit(failed ? 1 : 0);
