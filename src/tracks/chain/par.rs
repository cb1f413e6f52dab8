//! The two loop shapes the builder parallelises, with and without rayon. Every item is computed
//! from read-only inputs and written to its own slot, so the results are bit-identical either
//! way (and in any thread count): parallelism never changes the order of float operations.

/// `f(0), f(1), ... f(n-1)` collected in index order.
pub(crate) fn map<R: Send>(n: usize, f: impl Fn(usize) -> R + Sync + Send) -> Vec<R> {
    #[cfg(threads)]
    {
        use rayon::prelude::*;
        (0..n).into_par_iter().map(f).collect()
    }
    #[cfg(not(threads))]
    {
        (0..n).map(f).collect()
    }
}

/// Calls `f(row_index, row)` for each `row_len`-long row of `data` (the last may be shorter).
pub(crate) fn rows<T: Send>(data: &mut [T], row_len: usize, f: impl Fn(usize, &mut [T]) + Sync + Send) {
    let row_len = row_len.max(1);
    #[cfg(threads)]
    {
        use rayon::prelude::*;
        data.par_chunks_mut(row_len).enumerate().for_each(|(i, r)| f(i, r));
    }
    #[cfg(not(threads))]
    {
        data.chunks_mut(row_len).enumerate().for_each(|(i, r)| f(i, r));
    }
}
