// The demo page: a local video in, moving-object masks out, all in this tab (the segmenter's
// worker). Exposes `window.segmoDemo` so the end-to-end tests can watch its state.
import { MotionSegmenter, PALETTE } from '../../pkg/index.js';
import { openVideo, readFrames } from '../../pkg/frames.js';
import { zipStore } from './zip.js';

const $ = (id) => document.getElementById(id);
const state = (window.segmoDemo = { status: 'starting', device: null, result: null, error: null, progress: [] });
let controller = null;
let frames = []; // ImageBitmaps of the processed frames, at the result's size
let hidden = new Set();
let current = 0;
let playing = null;

function showError(e) {
  state.error = e?.message ?? String(e);
  $('error').textContent = state.error;
  $('error').hidden = false;
}

// One segmenter per chosen device, created once; a change of device replaces it (a request
// made while one is being created waits for it rather than starting a second worker).
let active = null; // { device, promise }
function ensureSegmenter() {
  const device = $('device').value;
  if (active && active.device === device) return active.promise;
  const previous = active;
  const promise = (async () => {
    (await previous?.promise.catch(() => null))?.dispose();
    $('device-info').textContent = 'device: starting…';
    const s = await MotionSegmenter.create({ device, onProgress });
    state.device = s.device;
    const d = s.device;
    $('device-info').textContent = `device: ${d.backend === 'gpu' ? `WebGPU${d.name ? `, ${d.name}` : ''}${d.software ? ' (software adapter)' : ''}` : `CPU (wasm, ${d.threads > 1 ? `${d.threads} threads` : '1 thread'})${d.fallback_reason ? `; ${d.fallback_reason}` : ''}`}`;
    return s;
  })();
  active = { device, promise };
  promise.catch(() => active?.promise === promise && (active = null));
  return promise;
}

function onProgress(e) {
  state.progress.push(e);
  $('stage').textContent = e.message ?? `${e.stage}${e.total > 1 ? ` ${e.done}/${e.total}` : ''}${e.cached ? ' (cached)' : ''}`;
  $('bar').max = e.total || 1;
  $('bar').value = e.done;
}

// The processed frames, for playback under the masks: read the way the segmenter read them
// (same times, same size), kept as ImageBitmaps.
async function grabFrames(file, result, fps, stride) {
  const { width, height, numFrames } = result;
  const { video, release } = await openVideo(file);
  const bitmaps = [];
  try {
    const deliver = (i, { frame, rgba }) => {
      bitmaps[i] = frame
        ? createImageBitmap(frame, { resizeWidth: width, resizeHeight: height }).finally(() => frame.close())
        : createImageBitmap(new ImageData(new Uint8ClampedArray(rgba), width, height));
    };
    await readFrames(video, { width, height, fps, available: numFrames * stride, maxFrames: numFrames, frameStride: stride, deliver });
    return await Promise.all(bitmaps);
  } finally {
    release();
  }
}

async function run(file) {
  $('error').hidden = true;
  state.error = null;
  state.result = null;
  state.status = 'running';
  state.progress = [];
  $('viewer').hidden = true;
  $('progress').hidden = false;
  controller = new AbortController();
  const maxFrames = Number($('max-frames').value) || 50;
  const stride = Number($('stride').value) || 1;
  try {
    const seg = await ensureSegmenter();
    const t0 = performance.now();
    const result = await seg.segment(file, { maxFrames, frameStride: stride, signal: controller.signal, onProgress });
    state.seconds = (performance.now() - t0) / 1000;
    const fps = state.progress.find((e) => e.fps)?.fps ?? 30;
    frames = await grabFrames(file, result, fps, stride).catch(() => []);
    state.result = result;
    state.status = 'done';
    show(result);
  } catch (e) {
    state.status = e?.name === 'AbortError' ? 'cancelled' : 'error';
    showError(e);
  } finally {
    $('progress').hidden = true;
    controller = null;
  }
}

function show(result) {
  hidden = new Set();
  $('viewer').hidden = false;
  for (const c of [$('frame'), $('overlay')]) {
    c.width = result.width;
    c.height = result.height;
  }
  $('scrub').max = result.numFrames - 1;
  const objects = $('objects');
  objects.replaceChildren();
  if (!result.objects.length) objects.textContent = 'Nothing moves in this clip: no object was segmented.';
  for (const o of result.objects) {
    const label = document.createElement('label');
    const box = Object.assign(document.createElement('input'), { type: 'checkbox', checked: true });
    box.onchange = () => (box.checked ? hidden.delete(o.id) : hidden.add(o.id), draw());
    const [r, g, b] = PALETTE[(o.id - 1) % PALETTE.length];
    const swatch = Object.assign(document.createElement('span'), { className: 'swatch' });
    swatch.style.background = `rgb(${r},${g},${b})`;
    label.append(box, swatch, ` object ${o.id} (frames ${o.firstFrame}–${o.lastFrame}, ${(o.area * 100).toFixed(1)}% of the frame)`);
    objects.append(label);
  }
  $('summary').textContent = `${result.numFrames} frames ${result.width}x${result.height}, ${result.objects.length} objects, ${state.seconds.toFixed(1)} s`;
  current = 0;
  draw();
}

function draw() {
  const result = state.result;
  if (!result) return;
  $('scrub').value = current;
  $('frame-no').textContent = `${current + 1}/${result.numFrames}`;
  const fctx = $('frame').getContext('2d');
  if (frames[current]) fctx.drawImage(frames[current], 0, 0);
  $('overlay').getContext('2d').putImageData(result.imageDataAt(current, undefined, hidden), 0, 0);
}

function download(blob, name) {
  const a = Object.assign(document.createElement('a'), { href: URL.createObjectURL(blob), download: name });
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 1000);
}

// One PNG per frame, pixel value = object id (0 = background), as DAVIS-style label maps.
async function exportPng() {
  const r = state.result;
  const canvas = new OffscreenCanvas(r.width, r.height);
  const ctx = canvas.getContext('2d');
  const files = [];
  for (let i = 0; i < r.numFrames; i++) {
    const labels = r.labelsAt(i);
    const img = new ImageData(r.width, r.height);
    for (let p = 0; p < labels.length; p++) img.data.set([labels[p], labels[p], labels[p], 255], p * 4);
    ctx.putImageData(img, 0, 0);
    const bytes = new Uint8Array(await (await canvas.convertToBlob({ type: 'image/png' })).arrayBuffer());
    files.push({ name: `masks/${String(i).padStart(5, '0')}.png`, bytes });
  }
  download(zipStore(files), 'segmo-masks.zip');
}

$('file').onchange = (e) => e.target.files[0] && run(e.target.files[0]);
const drop = $('drop');
drop.ondragover = (e) => (e.preventDefault(), drop.classList.add('over'));
drop.ondragleave = () => drop.classList.remove('over');
drop.ondrop = (e) => {
  e.preventDefault();
  drop.classList.remove('over');
  const f = e.dataTransfer.files[0];
  if (f) run(f);
};
$('cancel').onclick = () => controller?.abort();
$('scrub').oninput = (e) => ((current = Number(e.target.value)), draw());
$('play').onclick = () => {
  if (playing) {
    clearInterval(playing);
    playing = null;
    $('play').textContent = 'play';
    return;
  }
  $('play').textContent = 'pause';
  playing = setInterval(() => ((current = (current + 1) % state.result.numFrames), draw()), 1000 / 15);
};
$('export-png').onclick = () => exportPng().catch(showError);
$('export-rle').onclick = () => download(new Blob([JSON.stringify(state.result.toRLE())], { type: 'application/json' }), 'segmo-masks.rle.json');
$('device').onchange = () => ensureSegmenter().catch(showError);

ensureSegmenter()
  .then(() => (state.status = 'ready'))
  .catch((e) => ((state.status = 'error'), showError(e)));
