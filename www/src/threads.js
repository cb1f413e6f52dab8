// Starts the threaded module's pool (src/wasm/pool.rs): `threads` module workers (thread.js),
// each on the module's shared memory, then the rayon pool they run. Call it from a worker,
// never the page's main thread: the CPU paths block while the pool works, which browsers allow
// only off the main thread. `mt` is the initialised `segmo_wasm_mt.js`. Returns the pool's size.
export async function startThreadPool(mt, threads) {
  const share = mt.threadPoolShare();
  const ready = [];
  for (let i = 0; i < threads; i++) {
    const w = new Worker(new URL('./thread.js', import.meta.url), { type: 'module', name: `segmo-thread-${i}` });
    ready.push(new Promise((ok, fail) => {
      w.onmessage = ({ data }) => (data.ready ? ok() : fail(new Error(data.error)));
      w.onerror = (e) => fail(new Error(e.message || 'a thread worker failed to start'));
    }));
    w.postMessage(share);
  }
  // Every worker must be running before the pool hands out its threads (see pool.rs).
  await Promise.all(ready);
  mt.buildThreadPool(threads);
  return mt.threadCount();
}
