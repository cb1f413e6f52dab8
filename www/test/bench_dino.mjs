// DINOv2 ViT-B/14 in headless Chromium: segmo (wasm CPU backend, WebGPU) beside
// onnxruntime-web (wasm execution provider at 1 and 2 threads, webgpu execution provider) on the
// same weights and input, in one browser session. Prints a table of median forward times and
// the largest difference between the engines' outputs.
//   node www/test/bench_dino.mjs [--sizes 224x224,448x448] [--reps 3] [--rounds 1]
//        [--engines segmo-cpu,segmo-cpu-2,segmo-webgpu,segmo-webgpu-f16,ort-wasm-1,ort-wasm-2,ort-webgpu]
// segmo-cpu-N: the threaded module (www/build.sh) with N threads, in a worker (the page is
// cross-origin isolated, as onnxruntime-web's threads need too), its relaxed-SIMD build where
// the browser has it; segmo-cpu-N-simd: its plain wasm SIMD build.
// Needs pkg/ (www/build.sh). Makes its own reference tools on first use: a Python venv with
// torch + transformers (SEGMO_BENCH_VENV, default ~/.cache/segmo-torch-venv) that exports the
// model (random weights: the time does not depend on them) as model.safetensors for segmo and
// as ONNX for onnxruntime-web, and onnxruntime-web itself from npm (~/.cache/segmo-ort-web).
import { chromium } from 'playwright-core';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serve } from '../serve.mjs';

const ORT_VERSION = '1.30.0';
const repo = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const cache = join(process.env.HOME, '.cache');
const opt = (k, d) => {
  const i = process.argv.indexOf(`--${k}`);
  return i > 0 ? process.argv[i + 1] : d;
};
const sizes = opt('sizes', '224x224,448x448').split(',').map((s) => {
  const m = /^(\d+)x(\d+)(?:s(\d+))?$/.exec(s);
  if (!m) throw new Error(`size '${s}' is not HEIGHTxWIDTH or HEIGHTxWIDTHsSTRIDE`);
  return { label: s, h: Number(m[1]), w: Number(m[2]), stride: Number(m[3] ?? 14) };
});
const reps = Number(opt('reps', 3));
const rounds = Number(opt('rounds', 1));
const ok = (r) => r && r.ms !== undefined;
// The fastest engine of a kind ('segmo' or 'ort') in one round.
const best = (res, kind) => Math.min(...engines.filter((e) => e.startsWith(kind) && ok(res[e])).map((e) => res[e].ms));
const engines = opt('engines', 'segmo-cpu,segmo-cpu-2,segmo-webgpu,ort-wasm-1,ort-wasm-2,ort-webgpu').split(',');

function run(cmd, args, what) {
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`${what} failed: ${(r.stderr || r.stdout || String(r.error)).trim().split('\n').slice(-3).join(' | ')}`);
  return r.stdout;
}

function python() {
  const venv = process.env.SEGMO_BENCH_VENV ?? join(cache, 'segmo-torch-venv');
  const py = join(venv, 'bin', 'python');
  const check = ['-c', 'import torch, transformers, onnx, onnxscript, safetensors'];
  if (existsSync(py) && spawnSync(py, check).status === 0) return py;
  run('python3', ['-m', 'venv', venv], 'python3 -m venv');
  run(py, ['-m', 'pip', 'install', '-q', 'torch', 'numpy', 'transformers', 'onnx', 'onnxscript', 'onnxruntime', 'safetensors'], 'pip install');
  run(py, check, 'the bench venv');
  return py;
}

function ortDist() {
  const prefix = join(cache, 'segmo-ort-web');
  const dist = join(prefix, 'node_modules', 'onnxruntime-web', 'dist');
  if (!existsSync(join(dist, 'ort.all.min.mjs'))) {
    mkdirSync(prefix, { recursive: true });
    run('npm', ['install', '--prefix', prefix, '--no-save', '--no-audit', '--no-fund', `onnxruntime-web@${ORT_VERSION}`], 'npm install onnxruntime-web');
  }
  return dist;
}

// One folder per size: the weights for segmo, the ONNX graph for onnxruntime-web.
function models(size) {
  const dir = join(cache, 'segmo-bench-dino', `${size.h}x${size.w}s${size.stride}`);
  if (!existsSync(join(dir, 'dinov2.onnx')) || !existsSync(join(dir, 'model.safetensors'))) {
    console.error(`exporting ViT-B/14 for ${size.label} (torch.onnx) ...`);
    run(python(), [join(repo, 'tests/reference/torch_dino.py'), 'export', dir, String(size.h), String(size.w), String(size.stride)], 'export');
  }
  return dir;
}

// Runs in the page: one engine, warm-up + `reps` timed forward passes on the same input.
async function forwardInPage({ engine, h, w, stride, reps, url }) {
  const n = 3 * h * w;
  const pixels = new Float32Array(n);
  let s = 12345;
  for (let i = 0; i < n; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    pixels[i] = (s / 4294967296) * 4 - 2;
  }
  const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
  const times = [];
  let out;
  let device = '';
  const threaded = /^segmo-cpu-(\d+)(-simd)?$/.exec(engine);
  if (threaded) {
    const worker = new Worker('/www/test/dino_worker.mjs', { type: 'module' });
    const r = await new Promise((ok) => {
      worker.onmessage = ({ data }) => ok(data);
      worker.onerror = (e) => ok({ error: e.message || 'the worker failed' });
      worker.postMessage({ threads: Number(threaded[1]), variant: threaded[2] ? 'simd' : undefined, pixels, h, w, stride, reps, url });
    });
    worker.terminate();
    if (r.error) throw new Error(r.error);
    times.push(...r.times);
    out = r.out;
    device = r.device;
  } else if (engine.startsWith('segmo')) {
    const wasm = await import('/pkg/segmo_wasm.js');
    await wasm.default();
    const bytes = new Uint8Array(await (await fetch(`${url}/model.safetensors`)).arrayBuffer());
    // segmo-webgpu-f16: weights and activations stored in f16 (an error where the adapter
    // lacks shader-f16, as SwiftShader does; the row then says so).
    const precision = engine === 'segmo-webgpu-f16' ? 'f16' : 'f32';
    const model = await wasm.DinoFeatures.create(bytes, engine.startsWith('segmo-webgpu') ? 'webgpu' : 'cpu', stride, precision);
    const d = model.device;
    device = d.backend === 'gpu' ? `${d.name}${d.software ? ' (software)' : ''}` : 'wasm CPU';
    for (let r = 0; r <= reps; r++) {
      const t0 = performance.now();
      const res = await model.forward(pixels, h, w);
      if (r > 0) times.push(performance.now() - t0);
      out = res.tokens();
      res.free();
    }
    model.free();
  } else {
    const ort = await import('/ort/ort.all.min.mjs');
    ort.env.wasm.wasmPaths = '/ort/';
    const ep = engine === 'ort-webgpu' ? 'webgpu' : 'wasm';
    ort.env.wasm.numThreads = ep === 'wasm' ? Number(engine.split('-')[2]) : 1;
    const bytes = new Uint8Array(await (await fetch(`${url}/dinov2.onnx`)).arrayBuffer());
    const session = await ort.InferenceSession.create(bytes, { executionProviders: [ep], graphOptimizationLevel: 'all' });
    device = ep === 'wasm' ? `wasm, ${ort.env.wasm.numThreads} thread(s), crossOriginIsolated ${self.crossOriginIsolated}` : 'webgpu';
    const feed = { pixel_values: new ort.Tensor('float32', pixels, [1, 3, h, w]) };
    for (let r = 0; r <= reps; r++) {
      const t0 = performance.now();
      const res = await session.run(feed);
      if (r > 0) times.push(performance.now() - t0);
      out = res.last_hidden_state.data;
    }
    await session.release();
  }
  return { ms: median(times), device, sample: Array.from(out.subarray(0, 4096)), scale: out.reduce((a, v) => a + Math.abs(v), 0) / out.length };
}

const srv = await serve(repo, 0, { '/ort/': ortDist(), '/models/': join(cache, 'segmo-bench-dino') }, { isolated: true });
const origin = `http://127.0.0.1:${srv.address().port}`;
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  headless: true,
  args: ['--no-sandbox', '--disable-dev-shm-usage', '--enable-unsafe-webgpu'],
});
const rows = [];
const median = (a) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)];
for (const size of sizes) {
  const dir = models(size);
  const results = {};
  // Rounds of every engine in turn: this machine's speed drifts over minutes, so the ratio
  // column is the median of the rounds' own ratios (engines side by side in time).
  const ratios = [];
  for (let round = 0; round < rounds; round++) {
    const res = {};
    for (const engine of engines) {
      // A fresh page per engine: onnxruntime-web fixes its thread count at its first session.
      const page = await browser.newPage();
      await page.goto(`${origin}/www/demo/`);
      const t0 = Date.now();
      try {
        res[engine] = await page.evaluate(forwardInPage, { engine, h: size.h, w: size.w, stride: size.stride, reps, url: `/models/${dir.split('/').pop()}` });
        console.error(`${size.label} ${engine} (${res[engine].device}): ${res[engine].ms.toFixed(0)} ms`);
      } catch (e) {
        res[engine] = { error: String(e.message ?? e).split('\n')[0] };
        console.error(`${size.label} ${engine}: ${res[engine].error} (after ${((Date.now() - t0) / 1000).toFixed(0)} s)`);
      }
      await page.close();
    }
    for (const e of engines) {
      if (!results[e] || !ok(results[e])) results[e] = ok(res[e]) ? { ...res[e], all: [res[e].ms] } : results[e] ?? res[e];
      else if (ok(res[e])) results[e].all.push(res[e].ms);
    }
    const [ours, theirs] = [best(res, 'segmo'), best(res, 'ort')];
    if (Number.isFinite(ours) && Number.isFinite(theirs)) ratios.push(ours / theirs);
  }
  for (const e of engines) if (ok(results[e])) results[e].ms = median(results[e].all);
  rows.push({ size, results, ratio: ratios.length ? median(ratios) : NaN, ratios });
}
await browser.close();
srv.close();

const cell = (r) => (ok(r) ? `${r.ms.toFixed(0)} ms` : r ? `failed: ${r.error}` : '-');
console.log(`\nViT-B/14 forward in headless Chromium (${reps} reps after one warm-up, median; ${rounds} round(s), median over rounds; ratio: median of the rounds' ratios)\n`);
console.log(`| input | ${engines.join(' | ')} | segmo best / ORT best | max diff segmo-cpu vs ort-wasm |`);
console.log(`|${'---|'.repeat(engines.length + 3)}`);
for (const { size, results, ratio: r, ratios } of rows) {
  const [a, b] = [results['segmo-cpu'], results['ort-wasm-1'] ?? results['ort-wasm-2']];
  // transformers' position resize differs from SegAnyMo's at stride 7: compare stride 14 only.
  const diff = ok(a) && ok(b) && size.stride === 14 ? (Math.max(...a.sample.map((v, i) => Math.abs(v - b.sample[i]))) / b.scale).toExponential(1) : '-';
  const ratio = Number.isFinite(r) ? `${r.toFixed(2)}x${ratios.length > 1 ? ` (${ratios.map((x) => x.toFixed(2)).join(', ')})` : ''}` : '-';
  console.log(`| ${size.label} | ${engines.map((e) => cell(results[e])).join(' | ')} | ${ratio} | ${diff} |`);
}
for (const e of engines) {
  const r = rows.map((x) => x.results[e]).find(ok);
  if (r) console.log(`${e}: ${r.device}`);
}
writeFileSync(join(cache, 'segmo-bench-dino', 'last.json'), JSON.stringify(rows.map(({ size, results }) => ({ size: size.label, ms: Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.ms ?? v.error])) })), null, 1));
