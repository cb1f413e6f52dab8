//! Plane plus parallax: which tracks a moving camera explains once the depth of the scene is
//! taken into account.
//!
//! The dominant planar motion between two frames (a homography, RANSAC over all tracks) explains
//! the background plane, and any static point off that plane strays from it by its parallax:
//! an apple on a table, filmed by a camera circling it, strays as much as an object moving on
//! its own. Every static point's parallax points along the line from where the homography
//! carries it towards the epipole, the image of the camera's translation; a moving point in
//! general does not. A fundamental matrix fitted to all tracks cannot find that epipole when
//! the background is a plane (any epipole fits the plane, so RANSAC picks the one that makes
//! the object static, mover or not); the plane's homography itself can: with the intrinsics,
//! `K^-1 H K = R + t n^T` gives the translation `t` (Ma, Soatto, Kosecka and Sastry's
//! decomposition, two solutions with the plane in front of the camera). The intrinsics are
//! not known, so [`best_focal`] picks, per clip, the focal length under which the most
//! tracks keep the constraint.

use crate::baseline::fundamental::{symmetric_eigen, Fundamental};
use crate::baseline::homography::{Homography, Point};

pub(crate) type M3 = [[f64; 3]; 3];

/// Pinhole intrinsics, px: focal length and principal point.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Intrinsics {
    pub f: f64,
    pub cx: f64,
    pub cy: f64,
}

impl Intrinsics {
    /// Focal length `scale * max(width, height)`, principal point at the frame's centre.
    pub(crate) fn guess(width: usize, height: usize, scale: f64) -> Intrinsics {
        Intrinsics { f: scale * width.max(height) as f64, cx: width as f64 / 2.0, cy: height as f64 / 2.0 }
    }

    fn normalised(&self, p: Point) -> [f64; 3] {
        [(p.0 - self.cx) / self.f, (p.1 - self.cy) / self.f, 1.0]
    }

    /// `K`.
    fn matrix(&self) -> M3 {
        [[self.f, 0.0, self.cx], [0.0, self.f, self.cy], [0.0, 0.0, 1.0]]
    }

    /// `K^-1`.
    fn inverse(&self) -> M3 {
        [[1.0 / self.f, 0.0, -self.cx / self.f], [0.0, 1.0 / self.f, -self.cy / self.f], [0.0, 0.0, 1.0]]
    }
}

fn as_m3(h: &Homography) -> M3 {
    std::array::from_fn(|i| std::array::from_fn(|j| h.0[i * 3 + j]))
}

/// `h` (mapping frame-a pixels to frame b) in normalised coordinates under `k`, scaled and
/// signed as `R + t n^T` (`t` the translation over the plane's distance, `n` the plane's
/// normal), and the translations it decomposes into with the plane, seen at `plane_a` in
/// frame a, in front of the camera: two in general, none when `h` is a pure rotation (no
/// translation to find) or degenerate.
pub(crate) fn decompose(h: &Homography, k: Intrinsics, plane_a: &[Point], plane_b: &[Point]) -> Option<(M3, Vec<[f64; 3]>)> {
    let mut hn = mul(&mul(&k.inverse(), &as_m3(h)), &k.matrix());
    let hth = mul(&transpose(&hn), &hn);
    let (values, vectors) = symmetric_eigen(hth.iter().flatten().copied().collect(), 3);
    if !(values[1] > 1e-300) || !values.iter().all(|v| v.is_finite()) {
        return None;
    }
    // Scale: the middle singular value is 1 for `R + t n^T`. Sign: plane points must stay in
    // front of the camera, `x_b^T H x_a > 0`.
    let scale = values[1].sqrt();
    let positive = plane_a.iter().zip(plane_b).filter(|(a, b)| dot(&k.normalised(**b), &mul_v(&hn, k.normalised(**a))) > 0.0).count();
    let sign = if positive * 2 >= plane_a.len() { 1.0 } else { -1.0 };
    for row in hn.iter_mut() {
        for v in row.iter_mut() {
            *v *= sign / scale;
        }
    }
    let (s1, s3) = (values[2] / values[1], values[0] / values[1]);
    if s1 - s3 < 1e-10 {
        return None;
    }
    let column = |c: usize| [vectors[c], vectors[3 + c], vectors[6 + c]];
    let (v1, v2, v3) = (column(2), column(1), column(0));
    let (a, b, d) = ((1.0 - s3).max(0.0).sqrt(), (s1 - 1.0).max(0.0).sqrt(), (s1 - s3).sqrt());
    let mut out = Vec::new();
    for sb in [1.0, -1.0] {
        let u: [f64; 3] = std::array::from_fn(|i| (a * v1[i] + sb * b * v3[i]) / d);
        let (hv2, hu) = (mul_v(&hn, v2), mul_v(&hn, u));
        let uu = columns(v2, u, cross(&v2, &u));
        let ww = columns(hv2, hu, cross(&hv2, &hu));
        let r = mul(&ww, &transpose(&uu));
        let n = cross(&v2, &u);
        let diff: M3 = std::array::from_fn(|i| std::array::from_fn(|j| hn[i][j] - r[i][j]));
        let t = mul_v(&diff, n);
        for s in [1.0, -1.0] {
            let (n, t) = (n.map(|v| v * s), t.map(|v| v * s));
            let front = plane_a.iter().filter(|p| dot(&n, &k.normalised(**p)) > 0.0).count();
            if front * 10 >= plane_a.len() * 9 {
                out.push(t);
            }
        }
    }
    Some((hn, out))
}

/// The epipolar geometry of translation `t` (from [`decompose`]), in pixels: `F = [K t]_x H`,
/// whose lines through `H x_a` and the epipole `K t` every static point keeps, on the plane
/// or off it.
pub(crate) fn fundamental(h: &Homography, k: Intrinsics, t: [f64; 3]) -> Fundamental {
    let e = [k.f * t[0] + k.cx * t[2], k.f * t[1] + k.cy * t[2], t[2]];
    let ex: M3 = [[0.0, -e[2], e[1]], [e[2], 0.0, -e[0]], [-e[1], e[0], 0.0]];
    let f = mul(&ex, &as_m3(h));
    Fundamental(std::array::from_fn(|i| f[i / 3][i % 3]))
}

/// Among `scales` (focal length over the frame's larger side), the index whose decompositions
/// leave the most matches within `inlier_px` of their epipolar lines, summed over `pairs`;
/// `None` when no pair decomposes.
pub(crate) fn best_focal(pairs: &[&ParallaxPair], width: usize, height: usize, scales: &[f64], inlier_px: f64) -> Option<usize> {
    // Scales are scored independently (in parallel where threads exist), then compared in
    // order, so the first of equally good scales wins either way.
    let kept: Vec<Option<usize>> = crate::tracks::chain::par_map(scales.len(), |i| {
        let k = Intrinsics::guess(width, height, scales[i]);
        let mut kept = None;
        for p in pairs {
            if let Some(r) = p.residuals(k, inlier_px) {
                *kept.get_or_insert(0) += r.iter().filter(|&&d| d <= inlier_px).count();
            }
        }
        kept
    });
    let mut best: Option<(usize, usize)> = None;
    for (i, kept) in kept.into_iter().enumerate() {
        if let Some(kept) = kept {
            if best.is_none_or(|(_, b)| kept > b) {
                best = Some((i, kept));
            }
        }
    }
    best.map(|(i, _)| i)
}

/// The matches of one frame pair and the dominant plane's homography between them.
pub(crate) struct ParallaxPair {
    pub h: Homography,
    pub src: Vec<Point>,
    pub dst: Vec<Point>,
    /// Whether each match lies on the plane (within the homography's inlier distance).
    pub on_plane: Vec<bool>,
}

impl ParallaxPair {
    /// Each match's Sampson distance from the epipolar geometry of the decomposition (under
    /// `k`) that keeps the most matches within `inlier_px`; `None` when `h` does not decompose.
    /// Matches whose parallax would put them behind the plane read infinite: the plane hides
    /// what is behind it, so such a point is not static (a walker the camera follows moves
    /// along the epipolar lines, as if beyond the ground it walks on).
    pub(crate) fn residuals(&self, k: Intrinsics, inlier_px: f64) -> Option<Vec<f64>> {
        self.parallax(k, inlier_px).map(|p| p.residual)
    }

    /// [`Self::residuals`] with each match's height (see [`Parallax`]).
    pub(crate) fn parallax(&self, k: Intrinsics, inlier_px: f64) -> Option<Parallax> {
        let (plane_a, plane_b): (Vec<Point>, Vec<Point>) =
            self.src.iter().zip(&self.dst).zip(&self.on_plane).filter(|(_, &on)| on).map(|((a, b), _)| (*a, *b)).unzip();
        let (hn, translations) = decompose(&self.h, k, &plane_a, &plane_b)?;
        let mut best: Option<(usize, Parallax)> = None;
        for t in translations {
            let f = fundamental(&self.h, k, t);
            let height: Vec<f64> = self.src.iter().zip(&self.dst).map(|(a, b)| height(&hn, t, k.normalised(*a), k.normalised(*b))).collect();
            let residual: Vec<f64> = self
                .src
                .iter()
                .zip(&self.dst)
                .zip(&self.on_plane)
                .zip(&height)
                .map(|(((a, b), &on), &h)| if !on && h < 0.0 { f64::INFINITY } else { f.sampson(*a, *b) })
                .collect();
            let kept = residual.iter().filter(|&&d| d <= inlier_px).count();
            if best.as_ref().is_none_or(|(b, _)| kept > *b) {
                best = Some((kept, Parallax { residual, height }));
            }
        }
        best.map(|(_, p)| p)
    }
}

/// What the camera motion implies for each match of a pair.
pub(crate) struct Parallax {
    /// Sampson distance, px, infinite behind the plane.
    pub residual: Vec<f64>,
    /// Height over the plane relative to depth (`x_b ~ H x_a + height * t`): a static point
    /// keeps it from one pair to the next.
    pub height: Vec<f64>,
}

/// The point's height over the plane relative to its depth in frame a, from
/// `x_b ~ H x_a + height * t` (normalised coordinates): positive between the camera and the plane.
fn height(hn: &M3, t: [f64; 3], a: [f64; 3], b: [f64; 3]) -> f64 {
    let bt = cross(&b, &t);
    let bh = cross(&b, &mul_v(hn, a));
    let den = dot(&bt, &bt);
    if den < 1e-300 {
        return 0.0;
    }
    -dot(&bt, &bh) / den
}

fn mul(a: &M3, b: &M3) -> M3 {
    std::array::from_fn(|i| std::array::from_fn(|j| (0..3).map(|k| a[i][k] * b[k][j]).sum()))
}

fn mul_v(a: &M3, v: [f64; 3]) -> [f64; 3] {
    std::array::from_fn(|i| (0..3).map(|k| a[i][k] * v[k]).sum())
}

fn transpose(a: &M3) -> M3 {
    std::array::from_fn(|i| std::array::from_fn(|j| a[j][i]))
}

fn columns(a: [f64; 3], b: [f64; 3], c: [f64; 3]) -> M3 {
    std::array::from_fn(|i| [a[i], b[i], c[i]])
}

fn cross(a: &[f64; 3], b: &[f64; 3]) -> [f64; 3] {
    [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]]
}

fn dot(a: &[f64; 3], b: &[f64; 3]) -> f64 {
    a[0] * b[0] + a[1] * b[1] + a[2] * b[2]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rotation(rx: f64, ry: f64, rz: f64) -> M3 {
        let (cx, sx, cy, sy, cz, sz) = (rx.cos(), rx.sin(), ry.cos(), ry.sin(), rz.cos(), rz.sin());
        let x: M3 = [[1.0, 0.0, 0.0], [0.0, cx, -sx], [0.0, sx, cx]];
        let y: M3 = [[cy, 0.0, sy], [0.0, 1.0, 0.0], [-sy, 0.0, cy]];
        let z: M3 = [[cz, -sz, 0.0], [sz, cz, 0.0], [0.0, 0.0, 1.0]];
        mul(&z, &mul(&y, &x))
    }

    /// A camera looking down at a table (normal `n`, distance 2) moves by `r`, `t`; returns the
    /// table's pixel homography, table points, points of a static box on it, points of a box
    /// sliding across it, and static points as far behind the table as the box is above it,
    /// each seen in both frames.
    #[allow(clippy::type_complexity)]
    fn table_scene(r: M3, t: [f64; 3], k: Intrinsics) -> (Homography, [Vec<(Point, Point)>; 4]) {
        let n = {
            let v = [0.1, -0.8, 0.6];
            let l = dot(&v, &v).sqrt();
            v.map(|x| x / l)
        };
        let d = 2.0;
        let project = |x: [f64; 3]| (k.f * x[0] / x[2] + k.cx, k.f * x[1] / x[2] + k.cy);
        let moved = |x: [f64; 3]| {
            let rx = mul_v(&r, x);
            [rx[0] + t[0], rx[1] + t[1], rx[2] + t[2]]
        };
        // Points on the plane n.X = d: pick image rays, scale to the plane.
        let mut sets: [Vec<(Point, Point)>; 4] = Default::default();
        for i in 0..400 {
            let ray = [((i % 20) as f64 - 9.5) * 0.04, ((i / 20) as f64 - 9.5) * 0.03, 1.0];
            let s = d / dot(&n, &ray);
            let x = ray.map(|v| v * s);
            let on_box = (i % 20) >= 8 && (i % 20) < 12 && (i / 20) >= 8 && (i / 20) < 12;
            if on_box {
                // 1.0 off the table towards the camera: static box, then the same points
                // sliding by 0.08 along y in the world.
                let up = [x[0] - n[0], x[1] - n[1], x[2] - n[2]];
                sets[1].push((project(up), project(moved(up))));
                let slid = moved([up[0], up[1] + 0.08, up[2]]);
                sets[2].push((project(up), project(slid)));
                let down = [x[0] + n[0], x[1] + n[1], x[2] + n[2]];
                sets[3].push((project(down), project(moved(down))));
            } else {
                sets[0].push((project(x), project(moved(x))));
            }
        }
        let hn: M3 = std::array::from_fn(|i| std::array::from_fn(|j| r[i][j] + t[i] * n[j] / d));
        let hp = mul(&mul(&k.matrix(), &hn), &k.inverse());
        // Any scale and sign: a fitted homography has neither.
        (Homography(std::array::from_fn(|i| -2.7 * hp[i / 3][i % 3])), sets)
    }

    #[test]
    fn the_decomposition_recovers_the_translation_and_the_plane() {
        let k = Intrinsics::guess(640, 480, 1.0);
        let (r, t) = (rotation(0.02, -0.03, 0.01), [0.12, 0.03, -0.05]);
        let (h, sets) = table_scene(r, t, k);
        let (a, b): (Vec<Point>, Vec<Point>) = sets[0].iter().copied().unzip();
        let (_, found) = decompose(&h, k, &a, &b).expect("decomposes");
        assert_eq!(found.len(), 2, "{found:?}");
        // t over the plane's distance (2).
        let want = t.map(|v| v / 2.0);
        let best = found.iter().map(|t| (0..3).map(|i| (t[i] - want[i]).abs()).fold(0.0, f64::max)).fold(f64::MAX, f64::min);
        assert!(best < 1e-9, "translation off by {best}: {found:?}");
    }

    #[test]
    fn a_static_object_off_the_plane_keeps_the_constraint_and_a_sliding_one_or_one_behind_it_does_not() {
        let k = Intrinsics::guess(640, 480, 1.0);
        let (h, sets) = table_scene(rotation(0.01, 0.04, 0.0), [-0.15, 0.02, 0.04], k);
        let (src, dst): (Vec<Point>, Vec<Point>) = sets.iter().flatten().copied().unzip();
        let (plane, static_box) = (sets[0].len(), sets[1].len());
        let on_plane = (0..src.len()).map(|i| i < plane).collect();
        let pair = ParallaxPair { h, src, dst, on_plane };
        let r = pair.residuals(k, 1.0).expect("decomposes");
        let parallax = sets[1].iter().map(|(a, b)| {
            let q = h.apply(a.0, a.1).unwrap();
            (q.0 - b.0).hypot(q.1 - b.1)
        });
        assert!(parallax.fold(f64::MAX, f64::min) > 5.0, "the static box must stray from the plane");
        assert!(r[..plane + static_box].iter().all(|&d| d < 1e-6), "static: {:?}", &r[plane..plane + static_box]);
        let slid = &r[plane + static_box..plane + 2 * static_box];
        assert!(slid.iter().filter(|&&d| d > 2.0).count() * 10 >= slid.len() * 9, "sliding: {slid:?}");
        // Static but behind the table, where the table would hide them: not explained.
        let behind = &r[plane + 2 * static_box..];
        assert!(!behind.is_empty() && behind.iter().all(|d| d.is_infinite()), "behind: {behind:?}");
    }

    #[test]
    fn the_focal_length_that_keeps_the_most_points_is_picked() {
        let truth = Intrinsics::guess(640, 480, 0.9);
        let pairs: Vec<ParallaxPair> = [([0.12, 0.0, 0.03], (0.0, 0.03, 0.0)), ([0.0, 0.1, -0.04], (0.02, 0.0, 0.01))]
            .iter()
            .map(|&(t, (rx, ry, rz))| {
                let (h, sets) = table_scene(rotation(rx, ry, rz), t, truth);
                let plane = sets[0].len();
                let (src, dst): (Vec<Point>, Vec<Point>) = sets[..2].iter().flatten().copied().unzip();
                ParallaxPair { h, on_plane: (0..src.len()).map(|i| i < plane).collect(), src, dst }
            })
            .collect();
        let scales = [0.5, 0.7, 0.9, 1.2, 1.6];
        assert_eq!(best_focal(&pairs.iter().collect::<Vec<_>>(), 640, 480, &scales, 0.5), Some(2));
    }

    #[test]
    fn a_pure_rotation_has_no_translation_to_find() {
        let k = Intrinsics::guess(640, 480, 1.0);
        let (h, sets) = table_scene(rotation(0.02, 0.01, 0.0), [0.0, 0.0, 0.0], k);
        let (a, b): (Vec<Point>, Vec<Point>) = sets[0].iter().copied().unzip();
        assert!(decompose(&h, k, &a, &b).is_none());
        assert!(decompose(&Homography::IDENTITY, k, &a, &a).is_none());
    }
}
