// segmo: moving-object segmentation in the browser. The main-thread API: it reads frames from
// a <video>, a File/Blob or a URL and hands them to a module Web Worker that runs the pipeline
// (wasm, on WebGPU when there is an adapter).
import { MAX_PIXELS, abortError, frameRate, openVideo, readFrames, scaledSize } from './frames.js';
import { SegmentationResult } from './result.js';

export { SegmentationResult };
export { PALETTE } from './result.js';

const DEFAULT_WEIGHTS = new URL('./lite-classifier.safetensors', import.meta.url);

export class MotionSegmenter {
  #options;
  #worker = null;
  #ready = null;
  #pending = new Map();
  #nextId = 1;
  #busy = false;
  #disposed = false;
  /** What runs the pipeline: `{ backend: 'gpu' | 'cpu', name, api, limits, fallback_reason }`. */
  device = null;
  /** Parameters of the loaded classifier. */
  parameters = 0;

  constructor(options) {
    this.#options = options;
  }

  /**
   * @param {{device?: 'auto'|'webgpu'|'cpu', weights?: string|URL|ArrayBuffer, threads?: number, relaxedSimd?: boolean, onProgress?: (e) => void}} [options]
   */
  static async create(options = {}) {
    const seg = new MotionSegmenter({ device: 'auto', ...options });
    await seg.#start();
    return seg;
  }

  // A fresh worker: the first one, or after a cancelled run (its worker is terminated, which
  // is what frees its GPU memory at once).
  #start() {
    const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'segmo' });
    this.#worker = worker;
    worker.onmessage = ({ data }) => this.#receive(data);
    worker.onerror = (e) => this.#fail(new Error(`segmo worker failed: ${e.message || 'could not start'}`));
    const { device, weights, threads, relaxedSimd, onProgress } = this.#options;
    let src = weights ?? DEFAULT_WEIGHTS;
    if (src instanceof URL) src = src.href;
    else if (typeof src === 'string') src = new URL(src, globalThis.location?.href).href;
    else if (src instanceof ArrayBuffer) src = src.slice(0);
    this.#ready = this.#call({ type: 'create', device, weights: src, threads, relaxedSimd }, onProgress).then((r) => {
      this.device = r.device;
      this.parameters = r.parameters;
      return r;
    });
    this.#ready.catch(() => {});
    return this.#ready;
  }

  #call(msg, onProgress, transfer = []) {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#pending.set(id, { resolve, reject, onProgress });
      this.#worker.postMessage({ ...msg, id }, transfer);
    });
  }

  #receive(data) {
    if (data.type === 'fatal') return this.#fail(new Error(`segmo worker crashed: ${data.message}`));
    const p = this.#pending.get(data.id);
    if (!p) return;
    if (data.type === 'progress') return p.onProgress?.({ stage: data.stage, done: data.done, total: data.total, cached: data.cached });
    this.#pending.delete(data.id);
    if (data.type === 'error') p.reject(new Error(data.message));
    else p.resolve(data);
  }

  // The worker is gone (crash, lost device that aborted the module): every caller hears it and
  // the next call starts a new worker.
  #fail(err) {
    for (const p of this.#pending.values()) p.reject(err);
    this.#pending.clear();
    this.#worker?.terminate();
    this.#worker = null;
    this.#ready = null;
  }

  /**
   * Segments the moving objects of a clip.
   * @param {HTMLVideoElement|Blob|string|URL} source
   * @param {{maxFrames?: number, frameStride?: number, maxPixels?: number, fps?: number, signal?: AbortSignal, onProgress?: (e) => void}} [options]
   * @returns {Promise<SegmentationResult>}
   */
  async segment(source, options = {}) {
    if (this.#disposed) throw new Error('this segmenter was disposed; create a new one');
    if (this.#busy) throw new Error('a segmentation is already running on this segmenter');
    const { maxFrames = 50, frameStride = 1, maxPixels = MAX_PIXELS, signal } = options;
    const onProgress = options.onProgress ?? this.#options.onProgress;
    if (signal?.aborted) throw abortError();
    this.#busy = true;
    const onAbort = () => {
      // Terminating the worker stops the pipeline wherever it is and frees its GPU memory.
      this.#fail(abortError());
      this.#start();
    };
    signal?.addEventListener('abort', onAbort);
    let opened = null;
    try {
      if (!this.#worker) this.#start();
      await this.#ready;
      opened = await openVideo(source, signal);
      const { video } = opened;
      const size = scaledSize(video.videoWidth, video.videoHeight, maxPixels);
      if (size.scaled) {
        onProgress?.({ stage: 'scale', done: 1, total: 1, from: [video.videoWidth, video.videoHeight], to: [size.width, size.height], message: `${video.videoWidth}x${video.videoHeight} scaled down to ${size.width}x${size.height}` });
      }
      const rate = options.fps ? { fps: options.fps, single: false } : await frameRate(video);
      const fps = rate.fps;
      const available = rate.single ? 1 : Math.max(1, Math.floor(video.duration * fps + 1e-6) || 1);
      const count = Math.min(maxFrames, Math.ceil(available / Math.max(1, frameStride)));
      onProgress?.({ stage: 'decode', done: 0, total: count, fps, width: size.width, height: size.height });
      this.#worker.postMessage({ type: 'begin', width: size.width, height: size.height, count });
      const post = (index, { frame, rgba }) => this.#worker?.postMessage({ type: 'frame', index, frame, rgba }, [frame ?? rgba]);
      const decoded = await readFrames(video, { ...size, fps, maxFrames: count, available, frameStride, signal, deliver: post, onProgress: (d, t) => onProgress?.({ stage: 'decode', done: d, total: t }) });
      if (decoded !== count) throw new Error(`internal: ${decoded} of ${count} frames decoded`);
      return new SegmentationResult(await this.#call({ type: 'segment' }, onProgress), this.device);
    } finally {
      signal?.removeEventListener('abort', onAbort);
      opened?.release();
      this.#busy = false;
    }
  }

  /** Stops the worker and frees its memory; the segmenter cannot be used afterwards. */
  dispose() {
    this.#disposed = true;
    this.#fail(new Error('the segmenter was disposed'));
  }
}
