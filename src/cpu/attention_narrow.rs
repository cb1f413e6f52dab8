//! Scaled dot-product attention for narrow heads (up to 16 channels) on host slices: the
//! released track classifier's encoder attends with 4 heads of 4 channels, over 24 frames along
//! each track and over 256 tracks in each frame. burn's CPU attention spends those on a scalar
//! `expf` per score (about 30% of the lite pipeline's CPU time); here keys go 16 to a vector
//! lane group, so a score costs a few vector instructions and its exponential is a vectorised
//! polynomial ([`exp2_nonpositive`]).
//!
//! Written as plain loops over 16-wide arrays, which the compiler vectorises for whatever the
//! build targets (AVX-512 or AVX2 where the CPU has them, chosen at run time; SSE; wasm
//! simd128), so the same kernel serves native and browser builds.

use super::attention::{per_head, Shape};
use super::vexp::exp2_nonpositive;

/// Keys per lane group.
const L: usize = 16;
/// Widest head this kernel takes.
pub const MAX_D: usize = 16;

/// Whether [`attention`] takes heads `d` wide.
pub fn supported(d: usize) -> bool {
    (1..=MAX_D).contains(&d)
}

/// `q [BH, Lq, D]`, `k`/`v [BH, Lk, D]`, `key_mask [B, Lk]` (nonzero = attend) -> `[BH, Lq, D]`,
/// all contiguous. Rows whose keys are all masked come out as zeros. Panics unless
/// [`supported`]`(d)` and the slices match `shape`.
pub fn attention(q: &[f32], k: &[f32], v: &[f32], key_mask: Option<&[f32]>, shape: Shape, scale: f32) -> Vec<f32> {
    let Shape { lk, d, .. } = shape;
    assert!(supported(d), "no narrow attention kernel for head width {d}");
    per_head(q, k, v, key_mask, shape, |qh, kh, vh, mask, out_h| run_head(qh, kh, vh, mask, lk, d, scale, out_h))
}

/// One head with the widest vectors the CPU has.
#[allow(clippy::too_many_arguments)]
fn run_head(q: &[f32], k: &[f32], v: &[f32], mask: Option<&[f32]>, lk: usize, d: usize, scale: f32, out: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F (checked just above).
            return unsafe { head_avx512(q, k, v, mask, lk, d, scale, out) };
        }
        if std::arch::is_x86_feature_detected!("avx2") && std::arch::is_x86_feature_detected!("fma") {
            // SAFETY: the CPU has AVX2 and FMA (checked just above).
            return unsafe { head_avx2(q, k, v, mask, lk, d, scale, out) };
        }
    }
    head_portable(q, k, v, mask, lk, d, scale, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
#[allow(clippy::too_many_arguments)]
unsafe fn head_avx512(q: &[f32], k: &[f32], v: &[f32], mask: Option<&[f32]>, lk: usize, d: usize, scale: f32, out: &mut [f32]) {
    head_portable(q, k, v, mask, lk, d, scale, out)
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2,fma")]
#[allow(clippy::too_many_arguments)]
unsafe fn head_avx2(q: &[f32], k: &[f32], v: &[f32], mask: Option<&[f32]>, lk: usize, d: usize, scale: f32, out: &mut [f32]) {
    head_portable(q, k, v, mask, lk, d, scale, out)
}

/// Keys and values transposed into groups of [`L`] (`[groups][d][L]`, zero-padded), and an
/// additive bias per key: 0 to attend, -inf for masked and padding keys.
struct Packed {
    kt: Vec<[f32; L]>,
    vt: Vec<[f32; L]>,
    bias: Vec<[f32; L]>,
}

#[inline(always)]
fn pack(k: &[f32], v: &[f32], mask: Option<&[f32]>, lk: usize, d: usize) -> Packed {
    let groups = lk.div_ceil(L);
    let mut kt = vec![[0.0f32; L]; groups * d];
    let mut vt = vec![[0.0f32; L]; groups * d];
    let mut bias = vec![[f32::NEG_INFINITY; L]; groups];
    for j in 0..lk {
        let (g, lane) = (j / L, j % L);
        for c in 0..d {
            kt[g * d + c][lane] = k[j * d + c];
            vt[g * d + c][lane] = v[j * d + c];
        }
        if mask.is_none_or(|m| m[j] != 0.0) {
            bias[g][lane] = 0.0;
        }
    }
    Packed { kt, vt, bias }
}

/// The head width as a constant where it is a common one (the loops over channels then unroll
/// and the accumulators stay in registers), else padded to [`MAX_D`] with zero channels.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn head_portable(q: &[f32], k: &[f32], v: &[f32], mask: Option<&[f32]>, lk: usize, d: usize, scale: f32, out: &mut [f32]) {
    match d {
        4 => head_of::<4>(q, k, v, mask, lk, scale, out),
        8 => head_of::<8>(q, k, v, mask, lk, scale, out),
        16 => head_of::<16>(q, k, v, mask, lk, scale, out),
        _ => {
            let pad = |x: &[f32]| x.chunks_exact(d).flat_map(|r| r.iter().copied().chain(std::iter::repeat_n(0.0, MAX_D - d))).collect::<Vec<f32>>();
            let mut wide = vec![0.0f32; out.len() / d * MAX_D];
            head_of::<MAX_D>(&pad(q), &pad(k), &pad(v), mask, lk, scale, &mut wide);
            for (o, w) in out.chunks_exact_mut(d).zip(wide.chunks_exact(MAX_D)) {
                o.copy_from_slice(&w[..d]);
            }
        }
    }
}

/// Two passes per query row over its scores (kept in a row buffer): scores and their lane-wise
/// maximum, then weights, their sum and the weighted values, all [`L`] keys at a time.
#[inline(always)]
fn head_of<const D: usize>(q: &[f32], k: &[f32], v: &[f32], mask: Option<&[f32]>, lk: usize, scale: f32, out: &mut [f32]) {
    let d = D;
    let p = pack(k, v, mask, lk, d);
    let groups = p.bias.len();
    let mut s = vec![[0.0f32; L]; groups];
    // Scores in log2 units: exp(x) = 2^(x log2 e).
    let f = scale * std::f32::consts::LOG2_E;
    for (qi, oi) in q.chunks_exact(d).zip(out.chunks_exact_mut(d)) {
        let mut qs = [0.0f32; D];
        for c in 0..d {
            qs[c] = qi[c] * f;
        }
        let mut mx = [f32::NEG_INFINITY; L];
        for g in 0..groups {
            let mut acc = p.bias[g];
            let kg: &[[f32; L]; D] = p.kt[g * d..][..D].try_into().expect("D groups");
            for c in 0..D {
                for l in 0..L {
                    acc[l] += qs[c] * kg[c][l];
                }
            }
            for l in 0..L {
                // A compare, not f32::max: that is a libm call per lane in wasm (see vexp).
                mx[l] = if acc[l] > mx[l] { acc[l] } else { mx[l] };
            }
            s[g] = acc;
        }
        let m = mx.iter().copied().fold(f32::NEG_INFINITY, f32::max);
        if m == f32::NEG_INFINITY {
            oi.fill(0.0);
            continue;
        }
        let mut sum = [0.0f32; L];
        let mut acc = [[0.0f32; L]; D];
        for g in 0..groups {
            let mut w = [0.0f32; L];
            for l in 0..L {
                w[l] = exp2_nonpositive(s[g][l] - m);
                sum[l] += w[l];
            }
            let vg: &[[f32; L]; D] = p.vt[g * d..][..D].try_into().expect("D groups");
            for c in 0..D {
                for l in 0..L {
                    acc[c][l] += w[l] * vg[c][l];
                }
            }
        }
        let inv = 1.0 / sum.iter().sum::<f32>();
        for c in 0..d {
            oi[c] = acc[c].iter().sum::<f32>() * inv;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::attention::reference::check_host_kernel;

    #[test]
    fn matches_the_f64_reference_with_masks_and_ragged_sizes() {
        assert!(supported(1) && supported(4) && supported(16) && !supported(0) && !supported(17));
        // (b, h, lq, lk, d): the classifier's shapes (time: 24 frames; tracks: 256), ragged key
        // counts, widths 1-16.
        check_host_kernel(attention, &[(3, 4, 24, 24, 4), (2, 4, 256, 256, 4), (1, 2, 13, 7, 8), (2, 3, 21, 300, 16), (1, 1, 5, 33, 1), (2, 2, 9, 17, 5)]).unwrap();
    }
}
