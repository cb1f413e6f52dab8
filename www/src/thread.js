// One thread of a threaded module's pool (src/wasm/pool.rs): a module Web Worker started by
// threads.js. It instantiates the same compiled module on the shared memory, says it is ready,
// then runs the rayon thread the pool hands it, which blocks this worker for good (here that
// is allowed; the pool ends when the segmenter's worker is terminated).
import * as simd from './segmo_wasm_mt.js';
import * as relaxed from './segmo_wasm_mt_relaxed.js';

self.onmessage = async ({ data: { share: [module, memory], variant } }) => {
  const glue = variant === 'relaxed' ? relaxed : simd;
  try {
    await glue.default({ module_or_path: module, memory });
  } catch (e) {
    self.postMessage({ error: e?.message ?? String(e) });
    return;
  }
  self.postMessage({ ready: true });
  glue.runPoolThread();
};
