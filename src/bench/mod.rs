//! `segmo bench ...`: tables of stage timings, always beside a reference run in the same
//! process on the same device (timings across runs or machines are not comparable).

pub mod alloc;
pub mod attention;
pub mod classifier;
pub mod dino;
pub mod pipeline;
pub mod tracks;

use std::time::Instant;

/// Median wall time in ms of `reps` runs.
pub fn median_ms(reps: usize, mut run: impl FnMut()) -> f64 {
    // The first run also compiles pipelines and fills caches: a warm-up, unless it is so long
    // (a second or more) that its one-off costs vanish in it, then it is the first sample,
    // which keeps the long rows of a benchmark affordable on a software GPU.
    let start = Instant::now();
    run();
    let first = start.elapsed().as_secs_f64() * 1e3;
    let mut t: Vec<f64> = if first >= 1000.0 { vec![first] } else { Vec::new() };
    while t.len() < reps.max(1) {
        let start = Instant::now();
        run();
        t.push(start.elapsed().as_secs_f64() * 1e3);
    }
    t.sort_by(f64::total_cmp);
    t[t.len() / 2]
}

pub fn fmt_bytes(b: u64) -> String {
    if b >= 1 << 30 {
        format!("{:.2} GiB", b as f64 / (1u64 << 30) as f64)
    } else {
        format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64)
    }
}
