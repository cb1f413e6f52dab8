//! Camera-compensated motion of every track point, as two extra per-point channels of the lite
//! classifier. The released model learns to separate camera motion from object motion from
//! raw coordinates over millions of training windows; with the lite tier's hour of CPU
//! training it cannot, so the camera's dominant planar motion is fitted here (RANSAC over all
//! the frame's tracks) and the model reads how far each point strays from it. Parallax also
//! strays from a plane, so the model also reads (epipolar channels) how far each point strays
//! from the pair's epipolar geometry, which every static point keeps whatever its depth. Each
//! alone misleads: with little camera travel the epipolar geometry is ill-determined and can
//! absorb a moving object; weighing the two is left to the model, which the synthetic scenes
//! (static objects under strong parallax, independently moving ones) teach.

use crate::baseline::fundamental::estimate_fundamental;
use crate::baseline::homography::{estimate, Homography, Point};
use crate::tracks::Tracks;

/// Frame gaps of the compared pairs: one frame (fast motion) and four (slow but steady motion,
/// under the one-frame noise).
pub const GAPS: [usize; 2] = [1, 4];
/// Channels of the planar residual.
pub const CHANNELS: usize = GAPS.len();
/// Frame gaps of the epipolar channels: longer than the planar ones, because a static point's
/// parallax (which these channels forgive) needs camera travel to rise above tracking noise.
pub const EPIPOLAR_GAPS: [usize; 2] = [3, 8];

/// Channels per point: the planar residual, then (with `epipolar`) the epipolar one.
pub fn channel_count(epipolar: bool) -> usize {
    CHANNELS + if epipolar { EPIPOLAR_GAPS.len() } else { 0 }
}

/// Residuals are measured in noise floors and capped: beyond this a point certainly strays.
const CAP: f32 = 8.0;
/// RANSAC inlier distance of a pair `gap` frames apart, px: tracking error grows with the gap.
fn inlier_px(gap: usize) -> f64 {
    1.0 + 0.25 * gap as f64
}

/// Smallest noise floor, px: below it sub-pixel tracking noise would read as motion.
const MIN_FLOOR: f64 = 1.0;

/// `[N, T, channel_count(epipolar)]`, track-major. Planar channel `g` of point `(j, t)`: its
/// distance from where the dominant planar motion between frames `t` and `t + GAPS[g]` (for
/// the last frames, `t - GAPS[g]` and `t`) carries it, over that pair's noise floor (3x the
/// median residual, at least [`MIN_FLOOR`]), capped at [`CAP`] and scaled to [0, 1]. 0 where
/// either end is hidden; a pair with no trustworthy dominant motion is compared with a static
/// camera. Epipolar channels (after the planar ones): the same for the point's Sampson
/// distance from the pair's fundamental matrix (RANSAC over all visible tracks), which a
/// static point keeps whatever its depth; 0 for a pair with no fit.
pub fn residual_channels(tracks: &Tracks, epipolar: bool) -> Vec<f32> {
    let (n, t_len) = (tracks.n, tracks.frames);
    let k = channel_count(epipolar);
    let mut out = vec![0.0f32; n * t_len * k];
    for (c, &gap) in GAPS.iter().enumerate() {
        fill(&mut out, tracks, k, c, gap, |a, b| pair_residuals(tracks, a, b, inlier_px(b - a), 0x2E51 + (a * 8 + c) as u64));
    }
    if epipolar {
        for (e, &gap) in EPIPOLAR_GAPS.iter().enumerate() {
            let c = CHANNELS + e;
            fill(&mut out, tracks, k, c, gap, |a, b| pair_epipolar(tracks, a, b, inlier_px(b - a), 0xE919 + (a * 8 + e) as u64));
        }
    }
    out
}

/// Writes channel `c` of every pair `gap` frames apart (at most half the clip): the pair's
/// value goes to its first frame, and to its second at the clip's end.
fn fill(out: &mut [f32], tracks: &Tracks, k: usize, c: usize, gap: usize, pair: impl Fn(usize, usize) -> PairResiduals) {
    let t_len = tracks.frames;
    // Clips shorter than two gaps compare over half their length, so every frame is covered.
    let gap = gap.min(t_len / 2);
    if gap == 0 {
        return;
    }
    for a in 0..t_len - gap {
        let b = a + gap;
        let p = pair(a, b);
        let floor = (3.0 * p.median).max(MIN_FLOOR);
        let targets: &[usize] = if b + gap >= t_len { &[a, b] } else { &[a] };
        for (&j, r) in p.ids.iter().zip(&p.residual) {
            let v = ((r / floor) as f32).min(CAP) / CAP;
            for &f in targets {
                out[(j * t_len + f) * k + c] = v;
            }
        }
    }
}

/// Camera motion from each frame to the next: the dominant planar motion of the tracks
/// visible in both, as the one-frame residual channel fits it; identity without one (too few
/// tracks, or no consensus). Frame t's motion back to t-1 is the inverse of entry t-1.
pub(crate) fn camera_motions(tracks: &Tracks) -> Vec<Homography> {
    crate::tracks::chain::par_map(tracks.frames.saturating_sub(1), |t| {
        pair_residuals(tracks, t, t + 1, inlier_px(1), 0x3A7 + t as u64).plane.map_or(Homography::IDENTITY, |(h, _, _)| h)
    })
}

/// Matches of the tracks visible at frames `a` and `b`.
fn pair_points(tracks: &Tracks, a: usize, b: usize) -> (Vec<usize>, Vec<Point>, Vec<Point>) {
    let n = tracks.n;
    let ids: Vec<usize> = (0..n).filter(|&j| tracks.visible[a * n + j] && tracks.visible[b * n + j]).collect();
    let at = |f: usize, j: usize| -> Point {
        let [x, y] = tracks.xy[f * n + j];
        (x as f64, y as f64)
    };
    let src = ids.iter().map(|&j| at(a, j)).collect();
    let dst = ids.iter().map(|&j| at(b, j)).collect();
    (ids, src, dst)
}

pub(crate) fn median(residual: &[f64]) -> f64 {
    let mut sorted: Vec<f64> = residual.iter().copied().filter(|r| r.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    sorted.get(sorted.len() / 2).copied().unwrap_or(0.0)
}

/// Sampson distances of the tracks visible at frames `a` and `b` from the pair's fundamental
/// matrix (RANSAC with `inlier_px`, `seed`); all 0 and `fitted` false without one.
pub(crate) fn pair_epipolar(tracks: &Tracks, a: usize, b: usize, inlier_px: f64, seed: u64) -> PairResiduals {
    let (ids, src, dst) = pair_points(tracks, a, b);
    let f = estimate_fundamental(&src, &dst, 200, inlier_px, seed);
    let residual: Vec<f64> = match &f {
        Some((f, _)) => src.iter().zip(&dst).map(|(s, d)| f.sampson(*s, *d)).collect(),
        None => vec![0.0; ids.len()],
    };
    let median = median(&residual);
    PairResiduals { ids, residual, median, fitted: f.is_some(), plane: None }
}

/// How far the tracks visible at frames `a` and `b` stray from the dominant planar motion
/// between them (RANSAC with `inlier_px`, `seed`); without one (fewer than 8 tracks, or no
/// trustworthy fit) from a static camera, and `fitted` says so.
pub(crate) struct PairResiduals {
    pub ids: Vec<usize>,
    pub residual: Vec<f64>,
    /// Median of the finite residuals (0 with none): the pair's noise scale.
    pub median: f64,
    pub fitted: bool,
    /// The planar fit and the matches behind it (planar residuals only).
    pub plane: Option<(Homography, Vec<Point>, Vec<Point>)>,
}

pub(crate) fn pair_residuals(tracks: &Tracks, a: usize, b: usize, inlier_px: f64, seed: u64) -> PairResiduals {
    let (ids, src, dst) = pair_points(tracks, a, b);
    let h = if ids.len() >= 8 { estimate(&src, &dst, (tracks.width, tracks.height), 200, inlier_px, seed) } else { None };
    let residual: Vec<f64> = src
        .iter()
        .zip(&dst)
        .map(|(s, d)| {
            let q = h.as_ref().map_or(Some(*s), |h| h.apply(s.0, s.1));
            q.map_or(f64::INFINITY, |q| (q.0 - d.0).hypot(q.1 - d.1))
        })
        .collect();
    let median = median(&residual);
    PairResiduals { ids, residual, median, fitted: h.is_some(), plane: h.map(|h| (h, src, dst)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 100 background points panning and zooming slightly, 10 points moving against them.
    fn scene(frames: usize) -> Tracks {
        let n = 110;
        let mut xy = Vec::new();
        for f in 0..frames {
            let s = 1.0 + 0.004 * f as f32;
            for j in 0..n {
                let (bx, by) = ((j % 10) as f32 * 9.0 + 5.0, (j / 10) as f32 * 8.0 + 4.0);
                let cam = [bx * s + 2.0 * f as f32, by * s];
                xy.push(if j >= 100 { [cam[0] - 6.0 * f as f32, cam[1] + 2.0 * f as f32] } else { cam });
            }
        }
        Tracks::all_visible(160, 100, frames, xy, vec![0; n])
    }

    #[test]
    fn movers_stray_from_the_camera_motion_and_the_background_does_not() {
        let (frames, tr) = (9, scene(9));
        let r = residual_channels(&tr, false);
        assert_eq!(r.len(), tr.n * frames * CHANNELS);
        for f in 0..frames {
            for c in 0..CHANNELS {
                let at = |j: usize| r[(j * frames + f) * CHANNELS + c];
                // Within the 1 px noise floor, and at least four floors away.
                assert!((0..100).all(|j| at(j) < 1.0 / CAP), "background at frame {f}, gap {}: {:?}", GAPS[c], (0..100).map(at).fold(0.0f32, f32::max));
                assert!((100..110).all(|j| at(j) > 4.0 / CAP), "mover at frame {f}, gap {}: {}", GAPS[c], at(100));
            }
        }
    }

    #[test]
    fn hidden_points_read_zero() {
        let mut tr = scene(6);
        let n = tr.n;
        // Mover 105 hidden at frame 2: no pair touching frame 2 measures it.
        tr.visible[2 * n + 105] = false;
        let r = residual_channels(&tr, false);
        assert_eq!(r[(105 * 6 + 2) * CHANNELS], 0.0);
        assert!(r[(105 * 6 + 3) * CHANNELS] > 4.0 / CAP);
    }

    /// A camera translating sideways past static points at depths 2..20 (strong parallax) and
    /// 10 points moving vertically, across the horizontal epipolar lines.
    fn parallax_scene(frames: usize) -> Tracks {
        let n = 160;
        let mut xy = Vec::new();
        for f in 0..frames {
            for j in 0..n {
                let (u, v) = ((j * 37 % 97) as f32 / 97.0 - 0.5, (j * 61 % 89) as f32 / 89.0 - 0.5);
                let z = if j % 3 == 0 { 2.0 + (j % 7) as f32 } else { 20.0 };
                let (x, y) = (u * z * 1.6 - 0.08 * f as f32, v * z);
                let y = if j >= 150 { y + 0.05 * z * f as f32 } else { y };
                xy.push([200.0 + 200.0 * x / z, 150.0 + 200.0 * y / z]);
            }
        }
        Tracks::all_visible(400, 300, frames, xy, vec![0; n])
    }

    #[test]
    fn parallax_strays_from_the_plane_but_keeps_the_epipolar_constraint() {
        let (frames, tr) = (12, parallax_scene(12));
        let k = channel_count(true);
        let r = residual_channels(&tr, true);
        assert_eq!(r.len(), tr.n * frames * k);
        let at = |j: usize, f: usize, c: usize| r[(j * frames + f) * k + c];
        // Near static points leave the dominant (far) plane's motion ...
        let near: Vec<usize> = (0..150).filter(|j| j % 3 == 0 && j % 7 == 0).collect();
        assert!(near.iter().all(|&j| at(j, 0, 1) > 4.0 / CAP), "planar gap 4 at near points: {:?}", near.iter().map(|&j| at(j, 0, 1)).collect::<Vec<_>>());
        for f in 0..frames {
            for e in 0..EPIPOLAR_GAPS.len() {
                let c = CHANNELS + e;
                // ... but not the epipolar geometry; the movers break it.
                assert!((0..150).all(|j| at(j, f, c) < 1.0 / CAP), "static at frame {f}, gap {}: {}", EPIPOLAR_GAPS[e], (0..150).map(|j| at(j, f, c)).fold(0.0, f32::max));
                assert!((150..160).all(|j| at(j, f, c) > 4.0 / CAP), "mover at frame {f}, gap {}: {:?}", EPIPOLAR_GAPS[e], (150..160).map(|j| at(j, f, c)).collect::<Vec<_>>());
            }
        }
        // Without the flag the planar channels are unchanged.
        let planar = residual_channels(&tr, false);
        for p in 0..tr.n * frames {
            assert_eq!(&planar[p * CHANNELS..(p + 1) * CHANNELS], &r[p * k..p * k + CHANNELS]);
        }
    }
}
