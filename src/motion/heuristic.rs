//! A motion-only stand-in for the classifier, to measure what the learned model adds: a track
//! scores the fraction of frame pairs (3 frames apart) in which it strays from the dominant
//! planar motion (the camera's, fitted by RANSAC to all tracks) by more than the pair's noise
//! floor. It cannot tell parallax from motion, which is the point of the comparison.

use super::ego_residual::pair_residuals;
use crate::tracks::Tracks;

/// Frames between the two ends of a compared pair.
const GAP: usize = 3;

/// Pseudo-probability of moving per track, in [0, 1], and the number of pairs behind it.
pub fn residual_scores(tracks: &Tracks) -> (Vec<f32>, Vec<usize>) {
    let (n, t_len) = (tracks.n, tracks.frames);
    let mut votes = vec![0u32; n];
    let mut seen = vec![0u32; n];
    let gap = GAP.min(t_len.saturating_sub(1)).max(1);
    for t in 0..t_len.saturating_sub(gap) {
        // Pairs without a trustworthy camera motion vote for nothing.
        let p = pair_residuals(tracks, t, t + gap, 2.0, 0x4E0 + t as u64);
        if !p.fitted {
            continue;
        }
        let tau = (3.0 * p.median).max(2.0);
        for (&j, &r) in p.ids.iter().zip(&p.residual) {
            seen[j] += 1;
            votes[j] += (r > tau) as u32;
        }
    }
    let scores = votes.iter().zip(&seen).map(|(&v, &s)| if s == 0 { 0.0 } else { v as f32 / s as f32 }).collect();
    (scores, seen.iter().map(|&s| s as usize).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_point_moving_against_a_panning_background_scores_high() {
        // 100 background points panning by (2, 0) px/frame and 10 points moving by (-3, 1).
        let (t_len, mut xy) = (8, Vec::new());
        let n = 110;
        for f in 0..t_len {
            for j in 0..n {
                let (bx, by) = ((j % 10) as f32 * 9.0 + 5.0, (j / 10) as f32 * 8.0 + 4.0);
                let (vx, vy) = if j >= 100 { (-3.0, 1.0) } else { (2.0, 0.0) };
                xy.push([bx + vx * f as f32, by + vy * f as f32]);
            }
        }
        let tracks = Tracks::all_visible(100, 100, t_len, xy, vec![0; n]);
        let (s, seen) = residual_scores(&tracks);
        assert!(seen.iter().all(|&c| c == t_len - GAP));
        assert!(s[..100].iter().all(|&v| v < 0.01), "background {:?}", &s[..10]);
        assert!(s[100..].iter().all(|&v| v > 0.99), "movers {:?}", &s[100..]);
    }
}
