//! Planar camera-motion model: normalised DLT, affine fit, and RANSAC over point matches.

use super::rng::SplitMix64;

/// Row-major 3x3 matrix mapping homogeneous points of one frame to another.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Homography(pub [f64; 9]);

pub(crate) type Point = (f64, f64);

impl Homography {
    pub(crate) const IDENTITY: Homography = Homography([1.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]);

    /// `None` where the point maps to (or behind) the line at infinity.
    #[inline]
    pub(crate) fn apply(&self, x: f64, y: f64) -> Option<Point> {
        let m = &self.0;
        let w = m[6] * x + m[7] * y + m[8];
        if w.abs() < 1e-12 {
            return None;
        }
        Some(((m[0] * x + m[1] * y + m[2]) / w, (m[3] * x + m[4] * y + m[5]) / w))
    }

    /// `self * first`: apply `first`, then `self`.
    pub(crate) fn after(&self, first: &Homography) -> Homography {
        let (a, b) = (&self.0, &first.0);
        let mut r = [0.0; 9];
        for i in 0..3 {
            for j in 0..3 {
                r[i * 3 + j] = (0..3).map(|k| a[i * 3 + k] * b[k * 3 + j]).sum();
            }
        }
        Homography(r).normalised()
    }

    pub(crate) fn inverse(&self) -> Option<Homography> {
        let m = &self.0;
        let c = [
            m[4] * m[8] - m[5] * m[7],
            m[2] * m[7] - m[1] * m[8],
            m[1] * m[5] - m[2] * m[4],
            m[5] * m[6] - m[3] * m[8],
            m[0] * m[8] - m[2] * m[6],
            m[2] * m[3] - m[0] * m[5],
            m[3] * m[7] - m[4] * m[6],
            m[1] * m[6] - m[0] * m[7],
            m[0] * m[4] - m[1] * m[3],
        ];
        let det = m[0] * c[0] + m[1] * c[3] + m[2] * c[6];
        if !det.is_finite() || det.abs() < 1e-12 {
            return None;
        }
        Some(Homography(c.map(|v| v / det)).normalised())
    }

    fn normalised(self) -> Homography {
        let s = self.0[8];
        if s.abs() > 1e-12 && s.is_finite() {
            Homography(self.0.map(|v| v / s))
        } else {
            self
        }
    }

    /// Rejects fits that no real camera produces between neighbouring frames (folds, huge zooms,
    /// jumps of half the frame); such fits come from degenerate matches, and identity is safer.
    pub(crate) fn is_plausible(&self, w: usize, h: usize) -> bool {
        if self.0.iter().any(|v| !v.is_finite()) {
            return false;
        }
        let (wf, hf) = (w as f64, h as f64);
        let corners = [(0.0, 0.0), (wf, 0.0), (wf, hf), (0.0, hf)];
        let m = &self.0;
        let mut mapped = [(0.0, 0.0); 4];
        for (i, &(x, y)) in corners.iter().enumerate() {
            // The sign of w must agree with the centre's, or the image plane folds.
            let wc = m[6] * wf * 0.5 + m[7] * hf * 0.5 + m[8];
            let wp = m[6] * x + m[7] * y + m[8];
            if wc * wp <= 0.0 {
                return false;
            }
            let Some(p) = self.apply(x, y) else { return false };
            if (p.0 - x).abs() > 0.5 * wf.max(hf) || (p.1 - y).abs() > 0.5 * wf.max(hf) {
                return false;
            }
            mapped[i] = p;
        }
        // Convex, same orientation, and area ratio within [0.5, 2].
        let mut area = 0.0;
        for i in 0..4 {
            let (a, b, c) = (mapped[i], mapped[(i + 1) % 4], mapped[(i + 2) % 4]);
            let cross = (b.0 - a.0) * (c.1 - b.1) - (b.1 - a.1) * (c.0 - b.0);
            if cross <= 0.0 {
                return false;
            }
            area += a.0 * b.1 - b.0 * a.1;
        }
        let ratio = 0.5 * area / (wf * hf);
        (0.5..=2.0).contains(&ratio)
    }
}

/// Hartley normalisation: centroid to origin, mean distance sqrt(2), so the DLT's
/// normal equations stay well conditioned whatever the pixel scale.
pub(crate) fn normaliser(pts: &[Point]) -> Option<Homography> {
    let n = pts.len() as f64;
    let cx = pts.iter().map(|p| p.0).sum::<f64>() / n;
    let cy = pts.iter().map(|p| p.1).sum::<f64>() / n;
    let d = pts.iter().map(|p| ((p.0 - cx).powi(2) + (p.1 - cy).powi(2)).sqrt()).sum::<f64>() / n;
    if d.is_nan() || d <= 1e-9 {
        return None;
    }
    let s = std::f64::consts::SQRT_2 / d;
    Some(Homography([s, 0.0, -s * cx, 0.0, s, -s * cy, 0.0, 0.0, 1.0]))
}

/// Solves the square system `a x = b` (row-major, n x n) by Gaussian elimination with partial
/// pivoting; `None` when (numerically) singular.
fn solve(a: &mut [f64], b: &mut [f64], n: usize) -> Option<Vec<f64>> {
    for col in 0..n {
        let piv = (col..n).max_by(|&i, &j| a[i * n + col].abs().total_cmp(&a[j * n + col].abs()))?;
        let pivot = a[piv * n + col].abs();
        if pivot.is_nan() || pivot <= 1e-12 {
            return None;
        }
        if piv != col {
            for k in 0..n {
                a.swap(piv * n + k, col * n + k);
            }
            b.swap(piv, col);
        }
        for r in col + 1..n {
            let f = a[r * n + col] / a[col * n + col];
            if f != 0.0 {
                for k in col..n {
                    a[r * n + k] -= f * a[col * n + k];
                }
                b[r] -= f * b[col];
            }
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        let s: f64 = (r + 1..n).map(|k| a[r * n + k] * x[k]).sum();
        x[r] = (b[r] - s) / a[r * n + r];
    }
    x.iter().all(|v| v.is_finite()).then_some(x)
}

fn normalise_pair(src: &[Point], dst: &[Point]) -> Option<(Homography, Homography, Vec<Point>, Vec<Point>)> {
    let ts = normaliser(src)?;
    let td = normaliser(dst)?;
    let ns = src.iter().map(|p| ts.apply(p.0, p.1)).collect::<Option<Vec<_>>>()?;
    let nd = dst.iter().map(|p| td.apply(p.0, p.1)).collect::<Option<Vec<_>>>()?;
    Some((ts, td, ns, nd))
}

/// Least-squares homography (h33 = 1 in normalised coordinates, which only excludes warps whose
/// horizon passes through the point centroid: never the case between video frames).
pub(crate) fn fit_homography(src: &[Point], dst: &[Point]) -> Option<Homography> {
    if src.len() < 4 || src.len() != dst.len() {
        return None;
    }
    let (ts, td, ns, nd) = normalise_pair(src, dst)?;
    let mut ata = [0.0f64; 64];
    let mut atb = [0.0f64; 8];
    for (&(x, y), &(u, v)) in ns.iter().zip(&nd) {
        let rows = [([x, y, 1.0, 0.0, 0.0, 0.0, -u * x, -u * y], u), ([0.0, 0.0, 0.0, x, y, 1.0, -v * x, -v * y], v)];
        for (r, rhs) in rows {
            for i in 0..8 {
                atb[i] += r[i] * rhs;
                for j in 0..8 {
                    ata[i * 8 + j] += r[i] * r[j];
                }
            }
        }
    }
    let h = solve(&mut ata, &mut atb, 8)?;
    let hn = Homography([h[0], h[1], h[2], h[3], h[4], h[5], h[6], h[7], 1.0]);
    Some(td.inverse()?.after(&hn.after(&ts)))
}

/// Least-squares affine map: the fallback when too few matches pin down a homography.
pub(crate) fn fit_affine(src: &[Point], dst: &[Point]) -> Option<Homography> {
    if src.len() < 3 || src.len() != dst.len() {
        return None;
    }
    let (ts, td, ns, nd) = normalise_pair(src, dst)?;
    let mut ata = [0.0f64; 9];
    let (mut bu, mut bv) = ([0.0f64; 3], [0.0f64; 3]);
    for (&(x, y), &(u, v)) in ns.iter().zip(&nd) {
        let r = [x, y, 1.0];
        for i in 0..3 {
            bu[i] += r[i] * u;
            bv[i] += r[i] * v;
            for j in 0..3 {
                ata[i * 3 + j] += r[i] * r[j];
            }
        }
    }
    let a = solve(&mut ata.clone(), &mut bu, 3)?;
    let b = solve(&mut ata, &mut bv, 3)?;
    let hn = Homography([a[0], a[1], a[2], b[0], b[1], b[2], 0.0, 0.0, 1.0]);
    Some(td.inverse()?.after(&hn.after(&ts)))
}

#[derive(Clone, Copy, PartialEq, Debug)]
enum Model {
    Homography,
    Affine,
}

impl Model {
    fn sample_size(self) -> usize {
        match self {
            Model::Homography => 4,
            Model::Affine => 3,
        }
    }

    fn fit(self, src: &[Point], dst: &[Point]) -> Option<Homography> {
        match self {
            Model::Homography => fit_homography(src, dst),
            Model::Affine => fit_affine(src, dst),
        }
    }
}

fn collinear(a: Point, b: Point, c: Point) -> bool {
    ((b.0 - a.0) * (c.1 - a.1) - (b.1 - a.1) * (c.0 - a.0)).abs() < 1.0
}

/// Minimal samples with three (nearly) collinear points give arbitrary models; skip them.
fn degenerate(pts: &[Point]) -> bool {
    let n = pts.len();
    for i in 0..n {
        for j in i + 1..n {
            for k in j + 1..n {
                if collinear(pts[i], pts[j], pts[k]) {
                    return true;
                }
            }
        }
    }
    false
}

fn inliers(h: &Homography, src: &[Point], dst: &[Point], thresh2: f64) -> (Vec<bool>, usize, f64) {
    let mut mask = vec![false; src.len()];
    let (mut count, mut cost) = (0, 0.0);
    for (i, (s, d)) in src.iter().zip(dst).enumerate() {
        let e = h.apply(s.0, s.1).map(|p| (p.0 - d.0).powi(2) + (p.1 - d.1).powi(2)).unwrap_or(f64::INFINITY);
        if e < thresh2 {
            mask[i] = true;
            count += 1;
            cost += e;
        } else {
            cost += thresh2;
        }
    }
    (mask, count, cost)
}

fn ransac(
    model: Model,
    src: &[Point],
    dst: &[Point],
    frame: (usize, usize),
    iterations: usize,
    thresh: f64,
    rng: &mut SplitMix64,
) -> Option<(Homography, usize)> {
    let k = model.sample_size();
    let n = src.len();
    if n < k {
        return None;
    }
    let thresh2 = thresh * thresh;
    // Best by inlier count, ties by truncated squared error (MSAC-style) so the choice is stable.
    let mut best: Option<(Homography, usize, f64)> = None;
    let mut idx = [0usize; 4];
    for _ in 0..iterations {
        let mut chosen = 0;
        let mut guard = 0;
        while chosen < k && guard < 64 {
            guard += 1;
            let c = rng.below(n);
            if !idx[..chosen].contains(&c) {
                idx[chosen] = c;
                chosen += 1;
            }
        }
        if chosen < k {
            continue;
        }
        let s: Vec<Point> = idx[..k].iter().map(|&i| src[i]).collect();
        let d: Vec<Point> = idx[..k].iter().map(|&i| dst[i]).collect();
        if degenerate(&s) || degenerate(&d) {
            continue;
        }
        let Some(h) = model.fit(&s, &d) else { continue };
        if !h.is_plausible(frame.0, frame.1) {
            continue;
        }
        let (_, count, cost) = inliers(&h, src, dst, thresh2);
        if best.as_ref().is_none_or(|b| count > b.1 || (count == b.1 && cost < b.2)) {
            best = Some((h, count, cost));
        }
    }
    let (mut h, mut count, _) = best?;
    // Least-squares refits on the consensus set sharpen the minimal-sample estimate; two rounds
    // let the set grow once the model is better.
    for _ in 0..2 {
        let (mask, _, _) = inliers(&h, src, dst, thresh2);
        let s: Vec<Point> = src.iter().zip(&mask).filter(|p| *p.1).map(|p| *p.0).collect();
        let d: Vec<Point> = dst.iter().zip(&mask).filter(|p| *p.1).map(|p| *p.0).collect();
        match model.fit(&s, &d) {
            Some(r) if r.is_plausible(frame.0, frame.1) => {
                let (_, c, _) = inliers(&r, src, dst, thresh2);
                if c >= count {
                    h = r;
                    count = c;
                }
            }
            _ => break,
        }
    }
    Some((h, count))
}

/// Dominant planar motion mapping `src` points (frame a) onto `dst` (frame b). Tries a
/// homography, then an affine map when the homography has too little support; `None` when
/// neither is trustworthy (the caller then assumes a static camera).
pub(crate) fn estimate(
    src: &[Point],
    dst: &[Point],
    frame: (usize, usize),
    iterations: usize,
    thresh: f64,
    seed: u64,
) -> Option<Homography> {
    let mut rng = SplitMix64::new(seed);
    let n = src.len();
    // A quarter of the matches must agree: the background is normally the largest rigid set,
    // and below that a "dominant" motion is just as likely to be a foreground object.
    let enough = |count: usize, min: usize| count >= min && count * 4 >= n;
    if let Some((h, c)) = ransac(Model::Homography, src, dst, frame, iterations, thresh, &mut rng) {
        if enough(c, 12) {
            return Some(h);
        }
    }
    match ransac(Model::Affine, src, dst, frame, iterations, thresh, &mut rng) {
        Some((h, c)) if enough(c, 4) => Some(h),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn truth() -> Homography {
        let (c, s) = (0.03f64.cos(), 0.03f64.sin());
        Homography([1.02 * c, -s, 3.5, s, 1.02 * c, -2.0, 1e-4, -5e-5, 1.0])
    }

    fn grid() -> Vec<Point> {
        (0..10).flat_map(|i| (0..8).map(move |j| (5.0 + 11.0 * i as f64, 4.0 + 9.5 * j as f64))).collect()
    }

    #[test]
    fn dlt_recovers_exact_homography() {
        let h = truth();
        let src = grid();
        let dst: Vec<Point> = src.iter().map(|p| h.apply(p.0, p.1).unwrap()).collect();
        let f = fit_homography(&src, &dst).unwrap();
        for (a, b) in f.0.iter().zip(h.0.iter()) {
            assert!((a - b).abs() < 1e-8, "{f:?} vs {h:?}");
        }
        let inv = f.inverse().unwrap().after(&f);
        for (a, b) in inv.0.iter().zip(Homography::IDENTITY.0.iter()) {
            assert!((a - b).abs() < 1e-9);
        }
    }

    #[test]
    fn ransac_ignores_outliers() {
        let h = truth();
        let src = grid();
        let mut rng = SplitMix64::new(3);
        let dst: Vec<Point> = src
            .iter()
            .enumerate()
            .map(|(i, p)| {
                let q = h.apply(p.0, p.1).unwrap();
                if i % 3 == 0 {
                    (q.0 + 8.0 + 10.0 * rng.next_f64(), q.1 - 6.0) // an independently moving object
                } else {
                    (q.0 + 0.2 * (rng.next_f64() - 0.5), q.1 + 0.2 * (rng.next_f64() - 0.5))
                }
            })
            .collect();
        let f = estimate(&src, &dst, (120, 80), 300, 1.0, 1).unwrap();
        for p in &src {
            let (a, b) = (f.apply(p.0, p.1).unwrap(), h.apply(p.0, p.1).unwrap());
            assert!((a.0 - b.0).hypot(a.1 - b.1) < 0.3);
        }
        // Same seed, same answer.
        assert_eq!(Some(f), estimate(&src, &dst, (120, 80), 300, 1.0, 1));
    }

    #[test]
    fn too_few_or_degenerate_matches_give_none() {
        assert_eq!(estimate(&[], &[], (64, 64), 100, 1.0, 0), None);
        let line: Vec<Point> = (0..20).map(|i| (i as f64, i as f64)).collect();
        assert_eq!(estimate(&line, &line, (64, 64), 100, 1.0, 0), None);
    }

    #[test]
    fn implausible_warps_are_rejected() {
        assert!(Homography::IDENTITY.is_plausible(100, 50));
        assert!(!Homography([-1.0, 0.0, 100.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]).is_plausible(100, 50));
        assert!(!Homography([3.0, 0.0, 0.0, 0.0, 3.0, 0.0, 0.0, 0.0, 1.0]).is_plausible(100, 50));
    }
}
