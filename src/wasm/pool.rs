//! rayon's thread pool on Web Workers, for the threaded module (`+atomics`: www/build.sh).
//!
//! Every CPU path that runs on rayon natively (linear layers, attention, flow, tracking, masks)
//! then runs on all the machine's cores in the browser too. The workers share this module's
//! memory: each instantiates the same compiled module on it (www/src/thread.js), says it is
//! ready, and blocks here until the pool hands it a rayon thread to run. Blocking is why the
//! pool is built only after every worker is ready: a worker still starting up cannot take its
//! thread, and one browsers start only while the creating thread's event loop turns.

use std::sync::{Condvar, Mutex};
use wasm_bindgen::prelude::*;

static WAITING: Mutex<Vec<rayon::ThreadBuilder>> = Mutex::new(Vec::new());
static HANDED_OUT: Condvar = Condvar::new();

/// `[module, memory]`: what a pool worker instantiates this module with.
#[wasm_bindgen(js_name = threadPoolShare)]
pub fn thread_pool_share() -> js_sys::Array {
    js_sys::Array::of2(&wasm_bindgen::module(), &wasm_bindgen::memory())
}

/// Runs in a pool worker, after it instantiated the module on the shared memory: takes one of
/// the pool's threads and runs it, which returns only when the pool ends with the page.
#[wasm_bindgen(js_name = runPoolThread)]
pub fn run_pool_thread() {
    let thread = {
        let mut waiting = WAITING.lock().unwrap_or_else(|p| p.into_inner());
        loop {
            if let Some(t) = waiting.pop() {
                break t;
            }
            waiting = HANDED_OUT.wait(waiting).unwrap_or_else(|p| p.into_inner());
        }
    };
    thread.run();
}

/// Builds rayon's global pool of `threads` threads, run by the workers that wait in
/// [`run_pool_thread`] (one each). Call once, before any CPU work: the first parallel loop
/// would otherwise fix a one-thread pool, and a second pool is refused.
#[wasm_bindgen(js_name = buildThreadPool)]
pub fn build_thread_pool(threads: usize) -> Result<(), JsError> {
    rayon::ThreadPoolBuilder::new()
        .num_threads(threads.max(1))
        .spawn_handler(|thread| {
            WAITING.lock().unwrap_or_else(|p| p.into_inner()).push(thread);
            HANDED_OUT.notify_all();
            Ok(())
        })
        .build_global()
        .map_err(|e| JsError::new(&format!("thread pool: {e}")))
}
