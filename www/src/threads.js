// The threaded modules (src/wasm/pool.rs): `segmo_wasm_mt.js` (wasm SIMD) and
// `segmo_wasm_mt_relaxed.js` (relaxed SIMD's fused multiply-add in our kernels, where the
// browser has it). Both glues are imported up front, not with import(): a bundler then keeps
// each worker one chunk (Vite's default worker format cannot split code); a glue is small and
// its wasm loads only when used.
import * as simd from './segmo_wasm_mt.js';
import * as relaxed from './segmo_wasm_mt_relaxed.js';

// A module with one function doing f32x4.relaxed_madd: valid where relaxed SIMD is supported.
const RELAXED_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // magic, version
  0x01, 0x08, 0x01, 0x60, 0x03, 0x7b, 0x7b, 0x7b, 0x01, 0x7b, // type: (v128, v128, v128) -> v128
  0x03, 0x02, 0x01, 0x00, // function 0 has that type
  0x0a, 0x0d, 0x01, 0x0b, 0x00, 0x20, 0x00, 0x20, 0x01, 0x20, 0x02, 0xfd, 0x85, 0x02, 0x0b, // local.get 0..2, f32x4.relaxed_madd
]);

/** Whether this browser runs relaxed SIMD. */
export const hasRelaxedSimd = () => WebAssembly.validate(RELAXED_PROBE);

/**
 * Loads a threaded module (`variant`: 'relaxed' or 'simd'; default relaxed where the browser
 * has it) and starts its pool: `threads` module workers (thread.js), each on the module's
 * shared memory, then the rayon pool they run. Call it from a worker, never the page's main
 * thread: the CPU paths block while the pool works, which browsers allow only off the main
 * thread. Returns `{ glue, threads, variant }`, `glue` being the initialised module's exports.
 */
export async function startThreadPool(threads, variant = hasRelaxedSimd() ? 'relaxed' : 'simd') {
  const glue = variant === 'relaxed' ? relaxed : simd;
  await glue.default();
  const share = glue.threadPoolShare();
  const ready = [];
  for (let i = 0; i < threads; i++) {
    const w = new Worker(new URL('./thread.js', import.meta.url), { type: 'module', name: `segmo-thread-${i}` });
    ready.push(new Promise((ok, fail) => {
      w.onmessage = ({ data }) => (data.ready ? ok() : fail(new Error(data.error)));
      w.onerror = (e) => fail(new Error(e.message || 'a thread worker failed to start'));
    }));
    w.postMessage({ share, variant });
  }
  // Every worker must be running before the pool hands out its threads (see pool.rs).
  await Promise.all(ready);
  glue.buildThreadPool(threads);
  return { glue, threads: glue.threadCount(), variant };
}
