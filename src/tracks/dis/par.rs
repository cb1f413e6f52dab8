//! The only place that knows about threads. Every kernel writes disjoint rows of its output and
//! reads only inputs that no kernel of the same pass writes, so the result never depends on how
//! rows are split among threads (or on whether rayon is there at all, as on wasm32).

#[cfg(threads)]
/// Below about this many flops a pass runs serially: a rayon task costs about a microsecond.
const SERIAL_WORK: usize = 50_000;
#[cfg(threads)]
/// Rough flops per task, so that scheduling stays below ~1% of the work.
const TASK_WORK: usize = 40_000;

/// Calls `f(row_index, row)` for every `row_len`-long chunk of `out`; `work` is a rough flop
/// count per element, used only to decide how finely to split.
pub(crate) fn rows<T: Send>(
    out: &mut [T],
    row_len: usize,
    work: usize,
    f: impl Fn(usize, &mut [T]) + Sync + Send,
) {
    if row_len == 0 || out.is_empty() {
        return;
    }
    #[cfg(not(threads))]
    let _ = work;
    #[cfg(threads)]
    {
        use rayon::prelude::*;
        let total = out.len().saturating_mul(work.max(1));
        // A one-thread pool would only add a hand-off to another thread per pass.
        if total >= SERIAL_WORK && rayon::current_num_threads() > 1 {
            let min_rows = (TASK_WORK / (row_len * work.max(1))).max(1);
            out.par_chunks_mut(row_len)
                .enumerate()
                .with_min_len(min_rows)
                .for_each(|(y, row)| f(y, row));
            return;
        }
    }
    for (y, row) in out.chunks_mut(row_len).enumerate() {
        f(y, row);
    }
}

/// Like [`rows`] for two outputs split into the same number of rows.
pub(crate) fn rows2<T: Send, U: Send>(
    a: &mut [T],
    a_len: usize,
    b: &mut [U],
    b_len: usize,
    work: usize,
    f: impl Fn(usize, &mut [T], &mut [U]) + Sync + Send,
) {
    if a_len == 0 || b_len == 0 || a.is_empty() {
        return;
    }
    #[cfg(not(threads))]
    let _ = work;
    debug_assert_eq!(a.len() / a_len, b.len() / b_len);
    #[cfg(threads)]
    {
        use rayon::prelude::*;
        let total = a.len().saturating_mul(work.max(1));
        if total >= SERIAL_WORK && rayon::current_num_threads() > 1 {
            let min_rows = (TASK_WORK / (a_len * work.max(1))).max(1);
            a.par_chunks_mut(a_len)
                .zip(b.par_chunks_mut(b_len))
                .enumerate()
                .with_min_len(min_rows)
                .for_each(|(y, (ra, rb))| f(y, ra, rb));
            return;
        }
    }
    for (y, (ra, rb)) in a.chunks_mut(a_len).zip(b.chunks_mut(b_len)).enumerate() {
        f(y, ra, rb);
    }
}
