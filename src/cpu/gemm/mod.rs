//! `C = A B + bias` (then an element-wise epilogue) on host slices with a register-blocked
//! kernel, for the CPU backend's linear layers in inference: AVX-512 natively ([`avx512`]),
//! wasm SIMD in the browser ([`simd128`]).
//!
//! The weight arrives as [`super::prepack`] stores it, the row-major `[in, out]` matrix. Each
//! thread copies the block of it that it is about to walk (256 rows x 512 columns) into
//! panels as wide as the register block, so the kernel reads the weight front to back
//! (straight from the strided rows it missed cache once per row and thrashed L1 sets); the
//! activations are read in place. The first depth block adds the bias, the last applies the
//! [`Epilogue`] (GELU, or LayerScale plus residual) while the values are in registers, which
//! saves the passes over memory those steps took as separate ops. ViT-B/14 at 224x224 went
//! from burn's matmul (the `gemm` crate, which repacks the weight on every call) to this
//! kernel at 1.22x PyTorch's time to 1.08x natively; in Chromium the linear layers run
//! 1.2-1.3x faster than through the `gemm` crate's wasm kernel.

// Where no kernel exists `supported` is false and nothing runs; the scaffolding stays compiled.
#![cfg_attr(
    not(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128"))),
    allow(dead_code, unused_imports, unused_variables)
)]

#[cfg(target_arch = "x86_64")]
mod avx512;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
pub(crate) mod simd128;
#[doc(hidden)]
pub mod check;

#[cfg(target_arch = "x86_64")]
type Native = avx512::Avx512;
#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
type Native = simd128::Simd128;

/// Depth of one block: a 32-column AVX-512 panel is then 32 KiB (L1).
const KC: usize = 256;
/// Columns of one weight block: 256 x 512 floats (512 KiB) stay in L2 while every row
/// block walks them.
const NC: usize = 512;

/// Whether [`linear`] runs here (AVX-512F, or a wasm build with SIMD); elsewhere callers keep
/// burn's matmul.
pub fn supported() -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        true
    }
    #[cfg(not(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128"))))]
    {
        false
    }
}

/// What happens to each output value `v = (a b)[i, j] + bias[j]` before it is stored: the
/// element-wise step that follows a linear layer in a transformer block, done while the value
/// is in a register instead of in another pass over memory.
#[derive(Clone, Copy, Debug)]
pub enum Epilogue<'a> {
    /// `v`.
    Plain,
    /// `gelu(v)`, exact-erf GELU as [`super::gelu`] computes it.
    Gelu,
    /// `residual[i, j] + gamma[j] * v` (`residual [m, n]`, `gamma [n]`): a LayerScale'd branch
    /// added to the residual stream.
    ScaledResidual { residual: &'a [f32], gamma: &'a [f32] },
}

/// `a [m, k]` (row-major) times `b [k, n]` (row-major, `ldb` >= `n` floats between rows), plus
/// `bias [n]`, then `epilogue`: `[m, n]` row-major. Panics unless [`supported`] and the slices
/// match the sizes.
#[allow(clippy::too_many_arguments)]
pub fn linear(a: &[f32], m: usize, k: usize, b: &[f32], ldb: usize, n: usize, bias: Option<&[f32]>, epilogue: Epilogue) -> Vec<f32> {
    assert!(supported(), "no matrix kernel for this CPU");
    assert_eq!(a.len(), m * k);
    assert!(ldb >= n && (k == 0 || b.len() >= (k - 1) * ldb + n), "weight slice too short for [{k}, {n}]");
    if let Some(bias) = bias {
        assert_eq!(bias.len(), n);
    }
    if let Epilogue::ScaledResidual { residual, gamma } = epilogue {
        assert_eq!(residual.len(), m * n);
        assert_eq!(gamma.len(), n);
    }
    if m == 0 || n == 0 || k == 0 {
        let mut c = vec![0.0f32; m * n];
        for (i, row) in c.chunks_mut(n.max(1)).enumerate() {
            for (j, v) in row.iter_mut().enumerate() {
                let x = bias.map_or(0.0, |b| b[j]);
                *v = match epilogue {
                    Epilogue::Plain => x,
                    Epilogue::Gelu => super::gelu::gelu_one(x),
                    Epilogue::ScaledResidual { residual, gamma } => residual[i * n + j] + gamma[j] * x,
                };
            }
        }
        return c;
    }
    #[cfg(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128")))]
    {
        multiply::<Native>(a, m, k, b, ldb, n, bias, epilogue)
    }
    #[cfg(not(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128"))))]
    unreachable!("`supported` is false here")
}

/// A register-blocked kernel for one instruction set.
trait Kernel {
    /// Rows of the register block.
    const MR: usize;
    /// Columns of the register block, and of a packed panel.
    const NR: usize;
    /// Columns `jc..jc_end` of `kc` rows of `b` (`ldb` apart) as panels of [`Self::NR`]
    /// columns, each `[kc, NR]` contiguous, the last one's missing columns zero.
    ///
    /// # Safety
    /// The CPU has the kernel's instructions; `panels` holds `kc * (jc_end - jc)` rounded up
    /// to whole panels; `b` holds the rows and columns read.
    unsafe fn pack_panels(b: &[f32], ldb: usize, kc: usize, jc: usize, jc_end: usize, panels: *mut f32);
    /// One register block of `rows` <= [`Self::MR`] rows.
    ///
    /// # Safety
    /// The CPU has the kernel's instructions; the tile's pointers cover what it reads and
    /// writes.
    unsafe fn tile(rows: usize, tile: Tile);
}

#[allow(clippy::too_many_arguments)]
fn multiply<K: Kernel>(a: &[f32], m: usize, k: usize, b: &[f32], ldb: usize, n: usize, bias: Option<&[f32]>, epilogue: Epilogue) -> Vec<f32> {
    // Every element is written by the first k-block (sum plus bias) before any is read.
    let mut c: Vec<std::mem::MaybeUninit<f32>> = Vec::with_capacity(m * n);
    // SAFETY: MaybeUninit needs no initialisation.
    unsafe { c.set_len(m * n) };
    let out = SharedOut(c.as_mut_ptr().cast());
    let tasks = Tasks::new(m, n, K::MR, K::NR);
    let task = |t: usize| {
        let (rows, cols) = tasks.ranges(t);
        // SAFETY: `linear` checked `supported` (the kernel's instructions) and the slices
        // against the sizes; tasks write disjoint blocks of `c`, which outlives this call.
        unsafe { block::<K>(a, m, k, b, ldb, n, bias, epilogue, &out, rows, cols) }
    };
    #[cfg(threads)]
    {
        use rayon::prelude::*;
        (0..tasks.count()).into_par_iter().for_each(task);
    }
    #[cfg(not(threads))]
    (0..tasks.count()).for_each(task);
    // SAFETY: every element was written (see above); MaybeUninit<f32> has f32's layout.
    unsafe {
        let mut c = std::mem::ManuallyDrop::new(c);
        Vec::from_raw_parts(c.as_mut_ptr().cast::<f32>(), c.len(), c.capacity())
    }
}

/// Output rows `row_range` x columns `cols`: depth blocks of [`KC`], weight blocks of [`NC`]
/// columns packed into panels, then register blocks over the rows.
#[allow(clippy::too_many_arguments)]
unsafe fn block<K: Kernel>(
    a: &[f32],
    m: usize,
    k: usize,
    b: &[f32],
    ldb: usize,
    n: usize,
    bias: Option<&[f32]>,
    epilogue: Epilogue,
    out: &SharedOut,
    row_range: std::ops::Range<usize>,
    cols: std::ops::Range<usize>,
) {
    let (j0, j1) = (cols.start, cols.end);
    debug_assert!(row_range.end <= m && j1 <= n);
    // The weight block being walked, copied into panels of `NR` columns, `[kc, NR]`
    // contiguous: as a kernel operand the source rows, `ldb` apart, cost a cache miss per
    // row on the first pass and L1 set conflicts after it.
    let len = KC.min(k) * NC.min((j1 - j0).div_ceil(K::NR) * K::NR);
    let mut panels: Vec<std::mem::MaybeUninit<f32>> = Vec::with_capacity(len);
    // SAFETY: MaybeUninit needs no initialisation; `pack_panels` writes what is read.
    panels.set_len(len);
    let panels = panels.as_mut_ptr().cast::<f32>();
    let mut k0 = 0;
    while k0 < k {
        let kc = KC.min(k - k0);
        let first = k0 == 0;
        let last = k0 + kc == k;
        let mut jc = j0;
        while jc < j1 {
            let jc_end = (jc + NC).min(j1);
            K::pack_panels(&b[k0 * ldb..], ldb, kc, jc, jc_end, panels);
            let mut i0 = row_range.start;
            while i0 < row_range.end {
                let rows = K::MR.min(row_range.end - i0);
                let mut j = jc;
                while j < jc_end {
                    let bias = match (first, bias) {
                        (true, Some(bias)) => bias.as_ptr().add(j),
                        _ => std::ptr::null(),
                    };
                    let tile = Tile {
                        kc,
                        a: a.as_ptr().add(i0 * k + k0),
                        lda: k,
                        b: panels.add((j - jc) * kc),
                        c: out.0.add(i0 * n + j),
                        ldc: n,
                        width: K::NR.min(jc_end - j),
                        first,
                        bias,
                        epilogue: match (last, epilogue) {
                            (false, _) | (true, Epilogue::Plain) => Epi::Plain,
                            (true, Epilogue::Gelu) => Epi::Gelu,
                            (true, Epilogue::ScaledResidual { residual, gamma }) => {
                                Epi::ScaledResidual { residual: residual.as_ptr().add(i0 * n + j), gamma: gamma.as_ptr().add(j) }
                            }
                        },
                    };
                    K::tile(rows, tile);
                    j += K::NR;
                }
                i0 += K::MR;
            }
            jc = jc_end;
        }
        k0 += kc;
    }
}

/// One register block's operands: `kc` steps along up to `MR` rows of `a` (`lda` apart)
/// against a packed panel `b` (`width` <= `NR` columns used), into `c`.
struct Tile {
    kc: usize,
    a: *const f32,
    lda: usize,
    b: *const f32,
    c: *mut f32,
    ldc: usize,
    width: usize,
    first: bool,
    /// Added on the first k-block (null: no bias).
    bias: *const f32,
    /// Applied on the last k-block; pointers at the tile's first element.
    epilogue: Epi,
}

#[derive(Clone, Copy)]
enum Epi {
    Plain,
    Gelu,
    /// Residual rows are `ldc` apart.
    ScaledResidual { residual: *const f32, gamma: *const f32 },
}

/// How the output is split over threads: by columns where there are panels enough for
/// every thread (each thread then packs only its share of the weight), else by rows (the
/// track classifier's layers are 16 to 64 wide over thousands of rows).
struct Tasks {
    m: usize,
    n: usize,
    by_columns: bool,
    /// Columns (a multiple of the block's columns) or rows (of its rows) per task.
    step: usize,
}

impl Tasks {
    fn new(m: usize, n: usize, mr: usize, nr: usize) -> Self {
        #[cfg(threads)]
        let threads = rayon::current_num_threads().max(1);
        #[cfg(not(threads))]
        let threads = 1;
        let panels = n.div_ceil(nr);
        if panels >= threads || m <= mr {
            Tasks { m, n, by_columns: true, step: panels.div_ceil(threads) * nr }
        } else {
            Tasks { m, n, by_columns: false, step: m.div_ceil(mr).div_ceil(threads) * mr }
        }
    }

    fn count(&self) -> usize {
        if self.by_columns { self.n.div_ceil(self.step) } else { self.m.div_ceil(self.step) }
    }

    /// Rows and columns of task `t`.
    fn ranges(&self, t: usize) -> (std::ops::Range<usize>, std::ops::Range<usize>) {
        let part = |len: usize| t * self.step..((t + 1) * self.step).min(len);
        if self.by_columns { (0..self.m, part(self.n)) } else { (part(self.m), 0..self.n) }
    }
}

/// The output buffer shared by the tasks.
struct SharedOut(*mut f32);
// SAFETY: tasks write disjoint blocks; the buffer outlives them (see `linear`).
unsafe impl Sync for SharedOut {}

#[cfg(test)]
mod tests {
    #[test]
    fn matches_the_f64_product_on_ragged_sizes() {
        if !super::supported() {
            eprintln!("skipped: no matrix kernel here");
            return;
        }
        super::check::products().unwrap();
    }

    #[test]
    fn empty_sizes_give_empty_or_bias_rows() {
        if !super::supported() {
            return;
        }
        super::check::empty_sizes().unwrap();
    }

    #[test]
    fn epilogues_match_the_separate_steps() {
        if !super::supported() {
            return;
        }
        super::check::epilogues().unwrap();
    }
}
