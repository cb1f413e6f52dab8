//! `segmo bench ...`: tables of stage timings, always beside a reference run in the same
//! process on the same device (timings across runs or machines are not comparable).

pub mod alloc;
pub mod attention;
pub mod tracks;

use std::time::Instant;

/// Median wall time in ms of `reps` runs after one warm-up (which also compiles pipelines).
pub fn median_ms(reps: usize, mut run: impl FnMut()) -> f64 {
    run();
    let mut t: Vec<f64> = (0..reps.max(1))
        .map(|_| {
            let start = Instant::now();
            run();
            start.elapsed().as_secs_f64() * 1e3
        })
        .collect();
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
