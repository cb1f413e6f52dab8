// The module Web Worker that owns the wasm module, the compute device and the weights. The
// main thread only decodes frames and posts them here, so it never blocks on the pipeline.
// Builds of the module: `segmo_wasm.js` (WebGPU and a single-threaded CPU path) and the
// threaded ones (threads.js: the CPU path on a pool of workers sharing the module's memory, no
// WebGPU), used when the pipeline runs on the CPU and the page may share memory (cross-origin
// isolated).
import init, { Segmo } from './segmo_wasm.js';
import { startThreadPool } from './threads.js';

const CACHE = 'segmo-weights-v1';
let segmo = null;
let frames = null; // the clip being received: { width, height, count, buffer, ctx }
let frameError = null; // a frame that could not be read, reported by the next `segment`

const post = (msg, transfer = []) => self.postMessage(msg, transfer);
const progress = (id, stage, done, total, extra = {}) => post({ type: 'progress', id, stage, done, total, ...extra });

// Weights from bytes as given, else from the Cache API, else downloaded (with progress);
// `store()` caches a download for the next visit. A server error is a clear error.
async function weightsBytes(id, src) {
  const kept = (bytes) => ({ bytes, store: async () => {} });
  if (src instanceof ArrayBuffer) return kept(new Uint8Array(src));
  if (ArrayBuffer.isView(src)) return kept(new Uint8Array(src.buffer, src.byteOffset, src.byteLength));
  const url = String(src);
  const cache = self.caches ? await self.caches.open(CACHE).catch(() => null) : null;
  const hit = cache ? await cache.match(url) : null;
  if (hit) {
    const bytes = new Uint8Array(await hit.arrayBuffer());
    progress(id, 'weights', bytes.length, bytes.length, { cached: true });
    return kept(bytes);
  }
  let resp;
  try {
    resp = await fetch(url);
  } catch (e) {
    throw new Error(`weights: could not download ${url} (${e.message})`);
  }
  if (!resp.ok) throw new Error(`weights: ${url} answered HTTP ${resp.status} ${resp.statusText}`.trim());
  const total = Number(resp.headers.get('content-length')) || 0;
  const chunks = [];
  let done = 0;
  const reader = resp.body.getReader();
  for (;;) {
    const { value, done: end } = await reader.read();
    if (end) break;
    chunks.push(value);
    done += value.length;
    progress(id, 'weights', done, total || done, { cached: false });
  }
  const bytes = new Uint8Array(done);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.length;
  }
  return { bytes, store: () => cache?.put(url, new Response(bytes, { headers: { 'content-type': 'application/octet-stream' } })).catch(() => {}) };
}

// A threaded module with a pool of `threads` workers, or null (with the reason logged) where
// the page cannot share memory or the module does not start. `relaxedSimd`: undefined picks
// the relaxed-SIMD build where the browser has it.
async function threadedSegmo(threads, relaxedSimd) {
  if (!self.crossOriginIsolated || threads < 2) return null;
  try {
    const pool = await startThreadPool(threads, relaxedSimd === undefined ? undefined : relaxedSimd ? 'relaxed' : 'simd');
    return { segmo: await pool.glue.Segmo.create('cpu'), threads: pool.threads, simd: pool.variant };
  } catch (e) {
    console.warn(`segmo: threaded CPU module unavailable, single-threaded CPU path instead (${e?.message ?? e})`);
    return null;
  }
}

async function create(id, { device, weights, wasm, threads, relaxedSimd }) {
  await init(wasm ? { module_or_path: wasm } : undefined);
  segmo = await Segmo.create(device ?? 'auto');
  // Why the CPU, if it was not asked for, stays the first module's answer.
  const info = { ...segmo.device, threads: 1, simd: 'simd' };
  // On the CPU path a threaded module replaces this one (every core; the plain-SIMD build gives
  // the same results; the relaxed one differs in the last bits of its sums). An
  // explicit `wasm` URL names this module only, so it stays.
  if (info.backend === 'cpu' && !wasm) {
    const mt = await threadedSegmo(threads ?? Math.min(navigator.hardwareConcurrency || 1, 8), relaxedSimd);
    if (mt) {
      segmo.free();
      segmo = mt.segmo;
      info.threads = mt.threads;
      info.simd = mt.simd;
    }
  }
  const { bytes, store } = await weightsBytes(id, weights);
  const parameters = segmo.loadWeights(bytes);
  // Only weights that loaded are cached: a wrong file is not kept for the next visit.
  await store();
  return { device: info, parameters };
}

function beginClip({ width, height, count }) {
  const canvas = new OffscreenCanvas(width, height);
  frames = { width, height, count, received: 0, buffer: new Uint8Array(width * height * 4 * count), ctx: canvas.getContext('2d', { willReadFrequently: true }) };
}

// A frame arrives as a VideoFrame (drawn and read here, off the main thread) or as RGBA bytes
// the main thread already read.
function addFrame({ index, frame, rgba }) {
  const { width, height, buffer, ctx } = frames;
  const at = index * width * height * 4;
  if (frame) {
    ctx.drawImage(frame, 0, 0, width, height);
    frame.close();
    buffer.set(ctx.getImageData(0, 0, width, height).data, at);
  } else {
    buffer.set(new Uint8Array(rgba), at);
  }
  frames.received++;
}

async function segment(id) {
  if (frameError || !frames) throw frameError ?? new Error('no frames were sent before segment');
  const { width, height, count, received, buffer } = frames;
  frames = null;
  if (received !== count) throw new Error(`internal: ${received} of ${count} frames arrived`);
  const out = await segmo.segment(width, height, buffer, (stage, done, total) => progress(id, stage, done, total));
  const labels = out.labels();
  const msg = { type: 'result', id, width: out.width, height: out.height, numFrames: out.numFrames, numTracks: out.numTracks, objects: out.objects, times: out.times, labels: labels.buffer };
  out.free();
  post(msg, [labels.buffer]);
}

self.onmessage = async ({ data }) => {
  const { id } = data;
  try {
    switch (data.type) {
      case 'create':
        post({ type: 'created', id, ...(await create(id, data)) });
        break;
      case 'begin':
        frameError = null;
        beginClip(data);
        break;
      case 'frame':
        try {
          if (frames && !frameError) addFrame(data);
          else data.frame?.close();
        } catch (e) {
          frameError = e;
        }
        break;
      case 'segment':
        await segment(id);
        break;
      default:
        throw new Error(`unknown message ${data.type}`);
    }
  } catch (e) {
    frames = null;
    frameError = null;
    // A Rust panic (or a trap) leaves the wasm instance unusable: the main thread replaces this
    // worker, and the caller hears what happened.
    if (e instanceof WebAssembly.RuntimeError) {
      post({ type: 'fatal', message: `${e.message} (see the console for the Rust panic)` });
      self.close();
      return;
    }
    post({ type: 'error', id, message: e?.message ?? String(e) });
  }
};

// A Rust panic aborts the module: report it rather than leave the caller waiting.
self.addEventListener('error', (e) => post({ type: 'fatal', message: e.message || 'the worker crashed' }));
self.addEventListener('unhandledrejection', (e) => post({ type: 'fatal', message: e.reason?.message ?? String(e.reason) }));
