// One thread of the threaded module's pool (src/wasm/pool.rs): a module Web Worker started by
// worker.js. It instantiates the same compiled module on the shared memory, says it is ready,
// then runs the rayon thread the pool hands it, which blocks this worker for good (here that
// is allowed; the pool ends when the segmenter's worker is terminated).
import init, { runPoolThread } from './segmo_wasm_mt.js';

self.onmessage = async ({ data: [module, memory] }) => {
  try {
    await init({ module_or_path: module, memory });
  } catch (e) {
    self.postMessage({ error: e?.message ?? String(e) });
    return;
  }
  self.postMessage({ ready: true });
  runPoolThread();
};
