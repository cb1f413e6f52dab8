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

/// `n` pseudo-random values in [-2, 2) from `seed`: inputs for the host kernels' tests.
#[cfg(test)]
pub(crate) fn random_values(n: usize, seed: u64) -> Vec<f32> {
    let mut s = seed;
    (0..n)
        .map(|_| {
            s = s.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            ((s >> 40) as f32 / (1u64 << 24) as f32 - 0.5) * 4.0
        })
        .collect()
}
