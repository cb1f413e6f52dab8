//! Plain f64 attention on host slices: the ground truth our kernel and burn's path are tested
//! against. Deliberately the textbook formula (two passes, full softmax), nothing clever.

/// `q [B,H,Lq,D]`, `k`/`v [B,H,Lk,D]`, `mask [B,Lk]` (nonzero = attend), all row-major.
#[allow(clippy::too_many_arguments)]
pub fn attention_f64(
    q: &[f32],
    k: &[f32],
    v: &[f32],
    mask: Option<&[f32]>,
    [b, h, lq, lk, d]: [usize; 5],
    scale: f64,
) -> Vec<f32> {
    let mut out = vec![0f32; b * h * lq * d];
    let mut w = vec![0f64; lk];
    for bi in 0..b {
        for hi in 0..h {
            let bh = bi * h + hi;
            for i in 0..lq {
                let qi = &q[(bh * lq + i) * d..][..d];
                let mut max = f64::NEG_INFINITY;
                for j in 0..lk {
                    let keep = mask.map_or(true, |m| m[bi * lk + j] != 0.0);
                    w[j] = if keep {
                        let kj = &k[(bh * lk + j) * d..][..d];
                        scale * qi.iter().zip(kj).map(|(a, b)| *a as f64 * *b as f64).sum::<f64>()
                    } else {
                        f64::NEG_INFINITY
                    };
                    max = max.max(w[j]);
                }
                if max == f64::NEG_INFINITY {
                    continue;
                }
                let total: f64 = w.iter_mut().map(|x| {
                    *x = (*x - max).exp();
                    *x
                }).sum();
                let o = &mut out[(bh * lq + i) * d..][..d];
                for (j, wj) in w.iter().enumerate() {
                    let vj = &v[(bh * lk + j) * d..][..d];
                    for (oc, vc) in o.iter_mut().zip(vj) {
                        *oc += (wj / total * *vc as f64) as f32;
                    }
                }
            }
        }
    }
    out
}

/// `n` pseudo-random values in [-2, 2) from `seed`: inputs for the host kernels' tests
/// (native and in the browser).
pub(crate) fn random_values(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 4.0
        })
        .collect()
}

/// Checks a host attention kernel (`kernel(q, k, v, mask, shape, scale)`) against
/// [`attention_f64`] on each `(b, h, lq, lk, d)`, without and with a key mask (every batch
/// but the last attends to every third key; the last, when there are several, to none, whose
/// rows must come out as zeros). Max error 2e-5; the first failure is the error. Public for
/// the browser tests (`tests/web.rs`), which run the wasm kernels through it.
#[doc(hidden)]
pub fn check_host_kernel(
    kernel: impl Fn(&[f32], &[f32], &[f32], Option<&[f32]>, crate::cpu::attention::Shape, f32) -> Vec<f32>,
    cases: &[(usize, usize, usize, usize, usize)],
) -> Result<(), String> {
    for &(b, h, lq, lk, d) in cases {
        let q = random_values(b * h * lq * d, 1 + lq as u64);
        let k = random_values(b * h * lk * d, 2 + lk as u64);
        let v = random_values(b * h * lk * d, 3 + d as u64);
        let mask: Vec<f32> = (0..b * lk).map(|i| if i / lk + 1 < b || b == 1 { (i % 3 == 0) as u8 as f32 } else { 0.0 }).collect();
        for masked in [false, true] {
            let m = masked.then_some(mask.as_slice());
            let scale = 1.0 / (d as f32).sqrt();
            let got = kernel(&q, &k, &v, m, crate::cpu::attention::Shape { bh: b * h, heads: h, lq, lk, d }, scale);
            let want = attention_f64(&q, &k, &v, m, [b, h, lq, lk, d], scale as f64);
            let err = got.iter().zip(&want).map(|(a, b)| (a - b).abs()).fold(0.0, f32::max);
            if !(err < 2e-5) {
                return Err(format!("b{b} h{h} lq{lq} lk{lk} d{d} masked {masked}: max error {err}"));
            }
            if masked && b > 1 && !got[(b - 1) * h * lq * d..].iter().all(|&x| x == 0.0) {
                return Err(format!("b{b} h{h} lq{lq} lk{lk} d{d}: all-masked rows must be zeros"));
            }
        }
    }
    Ok(())
}
