//! Camera-compensated motion of every track point, as two extra per-point channels of the lite
//! classifier. The released model learns to separate camera motion from object motion from
//! raw coordinates over millions of training windows; with the lite tier's hour of CPU
//! training it cannot, so the camera's dominant planar motion is fitted here (RANSAC over all
//! the frame's tracks) and the model reads how far each point strays from it. Parallax also
//! strays; telling the two apart is left to the model (depth-consistent residual fields over
//! many tracks versus a coherent group), which the synthetic parallax scenes teach.

use crate::baseline::homography::{estimate, Point};
use crate::tracks::Tracks;

/// Frame gaps of the compared pairs: one frame (fast motion) and four (slow but steady motion,
/// under the one-frame noise).
pub const GAPS: [usize; 2] = [1, 4];
pub const CHANNELS: usize = GAPS.len();
/// Residuals are measured in noise floors and capped: beyond this a point certainly strays.
const CAP: f32 = 8.0;
/// RANSAC inlier distance of a pair `gap` frames apart, px: tracking error grows with the gap.
fn inlier_px(gap: usize) -> f64 {
    1.0 + 0.25 * gap as f64
}

/// Smallest noise floor, px: below it sub-pixel tracking noise would read as motion.
const MIN_FLOOR: f64 = 1.0;

/// `[N, T, CHANNELS]`, track-major. Channel `g` of point `(j, t)`: its distance from where the
/// dominant planar motion between frames `t` and `t + GAPS[g]` (for the last frames, `t -
/// GAPS[g]` and `t`) carries it, over that pair's noise floor (3x the median residual, at
/// least [`MIN_FLOOR`]), capped at [`CAP`] and scaled to [0, 1]. 0 where either end is hidden;
/// a pair with no trustworthy dominant motion is compared with a static camera.
pub fn residual_channels(tracks: &Tracks) -> Vec<f32> {
    let (n, t_len) = (tracks.n, tracks.frames);
    let mut out = vec![0.0f32; n * t_len * CHANNELS];
    for (c, &gap) in GAPS.iter().enumerate() {
        if gap >= t_len {
            continue;
        }
        for a in 0..t_len - gap {
            let b = a + gap;
            let p = pair_residuals(tracks, a, b, inlier_px(gap), 0x2E51 + (a * 8 + c) as u64);
            let floor = (3.0 * p.median).max(MIN_FLOOR);
            // The pair's value goes to its first frame, and to its second at the clip's end.
            let targets: &[usize] = if b + gap >= t_len { &[a, b] } else { &[a] };
            for (&j, r) in p.ids.iter().zip(&p.residual) {
                let v = ((r / floor) as f32).min(CAP) / CAP;
                for &f in targets {
                    out[(j * t_len + f) * CHANNELS + c] = v;
                }
            }
        }
    }
    out
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
}

pub(crate) fn pair_residuals(tracks: &Tracks, a: usize, b: usize, inlier_px: f64, seed: u64) -> PairResiduals {
    let n = tracks.n;
    let ids: Vec<usize> = (0..n).filter(|&j| tracks.visible[a * n + j] && tracks.visible[b * n + j]).collect();
    let at = |f: usize, j: usize| -> Point {
        let [x, y] = tracks.xy[f * n + j];
        (x as f64, y as f64)
    };
    let src: Vec<Point> = ids.iter().map(|&j| at(a, j)).collect();
    let dst: Vec<Point> = ids.iter().map(|&j| at(b, j)).collect();
    let h = if ids.len() >= 8 { estimate(&src, &dst, (tracks.width, tracks.height), 200, inlier_px, seed) } else { None };
    let residual: Vec<f64> = src
        .iter()
        .zip(&dst)
        .map(|(s, d)| {
            let q = h.as_ref().map_or(Some(*s), |h| h.apply(s.0, s.1));
            q.map_or(f64::INFINITY, |q| (q.0 - d.0).hypot(q.1 - d.1))
        })
        .collect();
    let mut sorted: Vec<f64> = residual.iter().copied().filter(|r| r.is_finite()).collect();
    sorted.sort_by(f64::total_cmp);
    let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0.0);
    PairResiduals { ids, residual, median, fitted: h.is_some() }
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
        let r = residual_channels(&tr);
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
        let r = residual_channels(&tr);
        assert_eq!(r[(105 * 6 + 2) * CHANNELS], 0.0);
        assert!(r[(105 * 6 + 3) * CHANNELS] > 4.0 / CAP);
    }
}
