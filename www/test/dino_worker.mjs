// bench_dino.mjs's threaded engines (segmo-cpu-N, segmo-cpu-N-simd): ViT-B/14 on the threaded module's CPU path
// with a pool of N threads, in a module worker (the pool blocks the thread that drives it,
// which the page's main thread may not do). Same protocol as the page's own engines: warm-up
// plus `reps` timed forwards, the times and the first outputs back.
import { startThreadPool } from '/pkg/threads.js';

self.onmessage = async ({ data: { threads, variant, pixels, h, w, stride, reps, url } }) => {
  try {
    const { glue: mt, threads: count, variant: simd } = await startThreadPool(threads, variant);
    const bytes = new Uint8Array(await (await fetch(`${url}/model.safetensors`)).arrayBuffer());
    const model = await mt.DinoFeatures.create(bytes, 'cpu', stride, 'f32');
    const times = [];
    let out;
    for (let r = 0; r <= reps; r++) {
      const t0 = performance.now();
      const res = await model.forward(pixels, h, w);
      if (r > 0) times.push(performance.now() - t0);
      out = res.tokens();
      res.free();
    }
    model.free();
    self.postMessage({ times, out, device: `wasm CPU, threaded module (${simd}), ${count} threads` });
  } catch (e) {
    self.postMessage({ error: e?.message ?? String(e) });
  }
};
