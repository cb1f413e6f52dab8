// Time to first mask in headless Chromium for a 50-frame 854x480 clip (the synthetic sample,
// encoded as WebM), on SwiftShader WebGPU and on the wasm CPU fallback (cpu: one thread;
// cpu-N: the threaded module on N threads, the page being cross-origin isolated), plus the
// package's size. The pipeline segments the whole clip before its first mask, so that time is the
// whole run. Prints a table.
//   node www/test/bench.mjs [--frames 50] [--width 854] [--height 480] [--devices webgpu,cpu,cpu-2]
//   (after www/build.sh)
import { chromium } from 'playwright-core';
import { readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '../serve.mjs';
import { makeFixture } from './fixture.mjs';

const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const arg = (k, d) => {
  const i = process.argv.indexOf(`--${k}`);
  return i > 0 ? Number(process.argv[i + 1]) : d;
};
const [frames, width, height] = [arg('frames', 50), arg('width', 854), arg('height', 480)];
// `auto` skips a software adapter, so each row names its device.
const di = process.argv.indexOf('--devices');
const devices = di > 0 ? process.argv[di + 1].split(',') : ['webgpu', 'cpu', 'cpu-2'];
const segmoBin = process.env.SEGMO_BIN ?? join(process.env.CARGO_TARGET_DIR ?? join(process.env.HOME, '.cache/segmo-target'), 'debug/segmo');
const fixture = makeFixture({ segmo: segmoBin, width, height, frames });
const srv = await serve(repo, 0, { '/fixture/': fixture.dir }, { isolated: true });
const origin = `http://127.0.0.1:${srv.address().port}`;

const rows = [];
for (const device of devices) {
  const webgpu = device === 'webgpu';
  const b = await chromium.launch({
    executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-dev-shm-usage', webgpu ? '--enable-unsafe-webgpu' : '--disable-webgpu'],
  });
  const page = await b.newPage();
  await page.goto(`${origin}/www/demo/`);
  const [name, threads] = device.startsWith('cpu') ? ['cpu', Number(device.split('-')[1] ?? 1)] : [device, undefined];
  const r = await page.evaluate(async ({ frames, name, threads }) => {
    const { MotionSegmenter } = await import('/pkg/index.js');
    const t0 = performance.now();
    const seg = await MotionSegmenter.create({ device: name, threads });
    const created = performance.now() - t0;
    const t1 = performance.now();
    const res = await seg.segment('/fixture/sample.webm', { maxFrames: frames });
    const total = performance.now() - t1;
    seg.dispose();
    return { device: seg.device, created, total, times: res.times, frames: res.numFrames, objects: res.objects.length };
  }, { frames, name, threads });
  await b.close();
  const d = r.device;
  rows.push([
    d.backend === 'gpu' ? `WebGPU ${d.name || '(unnamed adapter)'}${d.software ? ', software' : ''}` : `CPU (wasm, ${d.threads} thread${d.threads > 1 ? 's' : ''})`,
    `${r.frames}x${width}x${height}`,
    (r.created / 1000).toFixed(1),
    (r.total / 1000).toFixed(1),
    (r.total / r.frames).toFixed(0),
    ['tracks', 'features', 'classifier', 'objects', 'masks'].map((k) => (r.times[k] / 1000).toFixed(1)).join(' / '),
    r.objects,
  ]);
}
srv.close();

const pkg = join(repo, 'pkg');
const size = (f) => statSync(join(pkg, f)).size;
const mb = (n) => `${(n / 1e6).toFixed(1)} MB`;
const js = readdirSync(pkg).filter((f) => f.endsWith('.js')).reduce((s, f) => s + size(f), 0);
console.log('| device | clip | create (s) | time to first mask (s) | ms/frame | tracks / features / classifier / objects / masks (s) | objects |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.join(' | ')} |`);
console.log(`\npackage: wasm ${mb(size('segmo_wasm_bg.wasm'))} (+ threaded CPU module ${mb(size('segmo_wasm_mt_bg.wasm'))}), JS ${(js / 1e3).toFixed(0)} kB, weights ${mb(size('lite-classifier.safetensors'))}`);
