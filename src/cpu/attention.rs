//! Scaled dot-product attention on host slices with AVX-512 register blocking, for the CPU
//! backend's inference.
//!
//! burn's fused CPU attention computes the scores with its general matrix kernel per tile and
//! the softmax with a scalar `expf`: 60 ms for ViT-B/14's 12 heads at 1025 tokens, where the
//! 3.2 GFLOP need ~15 ms on two AVX-512 cores. Here each task takes 8 query rows of one head
//! and streams the keys in chunks: scores for 6 rows x 64 keys live in 24 vector registers
//! (keys read from transposed panels, so the inner loop is a broadcast and four FMAs per row,
//! the shape of a matrix-multiply microkernel), the online softmax runs on the chunk in
//! vector registers, and the weighted values accumulate 6 rows x 64 channels in registers.
//! No score matrix exists beyond one chunk (6 x 256 floats), so stride-7 DINOv2's 8108 tokens
//! cost no extra memory.
//!
//! In the browser (wasm SIMD) the same scheme runs with 4-wide vectors in 4 x 8 register
//! blocks (module `simd128`): burn's attention there took ~5 of the 11.5 s of ViT-B/14 at
//! 448x448 on one thread.

// Elsewhere `supported` is false and the kernel never runs; its scaffolding stays compiled.
#![cfg_attr(
    not(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128"))),
    allow(dead_code, unused_imports, unused_variables)
)]

use super::vexp::exp2_nonpositive;

/// Queries per task (rows of the register block).
const ROWS: usize = 6;
/// Row blocks per task: they take turns on each chunk of keys while it is in cache (one
/// head's keys and values at 8108 tokens are 4 MB, past a core's L2).
const GROUPS: usize = 8;
/// Keys per panel (the register block's width: four vectors of 16).
const PANEL: usize = 64;
/// Keys per chunk of scores (a multiple of [`PANEL`]).
const CHUNK: usize = 256;
/// Widest head the stack buffers hold.
const MAX_D: usize = 256;

/// Sizes of one call: `bh` = batch x heads, `heads` to find a head's batch for the mask.
#[derive(Clone, Copy, Debug)]
pub struct Shape {
    pub bh: usize,
    pub heads: usize,
    pub lq: usize,
    pub lk: usize,
    pub d: usize,
}

/// Whether [`attention`] has a kernel for head width `d` on this CPU (AVX-512F, `d` a multiple
/// of 16 up to 256; wasm SIMD, a multiple of 8); elsewhere the caller keeps burn's fused
/// attention.
pub fn supported(d: usize) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        d > 0 && d % 16 == 0 && d <= MAX_D && std::arch::is_x86_feature_detected!("avx512f")
    }
    #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
    {
        d > 0 && d % 8 == 0 && d <= MAX_D
    }
    #[cfg(not(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128"))))]
    {
        let _ = d;
        false
    }
}

/// [`attention`] against the f64 reference on ragged sizes, masks and several chunks: the
/// native tests and the browser tests (`tests/web.rs`, the wasm kernel) run it.
#[doc(hidden)]
pub fn check_against_reference() -> Result<(), String> {
    if !supported(64) {
        return Err("no host attention kernel on this CPU".into());
    }
    // (b, h, lq, lk, d): ragged rows and keys, several tasks per head, several chunks,
    // narrow and wide heads.
    crate::attention::reference::check_host_kernel(
        attention,
        &[(1, 2, 13, 7, 64), (1, 2, 100, 70, 64), (2, 3, 21, 300, 16), (1, 2, 9, 611, 128), (2, 1, 8, 1000, 32), (1, 1, 3, 33, 256), (1, 12, 257, 257, 64)],
    )
}

/// `q [BH, Lq, D]`, `k`/`v [BH, Lk, D]`, `key_mask [B, Lk]` (nonzero = attend) -> `[BH, Lq, D]`,
/// all contiguous. Rows whose keys are all masked come out as zeros. Panics unless
/// [`supported`]`(d)` and the slices match `shape`.
pub fn attention(q: &[f32], k: &[f32], v: &[f32], key_mask: Option<&[f32]>, shape: Shape, scale: f32) -> Vec<f32> {
    let Shape { heads, lq, lk, d, .. } = shape;
    let (lq_layout, lk_layout) = (Layout::heads_first(heads, lq, d), Layout::heads_first(heads, lk, d));
    attention_in(Operand { values: q, layout: lq_layout }, Operand { values: k, layout: lk_layout }, Operand { values: v, layout: lk_layout }, key_mask, shape, scale, lq_layout)
}

/// Where the rows of one head sit in a buffer: channel `c` of token `i` of head `h` of batch
/// item `n` at `n * batch + h * head + i * row + c`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Layout {
    pub batch: usize,
    pub head: usize,
    pub row: usize,
}

impl Layout {
    /// `[B, H, L, D]` contiguous.
    pub fn heads_first(heads: usize, len: usize, d: usize) -> Self {
        Layout { batch: heads * len * d, head: len * d, row: d }
    }

    /// `[B, L, H, D]` contiguous: heads side by side in each token's row, as a linear layer
    /// writes them.
    pub fn tokens_first(heads: usize, len: usize, d: usize) -> Self {
        Layout { batch: len * heads * d, head: d, row: heads * d }
    }

    /// Offset of head `bh` (batch item `bh / heads`, head `bh % heads`).
    fn start(&self, bh: usize, heads: usize) -> usize {
        (bh / heads) * self.batch + (bh % heads) * self.head
    }

    /// Floats a buffer needs for `bh` heads (a multiple of `heads`) of `len` rows of `d`: up
    /// to the last row of the last head of the last batch item (0 when empty).
    fn span(&self, bh: usize, heads: usize, len: usize, d: usize) -> usize {
        if bh == 0 || len == 0 || d == 0 {
            return 0;
        }
        (bh / heads - 1) * self.batch + (heads - 1) * self.head + (len - 1) * self.row + d
    }
}

/// A buffer and where its heads' rows are.
#[derive(Clone, Copy)]
pub struct Operand<'a> {
    pub values: &'a [f32],
    pub layout: Layout,
}

/// [`attention`] on operands laid out as `layout`s say (for example q, k and v read in place
/// from one `[B, L, 3, H, D]` projection), the output laid out as `out` (which must place
/// every element once in `BH * Lq * D` floats: [`Layout::heads_first`] or
/// [`Layout::tokens_first`]). Saves the copies that splitting the heads out and putting
/// them back costs around the kernel (ViT-B/14 at 257 tokens: ~1 ms per block); strided
/// values are gathered per head (see below).
#[allow(clippy::too_many_arguments)]
pub fn attention_in(q: Operand, k: Operand, v: Operand, key_mask: Option<&[f32]>, shape: Shape, scale: f32, out: Layout) -> Vec<f32> {
    let Shape { bh, heads, lq, lk, d } = shape;
    assert!(supported(d), "no CPU attention kernel for head width {d} here");
    assert!(heads > 0 && bh % heads == 0, "{bh} heads in batches of {heads}");
    for (name, o, len) in [("q", &q, lq), ("k", &k, lk), ("v", &v, lk)] {
        assert!(o.layout.row >= d, "{name}: rows of {d} overlap");
        assert!(o.values.len() >= o.layout.span(bh, heads, len, d), "{name}: buffer too short for its layout");
    }
    assert!(
        out == Layout::heads_first(heads, lq, d) || out == Layout::tokens_first(heads, lq, d),
        "output layout must place each element once"
    );
    if let Some(m) = key_mask {
        assert_eq!(m.len() * heads, bh * lk);
    }
    let mut result = vec![0.0f32; bh * lq * d];
    if lq == 0 || lk == 0 {
        return result;
    }
    let dst = SharedOut(result.as_mut_ptr());
    let dst = &dst;
    let tasks_per_head = lq.div_ceil(GROUPS * ROWS);
    for_each_index(bh, |h| {
        let mask = key_mask.map(|m| &m[(h / heads) * lk..][..lk]);
        let (qh, kh, vh) = (&q.values[q.layout.start(h, heads)..], &k.values[k.layout.start(h, heads)..], &v.values[v.layout.start(h, heads)..]);
        let packed = Packed::new(kh, k.layout.row, mask, lk, d);
        // Values rows of a wider buffer are copied together: the value loop steps key by
        // key, and rows a projection apart (9 KB in ViT-B/14) meet a new page each time
        // (ViT-B/14, 8108 tokens: 1.16 s per block read in place, 0.96 s copied).
        let gathered: Vec<f32>;
        let vh = if v.layout.row == d {
            vh
        } else {
            gathered = (0..lk).flat_map(|j| vh[j * v.layout.row..][..d].iter().copied()).collect();
            gathered.as_slice()
        };
        for_each_index(tasks_per_head, |t| {
            let first = t * GROUPS * ROWS;
            let rows = (GROUPS * ROWS).min(lq - first);
            let task = Rows {
                q: &qh[first * q.layout.row..],
                q_row: q.layout.row,
                rows,
                v: vh,
                lk,
                d,
                // SAFETY (of the writes): tasks own disjoint rows of disjoint heads, and
                // `out` places every element once inside `result`.
                out: unsafe { dst.0.add(out.start(h, heads) + first * out.row) },
                out_row: out.row,
            };
            // SAFETY: `supported(d)` (asserted above) checked AVX-512F and the head width;
            // the operands were checked against their layouts.
            #[cfg(target_arch = "x86_64")]
            unsafe {
                avx512::rows(task, &packed, scale)
            }
            // SAFETY: the build has wasm SIMD; `supported(d)` checked the head width.
            #[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
            unsafe {
                simd128::rows(task, &packed, scale)
            }
            #[cfg(not(any(target_arch = "x86_64", all(target_arch = "wasm32", target_feature = "simd128"))))]
            let _ = (task, &packed);
        });
    });
    result
}

/// One task's rows of one head: `rows` queries `q_row` apart, the head's values contiguous
/// (`[lk, d]`), outputs written `out_row` apart from `out`.
struct Rows<'a> {
    q: &'a [f32],
    q_row: usize,
    rows: usize,
    v: &'a [f32],
    lk: usize,
    d: usize,
    out: *mut f32,
    out_row: usize,
}

/// The output buffer the tasks share.
struct SharedOut(*mut f32);
// SAFETY: tasks write disjoint elements; the buffer outlives them (see `attention_in`).
unsafe impl Sync for SharedOut {}

/// `f(i)` for `i` in `0..n`, on the thread pool where there is one.
fn for_each_index(n: usize, f: impl Fn(usize) + Sync + Send) {
    #[cfg(threads)]
    {
        use rayon::prelude::*;
        (0..n).into_par_iter().for_each(f);
    }
    #[cfg(not(threads))]
    (0..n).for_each(f);
}

/// Checks the slices against `shape`, then runs `head(q, k, v, key mask, out)` on each head's
/// slices (`[Lq, D]`, `[Lk, D]`, `[Lk, D]`, `[Lk]`, `[Lq, D]`), heads on the thread pool where
/// there is one. Both host kernels share it.
pub(super) fn per_head(
    q: &[f32],
    k: &[f32],
    v: &[f32],
    key_mask: Option<&[f32]>,
    shape: Shape,
    head: impl Fn(&[f32], &[f32], &[f32], Option<&[f32]>, &mut [f32]) + Sync + Send,
) -> Vec<f32> {
    let Shape { bh, heads, lq, lk, d } = shape;
    assert_eq!(q.len(), bh * lq * d);
    assert_eq!(k.len(), bh * lk * d);
    assert_eq!(v.len(), bh * lk * d);
    if let Some(m) = key_mask {
        assert_eq!(m.len() * heads, bh * lk);
    }
    let mut out = vec![0.0f32; bh * lq * d];
    if lq == 0 || lk == 0 {
        return out;
    }
    for_each_chunk(&mut out, lq * d, |(h, out_h)| {
        let mask = key_mask.map(|m| &m[(h / heads) * lk..][..lk]);
        head(&q[h * lq * d..][..lq * d], &k[h * lk * d..][..lk * d], &v[h * lk * d..][..lk * d], mask, out_h)
    });
    out
}

/// `f((i, chunk))` for each `len`-sized chunk of `out`, on the thread pool where there is one.
fn for_each_chunk(out: &mut [f32], len: usize, f: impl Fn((usize, &mut [f32])) + Sync + Send) {
    #[cfg(threads)]
    {
        use rayon::prelude::*;
        out.par_chunks_mut(len).enumerate().for_each(f);
    }
    #[cfg(not(threads))]
    out.chunks_mut(len).enumerate().for_each(f);
}

/// One head's keys in panels of [`PANEL`]: panel `p` holds keys `64p..64p + 64` transposed,
/// `[D, 64]` contiguous, so the score loop streams one panel front to back (a plain transpose
/// would put its rows a page apart). Keys padded with zeros to a multiple of 64; an additive bias
/// per key: 0 to attend, -inf for masked and padding keys.
struct Packed {
    panels: Vec<f32>,
    bias: Vec<f32>,
    /// Keys after padding.
    stride: usize,
}

impl Packed {
    /// Keys `row` floats apart in `k`.
    fn new(k: &[f32], row: usize, mask: Option<&[f32]>, lk: usize, d: usize) -> Self {
        let stride = lk.div_ceil(PANEL) * PANEL;
        let mut panels = vec![0.0f32; d * stride];
        for (j, key) in (0..lk).map(|j| &k[j * row..][..d]).enumerate() {
            let panel = &mut panels[(j / PANEL) * PANEL * d..][..PANEL * d];
            for (c, &x) in key.iter().enumerate() {
                panel[c * PANEL + j % PANEL] = x;
            }
        }
        let bias = (0..stride)
            .map(|j| if j < lk && mask.is_none_or(|m| m[j] != 0.0) { 0.0 } else { f32::NEG_INFINITY })
            .collect();
        Self { panels, bias, stride }
    }
}

#[cfg(target_arch = "x86_64")]
mod avx512 {
    use super::{exp2_nonpositive, Packed, Rows, CHUNK, GROUPS, MAX_D, PANEL, ROWS};
    use std::arch::x86_64::*;

    /// Up to [`GROUPS`] x [`ROWS`] query rows of one head against all its keys.
    ///
    /// # Safety
    /// The CPU has AVX-512F; `t` holds `t.rows` queries and `t.lk` values at its strides, and
    /// `t.out` may be written at `t.rows` rows of `t.d`, `t.out_row` apart.
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn rows(t: Rows, k: &Packed, scale: f32) {
        let Rows { q, q_row, rows, v, lk, d, out, out_row } = t;
        let groups = rows.div_ceil(ROWS);
        // Queries pre-scaled into log2 units (exp(x) = 2^(x log2 e)), rows MAX_D apart;
        // missing rows are zeros.
        let mut qs = vec![0.0f32; groups * ROWS * MAX_D];
        let f = scale * std::f32::consts::LOG2_E;
        for r in 0..rows {
            for c in 0..d {
                qs[r * MAX_D + c] = q[r * q_row + c] * f;
            }
        }
        let mut s = [0.0f32; ROWS * CHUNK];
        let mut acc = vec![0.0f32; groups * ROWS * MAX_D];
        let (mut m, mut l) = ([f32::NEG_INFINITY; GROUPS * ROWS], [0.0f32; GROUPS * ROWS]);
        for j0 in (0..k.stride).step_by(CHUNK) {
            let kc = CHUNK.min(k.stride - j0);
            let valid = kc.min(lk.saturating_sub(j0));
            for g in 0..groups {
                let acc_g = &mut acc[g * ROWS * MAX_D..][..ROWS * MAX_D];
                scores(&qs[g * ROWS * MAX_D..][..ROWS * MAX_D], k, j0, kc, d, &mut s);
                for r in 0..ROWS {
                    let i = g * ROWS + r;
                    let alpha = softmax_chunk(s.as_mut_ptr().add(r * CHUNK), kc, &mut m[i], &mut l[i]);
                    if alpha != 1.0 {
                        acc_g[r * MAX_D..][..d].iter_mut().for_each(|a| *a *= alpha);
                    }
                }
                weighted_values(&s, &v[j0 * d..][..valid * d], valid, d, acc_g);
            }
        }
        for r in 0..rows {
            let inv = if l[r] > 0.0 { 1.0 / l[r] } else { 0.0 };
            for c in 0..d {
                *out.add(r * out_row + c) = acc[r * MAX_D + c] * inv;
            }
        }
    }

    /// The online softmax of one chunk of scores (log2 units) for one row: `kc` scores at `s`
    /// (a multiple of 32) become weights; the running max `m` and sum `l` are updated; returns
    /// the factor the row's accumulated values must be rescaled by (0 weights and factor 1
    /// while the row has seen only masked keys). Written with intrinsics because the compiler
    /// keeps the max and sum reductions scalar (floating-point order).
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn softmax_chunk(s: *mut f32, kc: usize, m: &mut f32, l: &mut f32) -> f32 {
        let mut mx = [_mm512_set1_ps(f32::NEG_INFINITY); 2];
        for j in (0..kc).step_by(32) {
            mx[0] = _mm512_max_ps(mx[0], _mm512_loadu_ps(s.add(j)));
            mx[1] = _mm512_max_ps(mx[1], _mm512_loadu_ps(s.add(j + 16)));
        }
        let m_new = m.max(_mm512_reduce_max_ps(_mm512_max_ps(mx[0], mx[1])));
        if m_new == f32::NEG_INFINITY {
            for j in (0..kc).step_by(16) {
                _mm512_storeu_ps(s.add(j), _mm512_setzero_ps());
            }
            return 1.0;
        }
        let alpha = exp2_nonpositive(*m - m_new);
        let mv = _mm512_set1_ps(m_new);
        let mut sum = [_mm512_setzero_ps(); 2];
        for j in (0..kc).step_by(32) {
            for u in 0..2 {
                let p = exp2(_mm512_sub_ps(_mm512_loadu_ps(s.add(j + 16 * u)), mv));
                _mm512_storeu_ps(s.add(j + 16 * u), p);
                sum[u] = _mm512_add_ps(sum[u], p);
            }
        }
        *l = *l * alpha + _mm512_reduce_add_ps(_mm512_add_ps(sum[0], sum[1]));
        *m = m_new;
        alpha
    }

    /// `2^x` for `x <= 0` (0 below f32's normal range and for -inf), as
    /// [`exp2_nonpositive`] but with AVX-512's rounding and exponent-scaling instructions.
    #[inline]
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn exp2(x: __m512) -> __m512 {
        let v = _mm512_max_ps(x, _mm512_set1_ps(-126.0));
        let n = _mm512_roundscale_ps::<{ _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC }>(v);
        let f = _mm512_mul_ps(_mm512_sub_ps(v, n), _mm512_set1_ps(std::f32::consts::LN_2));
        let mut p = _mm512_set1_ps(1.0 / 720.0);
        for c in [1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0] {
            p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(c));
        }
        let keep = _mm512_cmp_ps_mask::<_CMP_GE_OQ>(x, _mm512_set1_ps(-126.0));
        _mm512_maskz_mov_ps(keep, _mm512_scalef_ps(p, n))
    }

    /// `s[r, j] = q[r] . k[j0 + j] + bias` for [`ROWS`] rows and `kc` keys (a multiple of
    /// [`PANEL`]).
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn scores(q: &[f32], k: &Packed, j0: usize, kc: usize, d: usize, s: &mut [f32; ROWS * CHUNK]) {
        for jj in (0..kc).step_by(PANEL) {
            let panel = k.panels.as_ptr().add((j0 + jj) * d);
            let mut a = [[_mm512_setzero_ps(); 4]; ROWS];
            for c in 0..d {
                let row = panel.add(c * PANEL);
                let kv = [_mm512_loadu_ps(row), _mm512_loadu_ps(row.add(16)), _mm512_loadu_ps(row.add(32)), _mm512_loadu_ps(row.add(48))];
                for r in 0..ROWS {
                    let qv = _mm512_set1_ps(*q.get_unchecked(r * MAX_D + c));
                    for u in 0..4 {
                        a[r][u] = _mm512_fmadd_ps(qv, kv[u], a[r][u]);
                    }
                }
            }
            let b = k.bias.as_ptr().add(j0 + jj);
            for u in 0..4 {
                let bu = _mm512_loadu_ps(b.add(16 * u));
                for r in 0..ROWS {
                    _mm512_storeu_ps(s.as_mut_ptr().add(r * CHUNK + jj + 16 * u), _mm512_add_ps(a[r][u], bu));
                }
            }
        }
    }

    /// `acc[r] += sum_j p[r, j] v[j]` over `valid` keys: [`ROWS`] rows x 64 channels in
    /// registers where the head is a multiple of 64 wide, x 16 channels otherwise.
    #[inline]
    #[target_feature(enable = "avx512f")]
    unsafe fn weighted_values(p: &[f32; ROWS * CHUNK], v: &[f32], valid: usize, d: usize, acc: &mut [f32]) {
        let (vp, ap, pp) = (v.as_ptr(), acc.as_mut_ptr(), p.as_ptr());
        if d % 64 == 0 {
            for c0 in (0..d).step_by(64) {
                let mut a = [[_mm512_setzero_ps(); 4]; ROWS];
                for r in 0..ROWS {
                    for u in 0..4 {
                        a[r][u] = _mm512_loadu_ps(ap.add(r * MAX_D + c0 + 16 * u));
                    }
                }
                for j in 0..valid {
                    let row = vp.add(j * d + c0);
                    let vv = [_mm512_loadu_ps(row), _mm512_loadu_ps(row.add(16)), _mm512_loadu_ps(row.add(32)), _mm512_loadu_ps(row.add(48))];
                    for r in 0..ROWS {
                        let pv = _mm512_set1_ps(*pp.add(r * CHUNK + j));
                        for u in 0..4 {
                            a[r][u] = _mm512_fmadd_ps(pv, vv[u], a[r][u]);
                        }
                    }
                }
                for r in 0..ROWS {
                    for u in 0..4 {
                        _mm512_storeu_ps(ap.add(r * MAX_D + c0 + 16 * u), a[r][u]);
                    }
                }
            }
        } else {
            for c0 in (0..d).step_by(16) {
                let mut a = [_mm512_setzero_ps(); ROWS];
                for r in 0..ROWS {
                    a[r] = _mm512_loadu_ps(ap.add(r * MAX_D + c0));
                }
                for j in 0..valid {
                    let vv = _mm512_loadu_ps(vp.add(j * d + c0));
                    for r in 0..ROWS {
                        a[r] = _mm512_fmadd_ps(_mm512_set1_ps(*pp.add(r * CHUNK + j)), vv, a[r]);
                    }
                }
                for r in 0..ROWS {
                    _mm512_storeu_ps(ap.add(r * MAX_D + c0), a[r]);
                }
            }
        }
    }
}

#[cfg(all(target_arch = "wasm32", target_feature = "simd128"))]
mod simd128 {
    use super::{exp2_nonpositive, Packed, Rows, CHUNK, GROUPS, MAX_D, PANEL, ROWS};
    use crate::cpu::gemm::simd128::madd;
    use std::arch::wasm32::*;

    /// Rows of the register block: 4 rows x 8 keys (or channels) are 8 accumulators, the
    /// most V8 keeps in its 16 vector registers beside the operands (see gemm/simd128.rs).
    const R: usize = 4;
    /// Rows per task, as the caller cuts them.
    const TASK: usize = GROUPS * ROWS;

    /// Up to [`TASK`] query rows of one head against all its keys, [`R`] rows at a time.
    ///
    /// # Safety
    /// `t` holds `t.rows` queries and `t.lk` values at its strides, `t.d` is a multiple of 8
    /// up to [`MAX_D`], and `t.out` may be written at `t.rows` rows of `t.d`, `t.out_row` apart.
    pub(super) unsafe fn rows(t: Rows, k: &Packed, scale: f32) {
        let Rows { q, q_row, rows, v, lk, d, out, out_row } = t;
        debug_assert!(rows <= TASK && d % 8 == 0 && d <= MAX_D);
        let groups = rows.div_ceil(R);
        // Queries pre-scaled into log2 units, rows `d` apart; missing rows are zeros.
        let mut qs = vec![0.0f32; groups * R * d];
        let f = scale * std::f32::consts::LOG2_E;
        for r in 0..rows {
            for c in 0..d {
                qs[r * d + c] = q[r * q_row + c] * f;
            }
        }
        let mut s = vec![0.0f32; R * CHUNK];
        let mut acc = vec![0.0f32; groups * R * d];
        let (mut m, mut l) = ([f32::NEG_INFINITY; TASK], [0.0f32; TASK]);
        for j0 in (0..k.stride).step_by(CHUNK) {
            let kc = CHUNK.min(k.stride - j0);
            let valid = kc.min(lk.saturating_sub(j0));
            for g in 0..groups {
                let acc_g = &mut acc[g * R * d..][..R * d];
                scores(&qs[g * R * d..][..R * d], k, j0, kc, d, &mut s);
                for r in 0..R {
                    let i = g * R + r;
                    let alpha = softmax_chunk(&mut s[r * CHUNK..][..kc], &mut m[i], &mut l[i]);
                    if alpha != 1.0 {
                        acc_g[r * d..][..d].iter_mut().for_each(|a| *a *= alpha);
                    }
                }
                weighted_values(&s, &v[j0 * d..][..valid * d], valid, d, acc_g);
            }
        }
        for r in 0..rows {
            let inv = if l[r] > 0.0 { 1.0 / l[r] } else { 0.0 };
            for c in 0..d {
                *out.add(r * out_row + c) = acc[r * d + c] * inv;
            }
        }
    }

    /// The online softmax of one chunk of scores (log2 units, a multiple of 16 of them) for
    /// one row, as the AVX-512 kernel's: returns the factor for the row's accumulated values.
    #[inline(always)]
    unsafe fn softmax_chunk(s: &mut [f32], m: &mut f32, l: &mut f32) -> f32 {
        let (p, n) = (s.as_mut_ptr(), s.len());
        let mut mx = [f32x4_splat(f32::NEG_INFINITY); 4];
        for j in (0..n).step_by(16) {
            for (u, x) in mx.iter_mut().enumerate() {
                *x = f32x4_pmax(*x, v128_load(p.add(j + 4 * u) as *const v128));
            }
        }
        let mv = f32x4_pmax(f32x4_pmax(mx[0], mx[1]), f32x4_pmax(mx[2], mx[3]));
        let lanes = [f32x4_extract_lane::<0>(mv), f32x4_extract_lane::<1>(mv), f32x4_extract_lane::<2>(mv), f32x4_extract_lane::<3>(mv)];
        let m_new = lanes.iter().fold(*m, |a, &b| if b > a { b } else { a });
        if m_new == f32::NEG_INFINITY {
            s.fill(0.0);
            return 1.0;
        }
        let alpha = exp2_nonpositive(*m - m_new);
        let mv = f32x4_splat(m_new);
        let mut sum = [f32x4_splat(0.0); 4];
        for j in (0..n).step_by(16) {
            for (u, acc) in sum.iter_mut().enumerate() {
                let e = exp2(f32x4_sub(v128_load(p.add(j + 4 * u) as *const v128), mv));
                v128_store(p.add(j + 4 * u) as *mut v128, e);
                *acc = f32x4_add(*acc, e);
            }
        }
        let t = f32x4_add(f32x4_add(sum[0], sum[1]), f32x4_add(sum[2], sum[3]));
        let total = f32x4_extract_lane::<0>(t) + f32x4_extract_lane::<1>(t) + f32x4_extract_lane::<2>(t) + f32x4_extract_lane::<3>(t);
        *l = *l * alpha + total;
        *m = m_new;
        alpha
    }

    /// [`exp2_nonpositive`] on four lanes.
    #[inline(always)]
    pub(super) unsafe fn exp2(x: v128) -> v128 {
        const ROUND: f32 = 12_582_912.0;
        let lo = f32x4_splat(-126.0);
        let v = f32x4_pmax(x, lo);
        let t = f32x4_add(v, f32x4_splat(ROUND));
        let n = f32x4_sub(t, f32x4_splat(ROUND));
        let f = f32x4_mul(f32x4_sub(v, n), f32x4_splat(std::f32::consts::LN_2));
        let mut p = f32x4_splat(1.0 / 720.0);
        for c in [1.0 / 120.0, 1.0 / 24.0, 1.0 / 6.0, 0.5, 1.0, 1.0] {
            p = madd(p, f, f32x4_splat(c));
        }
        let scale = i32x4_shl(i32x4_sub(t, i32x4_splat(0x4B40_0000 - 127)), 23);
        v128_and(f32x4_mul(p, scale), f32x4_ge(x, lo))
    }

    /// `s[r, j] = q[r] . k[j0 + j] + bias` for [`R`] rows and `kc` keys (a multiple of
    /// [`PANEL`]), 8 keys of a panel at a time.
    #[inline(always)]
    unsafe fn scores(q: &[f32], k: &Packed, j0: usize, kc: usize, d: usize, s: &mut [f32]) {
        let (qp, sp) = (q.as_ptr(), s.as_mut_ptr());
        for jj in (0..kc).step_by(PANEL) {
            let panel = k.panels.as_ptr().add((j0 + jj) * d);
            for sub in (0..PANEL).step_by(8) {
                let mut a = [[f32x4_splat(0.0); 2]; R];
                for c in 0..d {
                    let row = panel.add(c * PANEL + sub);
                    let kv = [v128_load(row as *const v128), v128_load(row.add(4) as *const v128)];
                    for (r, ar) in a.iter_mut().enumerate() {
                        let qv = v128_load32_splat(qp.add(r * d + c) as *const u32);
                        ar[0] = madd(qv, kv[0], ar[0]);
                        ar[1] = madd(qv, kv[1], ar[1]);
                    }
                }
                let b = k.bias.as_ptr().add(j0 + jj + sub);
                for u in 0..2 {
                    let bu = v128_load(b.add(4 * u) as *const v128);
                    for (r, ar) in a.iter().enumerate() {
                        v128_store(sp.add(r * super::CHUNK + jj + sub + 4 * u) as *mut v128, f32x4_add(ar[u], bu));
                    }
                }
            }
        }
    }

    /// `acc[r] += sum_j p[r, j] v[j]` over `valid` keys, [`R`] rows x 8 channels in registers.
    #[inline(always)]
    unsafe fn weighted_values(p: &[f32], v: &[f32], valid: usize, d: usize, acc: &mut [f32]) {
        let (vp, ap, pp) = (v.as_ptr(), acc.as_mut_ptr(), p.as_ptr());
        for c0 in (0..d).step_by(8) {
            let mut a = [[f32x4_splat(0.0); 2]; R];
            for (r, ar) in a.iter_mut().enumerate() {
                ar[0] = v128_load(ap.add(r * d + c0) as *const v128);
                ar[1] = v128_load(ap.add(r * d + c0 + 4) as *const v128);
            }
            for j in 0..valid {
                let row = vp.add(j * d + c0);
                let vv = [v128_load(row as *const v128), v128_load(row.add(4) as *const v128)];
                for (r, ar) in a.iter_mut().enumerate() {
                    let pv = v128_load32_splat(pp.add(r * CHUNK + j) as *const u32);
                    ar[0] = madd(pv, vv[0], ar[0]);
                    ar[1] = madd(pv, vv[1], ar[1]);
                }
            }
            for (r, ar) in a.iter().enumerate() {
                v128_store(ap.add(r * d + c0) as *mut v128, ar[0]);
                v128_store(ap.add(r * d + c0 + 4) as *mut v128, ar[1]);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(target_arch = "x86_64")]
    #[test]
    fn vector_exp2_matches_f64() {
        if !supported(16) {
            return;
        }
        let xs: Vec<f32> = (0..=160_000).map(|i| -(i as f32) * 0.0008).chain([f32::NEG_INFINITY, -126.5, -1e30]).collect();
        let mut got = vec![0.0f32; xs.len().div_ceil(16) * 16];
        // SAFETY: AVX-512F checked by `supported`.
        unsafe {
            use std::arch::x86_64::*;
            for (i, ch) in xs.chunks(16).enumerate() {
                let mut buf = [0.0f32; 16];
                buf[..ch.len()].copy_from_slice(ch);
                _mm512_storeu_ps(got.as_mut_ptr().add(16 * i), avx512::exp2(_mm512_loadu_ps(buf.as_ptr())));
            }
        }
        for (x, g) in xs.iter().zip(&got) {
            let want = if *x < -126.0 { 0.0 } else { (*x as f64).exp2() };
            assert!((*g as f64 - want).abs() <= 3e-7 * want, "2^{x}: {g} vs {want}");
        }
    }

    #[test]
    fn reads_q_k_v_in_place_from_a_packed_projection_and_writes_either_layout() {
        if !supported(64) {
            return;
        }
        use crate::attention::reference::{attention_f64, random_values};
        for (b, h, l, d) in [(1, 12, 257, 64), (2, 3, 13, 16), (1, 2, 300, 32), (2, 1, 1, 64)] {
            let width = 3 * h * d;
            // [B, L, 3, H, D], as a linear layer projecting to q, k and v writes it.
            let qkv = random_values(b * l * width, 9 + l as u64);
            // The same values split out to [B, H, L, D] for the reference.
            let split = |part: usize| -> Vec<f32> {
                let mut out = Vec::with_capacity(b * h * l * d);
                for n in 0..b {
                    for head in 0..h {
                        for i in 0..l {
                            out.extend_from_slice(&qkv[n * l * width + i * width + part * h * d + head * d..][..d]);
                        }
                    }
                }
                out
            };
            let (q, k, v) = (split(0), split(1), split(2));
            let scale = 1.0 / (d as f32).sqrt();
            let want = attention_f64(&q, &k, &v, None, [b, h, l, l, d], scale as f64);
            let layout = Layout { batch: l * width, head: d, row: width };
            let operand = |part: usize| Operand { values: &qkv[part * h * d..], layout };
            let shape = Shape { bh: b * h, heads: h, lq: l, lk: l, d };
            let heads_first = attention_in(operand(0), operand(1), operand(2), None, shape, scale, Layout::heads_first(h, l, d));
            let err = heads_first.iter().zip(&want).map(|(a, w)| (a - w).abs()).fold(0.0, f32::max);
            assert!(err < 2e-5, "b{b} h{h} l{l} d{d}, heads first: max error {err}");
            // Tokens first: [B, L, H, D].
            let tokens_first = attention_in(operand(0), operand(1), operand(2), None, shape, scale, Layout::tokens_first(h, l, d));
            for n in 0..b {
                for head in 0..h {
                    for i in 0..l {
                        let got = &tokens_first[n * l * h * d + i * h * d + head * d..][..d];
                        let exp = &heads_first[n * h * l * d + head * l * d + i * d..][..d];
                        assert_eq!(got, exp, "b{b} h{h} l{l} d{d}: token {i} head {head}");
                    }
                }
            }
            // The contiguous entry point gives the same bits.
            assert_eq!(attention(&q, &k, &v, None, shape, scale), heads_first);
        }
    }

    #[test]
    #[should_panic(expected = "k: buffer too short")]
    fn an_operand_shorter_than_its_layout_is_refused() {
        if !supported(16) {
            panic!("k: buffer too short (no kernel here to test)");
        }
        let shape = Shape { bh: 2, heads: 2, lq: 4, lk: 4, d: 16 };
        let layout = Layout::tokens_first(2, 4, 16);
        let full = vec![0.5f32; 2 * 4 * 16];
        let short = vec![0.5f32; 2 * 4 * 16 - 1];
        let operand = |values| Operand { values, layout };
        attention_in(operand(&full), operand(&short), operand(&full), None, shape, 0.25, layout);
    }

    #[test]
    fn matches_the_f64_reference_with_masks_chunks_and_ragged_sizes() {
        if !supported(64) {
            eprintln!("no AVX-512 here: the kernel is not used, nothing to test");
            assert!(!supported(16));
            return;
        }
        assert!(!supported(4) && !supported(24) && !supported(512));
        check_against_reference().unwrap();
    }
}
