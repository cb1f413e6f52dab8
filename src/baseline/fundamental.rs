//! Two-view epipolar geometry: the fundamental matrix of a frame pair from point matches
//! (normalised eight-point fit inside RANSAC) and each match's Sampson distance to it. A
//! homography explains a static scene only under pure rotation or for a flat scene; the
//! epipolar constraint holds for every static point whatever its depth, so a point that
//! breaks it is moving, while parallax alone never does.

use super::homography::{normaliser, Point};
use super::rng::SplitMix64;

/// Row-major 3x3 matrix with `x_b^T F x_a = 0` for a static point seen at `x_a` then `x_b`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Fundamental(pub [f64; 9]);

impl Fundamental {
    /// First-order geometric distance (px) of the match `a -> b` from the epipolar constraint.
    pub(crate) fn sampson(&self, a: Point, b: Point) -> f64 {
        let f = &self.0;
        let fa = [f[0] * a.0 + f[1] * a.1 + f[2], f[3] * a.0 + f[4] * a.1 + f[5], f[6] * a.0 + f[7] * a.1 + f[8]];
        let ftb = [f[0] * b.0 + f[3] * b.1 + f[6], f[1] * b.0 + f[4] * b.1 + f[7], f[2] * b.0 + f[5] * b.1 + f[8]];
        let e = b.0 * fa[0] + b.1 * fa[1] + fa[2];
        let g = fa[0] * fa[0] + fa[1] * fa[1] + ftb[0] * ftb[0] + ftb[1] * ftb[1];
        if g <= 1e-300 {
            return f64::INFINITY;
        }
        e.abs() / g.sqrt()
    }
}

/// Eigen-decomposition of a symmetric `n x n` matrix (row-major) by cyclic Jacobi rotations:
/// eigenvalues ascending, eigenvectors as the matching columns of the returned matrix.
pub(crate) fn symmetric_eigen(mut a: Vec<f64>, n: usize) -> (Vec<f64>, Vec<f64>) {
    let mut v = vec![0.0; n * n];
    for i in 0..n {
        v[i * n + i] = 1.0;
    }
    for _sweep in 0..60 {
        let off: f64 = (0..n).flat_map(|i| (0..n).filter(move |&j| j != i).map(move |j| (i, j))).map(|(i, j)| a[i * n + j].powi(2)).sum();
        let scale: f64 = (0..n).map(|i| a[i * n + i].powi(2)).sum::<f64>().max(1e-300);
        if off <= 1e-30 * scale {
            break;
        }
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq.abs() < 1e-300 {
                    continue;
                }
                let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                let t = theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt());
                let t = if theta == 0.0 { 1.0 } else { t };
                let c = 1.0 / (t * t + 1.0).sqrt();
                let s = t * c;
                for k in 0..n {
                    let (akp, akq) = (a[k * n + p], a[k * n + q]);
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[p * n + k], a[q * n + k]);
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                for k in 0..n {
                    let (vkp, vkq) = (v[k * n + p], v[k * n + q]);
                    v[k * n + p] = c * vkp - s * vkq;
                    v[k * n + q] = s * vkp + c * vkq;
                }
            }
        }
    }
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| a[i * n + i].total_cmp(&a[j * n + j]));
    let values = order.iter().map(|&i| a[i * n + i]).collect();
    let mut vecs = vec![0.0; n * n];
    for (col, &i) in order.iter().enumerate() {
        for k in 0..n {
            vecs[k * n + col] = v[k * n + i];
        }
    }
    (values, vecs)
}

/// Least-squares fundamental matrix of at least eight matches (Hartley-normalised, rank 2
/// enforced); `None` for too few or degenerate matches.
pub(crate) fn fit_fundamental(src: &[Point], dst: &[Point]) -> Option<Fundamental> {
    if src.len() < 8 || src.len() != dst.len() {
        return None;
    }
    let ts = normaliser(src)?;
    let td = normaliser(dst)?;
    let mut ata = vec![0.0f64; 81];
    for (s, d) in src.iter().zip(dst) {
        let (x, y) = ts.apply(s.0, s.1)?;
        let (u, v) = td.apply(d.0, d.1)?;
        let r = [u * x, u * y, u, v * x, v * y, v, x, y, 1.0];
        for i in 0..9 {
            for j in 0..9 {
                ata[i * 9 + j] += r[i] * r[j];
            }
        }
    }
    let (values, vecs) = symmetric_eigen(ata, 9);
    // A second (near-)null direction means the matches do not pin the geometry down.
    if values[1] <= 1e-10 * values[8].max(1e-300) {
        return None;
    }
    let mut f: Vec<f64> = (0..9).map(|k| vecs[k * 9]).collect();
    // Rank 2: remove the direction of F's smallest singular value (F^T F's first eigenvector).
    let mut ftf = vec![0.0; 9];
    for i in 0..3 {
        for j in 0..3 {
            ftf[i * 3 + j] = (0..3).map(|k| f[k * 3 + i] * f[k * 3 + j]).sum();
        }
    }
    let (_, w) = symmetric_eigen(ftf, 3);
    let n3 = [w[0], w[3], w[6]];
    let fn3: Vec<f64> = (0..3).map(|i| (0..3).map(|k| f[i * 3 + k] * n3[k]).sum()).collect();
    for i in 0..3 {
        for j in 0..3 {
            f[i * 3 + j] -= fn3[i] * n3[j];
        }
    }
    // Back to pixels: F = Td^T Fn Ts.
    let (a, b) = (&td.0, &ts.0);
    let mut tf = [0.0; 9];
    for i in 0..3 {
        for j in 0..3 {
            tf[i * 3 + j] = (0..3).map(|k| a[k * 3 + i] * f[k * 3 + j]).sum();
        }
    }
    let mut out = [0.0; 9];
    for i in 0..3 {
        for j in 0..3 {
            out[i * 3 + j] = (0..3).map(|k| tf[i * 3 + k] * b[k * 3 + j]).sum();
        }
    }
    let norm = out.iter().map(|v| v * v).sum::<f64>().sqrt();
    (norm.is_finite() && norm > 0.0).then(|| Fundamental(out.map(|v| v / norm)))
}

/// Fundamental matrix with the most matches within `thresh` px (Sampson), from `iterations`
/// random eight-point samples, refitted on its inliers; with the inlier count.
pub(crate) fn estimate_fundamental(src: &[Point], dst: &[Point], iterations: usize, thresh: f64, seed: u64) -> Option<(Fundamental, usize)> {
    let n = src.len();
    if n < 8 || n != dst.len() {
        return None;
    }
    let mut rng = SplitMix64::new(seed);
    let count = |f: &Fundamental| src.iter().zip(dst).filter(|(a, b)| f.sampson(**a, **b) <= thresh).count();
    let mut best: Option<(Fundamental, usize)> = None;
    let mut idx = [0usize; 8];
    // Adaptive stop: enough samples that one of them was all inliers with 99% probability.
    let mut needed = iterations;
    let mut it = 0;
    while it < needed.min(iterations) {
        it += 1;
        let mut chosen = 0;
        let mut guard = 0;
        while chosen < 8 && guard < 128 {
            guard += 1;
            let c = rng.below(n);
            if !idx[..chosen].contains(&c) {
                idx[chosen] = c;
                chosen += 1;
            }
        }
        if chosen < 8 {
            continue;
        }
        let s: Vec<Point> = idx.iter().map(|&i| src[i]).collect();
        let d: Vec<Point> = idx.iter().map(|&i| dst[i]).collect();
        let Some(f) = fit_fundamental(&s, &d) else { continue };
        let c = count(&f);
        if best.as_ref().is_none_or(|b| c > b.1) {
            best = Some((f, c));
            let w = (c as f64 / n as f64).powi(8);
            needed = if w >= 1.0 { 1 } else { ((0.01f64).ln() / (1.0 - w).ln()).ceil().max(1.0) as usize };
        }
    }
    let (mut f, mut c) = best?;
    for _ in 0..2 {
        let (s, d): (Vec<Point>, Vec<Point>) = src.iter().zip(dst).filter(|(a, b)| f.sampson(**a, **b) <= thresh).map(|(a, b)| (*a, *b)).unzip();
        match fit_fundamental(&s, &d) {
            Some(r) => {
                let rc = count(&r);
                if rc >= c {
                    f = r;
                    c = rc;
                } else {
                    break;
                }
            }
            None => break,
        }
    }
    Some((f, c))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Static points at varied depths seen by a camera that rotates and translates, plus
    /// points of an object moving across the epipolar lines.
    fn scene(rng: &mut SplitMix64) -> (Vec<Point>, Vec<Point>, usize) {
        let fl = 300.0;
        let (c, s) = (0.02f64.cos(), 0.02f64.sin());
        let t = [0.4, 0.05, 0.1];
        let project = |p: [f64; 3]| (fl * p[0] / p[2] + 160.0, fl * p[1] / p[2] + 120.0);
        let (mut a, mut b) = (Vec::new(), Vec::new());
        let statics = 120;
        for i in 0..statics + 20 {
            let x = (rng.next_f64() - 0.5) * 8.0;
            let y = (rng.next_f64() - 0.5) * 6.0;
            let z = 4.0 + 12.0 * rng.next_f64();
            let p = [x, y, z];
            let mut q = [c * p[0] + s * p[2] + t[0], p[1] + t[1], -s * p[0] + c * p[2] + t[2]];
            if i >= statics {
                q[1] += 0.5; // moving down, across the mostly horizontal epipolar lines
            }
            a.push(project(p));
            b.push(project(q));
        }
        (a, b, statics)
    }

    #[test]
    fn static_points_keep_the_epipolar_constraint_and_movers_break_it() {
        let mut rng = SplitMix64::new(11);
        let (a, b, statics) = scene(&mut rng);
        let (f, inliers) = estimate_fundamental(&a, &b, 300, 0.5, 3).unwrap();
        assert!(inliers >= statics && inliers < statics + 5, "{inliers}");
        for i in 0..statics {
            assert!(f.sampson(a[i], b[i]) < 1e-3, "static {i}: {}", f.sampson(a[i], b[i]));
        }
        let moving: Vec<f64> = (statics..a.len()).map(|i| f.sampson(a[i], b[i])).collect();
        assert!(moving.iter().filter(|&&d| d > 2.0).count() >= 18, "{moving:?}");
        // The exact fit on the static points alone: rank 2, unit norm.
        let g = fit_fundamental(&a[..statics], &b[..statics]).unwrap();
        let m = &g.0;
        let det = m[0] * (m[4] * m[8] - m[5] * m[7]) - m[1] * (m[3] * m[8] - m[5] * m[6]) + m[2] * (m[3] * m[7] - m[4] * m[6]);
        assert!(det.abs() < 1e-9, "{det}");
        assert!((m.iter().map(|v| v * v).sum::<f64>() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn too_few_or_degenerate_matches_give_none() {
        let p: Vec<Point> = (0..7).map(|i| (i as f64, 2.0 * i as f64 + 1.0)).collect();
        assert_eq!(fit_fundamental(&p, &p), None);
        let line: Vec<Point> = (0..30).map(|i| (i as f64, i as f64)).collect();
        assert_eq!(estimate_fundamental(&line, &line, 50, 1.0, 0), None);
    }

    #[test]
    fn jacobi_diagonalises() {
        let a = vec![4.0, 1.0, 0.5, 1.0, 3.0, 0.2, 0.5, 0.2, 1.0];
        let (vals, vecs) = symmetric_eigen(a.clone(), 3);
        for col in 0..3 {
            for i in 0..3 {
                let av: f64 = (0..3).map(|k| a[i * 3 + k] * vecs[k * 3 + col]).sum();
                assert!((av - vals[col] * vecs[i * 3 + col]).abs() < 1e-10);
            }
        }
        assert!(vals[0] <= vals[1] && vals[1] <= vals[2]);
    }
}
