//! Whether a track's motion, once the camera's is taken out, keeps a direction. A mover has
//! momentum: over a few frames its camera-compensated steps add up. Dynamic textures (waves,
//! ripples, reflections on water, foliage in wind) stray from the camera's motion as much as
//! a mover does, so the residual-based scorers call them moving, but their steps jitter and
//! cancel. On the thirteen training sequences (tracks above P(moving) 0.4 under the default
//! scorer), the median persistence separates ground-truth movers from static tracks with AUC
//! 0.80 (flamingo's ripples 0.95, kite-walk's waves 0.79); it does not help where the water
//! itself flows (mallard-fly, 0.45). As a gate on P(moving) it helped those sequences but cost
//! slow and articulated movers more on the held-out four, so the lite pipeline leaves it off
//! ([`crate::pipeline::LiteOptions::persistence_gate`]); a measure that tells a slow mover's
//! drift from noise is the open part.

use crate::baseline::homography::Homography;
use crate::tracks::Tracks;

/// Consecutive one-frame steps per window: long enough for jitter to cancel, short enough for
/// a limb's swing to keep its direction.
pub const WINDOW: usize = 6;

/// Per track, the median over its windows of [`WINDOW`] consecutive visible steps of
/// |sum of steps| / sum of |steps|, each step being the track's move from frame t to t+1 minus
/// where `camera[t]` (frame t to t+1) carries it: 1 for steady motion, about 1/sqrt(WINDOW)
/// for random jitter. None for tracks with no full window (too short to judge).
pub(crate) fn persistence(tracks: &Tracks, camera: &[Homography]) -> Vec<Option<f32>> {
    let (n, t_len) = (tracks.n, tracks.frames);
    (0..n)
        .map(|j| {
            let step = |t: usize| -> Option<[f64; 2]> {
                if !(tracks.visible[t * n + j] && tracks.visible[(t + 1) * n + j]) {
                    return None;
                }
                let [x, y] = tracks.xy[t * n + j];
                let [x1, y1] = tracks.xy[(t + 1) * n + j];
                let (px, py) = camera[t].apply(x as f64, y as f64)?;
                Some([x1 as f64 - px, y1 as f64 - py])
            };
            let steps: Vec<Option<[f64; 2]>> = (0..t_len.saturating_sub(1)).map(step).collect();
            let mut ratios: Vec<f64> = steps
                .windows(WINDOW)
                .filter_map(|w| {
                    let w: Option<Vec<[f64; 2]>> = w.iter().copied().collect();
                    let w = w?;
                    let (sx, sy) = w.iter().fold((0.0, 0.0), |(a, b), s| (a + s[0], b + s[1]));
                    let length: f64 = w.iter().map(|s| s[0].hypot(s[1])).sum();
                    (length > 1e-9).then(|| sx.hypot(sy) / length)
                })
                .collect();
            if ratios.is_empty() {
                return None;
            }
            ratios.sort_by(f64::total_cmp);
            Some(ratios[ratios.len() / 2] as f32)
        })
        .collect()
}

/// Scales each P(moving) by how persistent its track is: 0 at or below `lo`, 1 at or above
/// `hi`, linear between; tracks without a verdict keep theirs.
pub fn gate(probs: &mut [f32], persistence: &[Option<f32>], [lo, hi]: [f32; 2]) {
    for (p, q) in probs.iter_mut().zip(persistence) {
        if let Some(q) = q {
            *p *= ((q - lo) / (hi - lo).max(1e-6)).clamp(0.0, 1.0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Track 0 walks 2 px/frame right, track 1 jitters (+-2 px alternately), track 2 walks
    /// but is visible for only 4 frames; the camera pans 3 px/frame left throughout.
    fn scene(frames: usize) -> (Tracks, Vec<Homography>) {
        let mut xy = Vec::new();
        let mut visible = Vec::new();
        for t in 0..frames {
            let pan = -3.0 * t as f32;
            let jitter = if t % 2 == 0 { 2.0 } else { -2.0 };
            xy.extend([[10.0 + 2.0 * t as f32 + pan + 100.0, 20.0], [50.0 + pan + 100.0, 30.0 + jitter], [70.0 + 2.0 * t as f32 + pan + 100.0, 40.0]]);
            visible.extend([true, true, t < 4]);
        }
        let tracks = Tracks { visible, ..Tracks::all_visible(200, 100, frames, xy, vec![0; 3]) };
        let camera = vec![Homography([1.0, 0.0, -3.0, 0.0, 1.0, 0.0, 0.0, 0.0, 1.0]); frames - 1];
        (tracks, camera)
    }

    #[test]
    fn steady_motion_persists_and_jitter_does_not() {
        let (tracks, camera) = scene(12);
        let p = persistence(&tracks, &camera);
        assert!((p[0].unwrap() - 1.0).abs() < 1e-5, "{p:?}");
        assert!(p[1].unwrap() < 0.05, "{p:?}");
        assert_eq!(p[2], None, "three steps make no window");
        // Judged without the camera's motion, the jitter would ride on the pan and look steady.
        let still = vec![Homography::IDENTITY; 11];
        assert!(persistence(&tracks, &still)[1].unwrap() > 0.5);
    }

    #[test]
    fn the_gate_scales_between_its_bounds() {
        let mut probs = vec![0.9, 0.9, 0.9, 0.9];
        gate(&mut probs, &[Some(0.4), Some(0.7), Some(0.95), None], [0.5, 0.9]);
        assert_eq!(probs[0], 0.0);
        assert!((probs[1] - 0.45).abs() < 1e-5, "{probs:?}");
        assert_eq!(&probs[2..], &[0.9, 0.9]);
    }
}
