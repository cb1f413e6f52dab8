//! A motion-only stand-in for the classifier, to measure what the learned model adds: a track
//! scores the fraction of frame pairs (3 frames apart) in which it strays from the camera's
//! motion by more than the pair's noise floor. The camera's motion is the dominant planar
//! motion (fitted by RANSAC to all tracks), and, where that plane's homography decomposes into
//! a translation, the epipolar geometry it implies ([`super::plane_parallax`]): a track strays
//! when it leaves both, so static points off the plane (parallax) keep a low score. Parallax
//! explains a pair only when it puts the point in front of the plane and at about the height
//! over it the track shows in its other pairs: a mover travelling along the epipolar lines
//! (with the camera's translation) fits each pair alone but not one height throughout.

use super::ego_residual::{median, pair_residuals};
use super::plane_parallax::{best_focal, Intrinsics, Parallax, ParallaxPair};
use crate::tracks::chain::par_map;
use crate::tracks::Tracks;

/// Frames between the two ends of a compared pair.
const GAP: usize = 3;
/// RANSAC inlier distance and smallest noise floor, px.
const INLIER_PX: f64 = 2.0;
/// How far (relative) a pair's height over the plane may stray from the track's median.
const HEIGHT_TOLERANCE: f64 = 0.5;
/// Focal lengths tried, over the frame's larger side: from wide phone lenses to zooms.
const FOCAL_SCALES: [f64; 11] = [0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.2, 1.4, 1.7, 2.0, 2.5];

/// Pseudo-probability of moving per track, in [0, 1], and the number of pairs behind it.
pub fn residual_scores(tracks: &Tracks) -> (Vec<f32>, Vec<usize>) {
    let (n, t_len) = (tracks.n, tracks.frames);
    let mut votes = vec![0u32; n];
    let mut seen = vec![0u32; n];
    let gap = GAP.min(t_len.saturating_sub(1)).max(1);
    // Pairs without a trustworthy camera motion vote for nothing. Each pair's fit is seeded by
    // its frame, so fitting them in parallel changes nothing.
    let fitted: Vec<_> = par_map(t_len.saturating_sub(gap), |t| pair_residuals(tracks, t, t + gap, INLIER_PX, 0x4E0 + t as u64))
        .into_iter()
        .filter(|p| p.fitted)
        .collect();
    let pairs: Vec<(Vec<usize>, Vec<f64>, Option<ParallaxPair>)> = fitted
        .into_iter()
        .map(|p| {
            let parallax = p.plane.map(|(h, src, dst)| ParallaxPair { h, src, dst, on_plane: p.residual.iter().map(|&r| r <= INLIER_PX).collect() });
            (p.ids, p.residual, parallax)
        })
        .collect();
    let parallax: Vec<&ParallaxPair> = pairs.iter().filter_map(|(_, _, p)| p.as_ref()).collect();
    let k = best_focal(&parallax, tracks.width, tracks.height, &FOCAL_SCALES, INLIER_PX).map(|i| Intrinsics::guess(tracks.width, tracks.height, FOCAL_SCALES[i]));
    let explained: Vec<Option<Parallax>> = par_map(pairs.len(), |i| match (k, &pairs[i].2) {
        (Some(k), Some(p)) => p.parallax(k, INLIER_PX),
        _ => None,
    });
    // A static point keeps its height over the plane from pair to pair; a mover that happens
    // to travel along the epipolar lines (a walker the camera follows) does not, so pairs
    // whose height strays from the track's median are not explained by parallax.
    let mut heights: Vec<Vec<f64>> = vec![Vec::new(); n];
    for ((ids, planar, _), e) in pairs.iter().zip(&explained) {
        if let Some(e) = e {
            for (i, &j) in ids.iter().enumerate() {
                if planar[i] > INLIER_PX && e.residual[i] <= INLIER_PX {
                    heights[j].push(e.height[i]);
                }
            }
        }
    }
    let typical: Vec<f64> = heights.iter_mut().map(|h| median(h)).collect();
    let consistent = |e: &Parallax, i: usize, j: usize| e.residual[i] <= INLIER_PX && (e.height[i] - typical[j]).abs() <= HEIGHT_TOLERANCE * typical[j].abs();
    // Parallax explains a track only when it explains most of the pairs in which the track
    // leaves the plane: a mover is explained now and then by chance (its motion happens to
    // follow the epipolar lines between two frames), a static point almost always.
    let (mut off_plane, mut explained_pairs) = (vec![0u32; n], vec![0u32; n]);
    for ((ids, planar, _), e) in pairs.iter().zip(&explained) {
        if let Some(e) = e {
            for (i, &j) in ids.iter().enumerate() {
                if planar[i] > INLIER_PX {
                    off_plane[j] += 1;
                    explained_pairs[j] += consistent(e, i, j) as u32;
                }
            }
        }
    }
    let static_parallax: Vec<bool> = (0..n).map(|j| explained_pairs[j] * 2 > off_plane[j]).collect();
    for ((ids, planar, _), e) in pairs.iter().zip(&explained) {
        let residual: Vec<f64> = match e {
            Some(e) => (0..ids.len())
                .map(|i| {
                    let j = ids[i];
                    if planar[i] > INLIER_PX && !(static_parallax[j] && consistent(e, i, j)) {
                        planar[i]
                    } else {
                        planar[i].min(e.residual[i])
                    }
                })
                .collect(),
            None => planar.clone(),
        };
        let tau = (3.0 * median(&residual)).max(INLIER_PX);
        for (&j, &r) in ids.iter().zip(&residual) {
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

    /// A camera sliding sideways over a table (400 x 300 rays, focal 400 px): table points, a
    /// static box standing 1.0 off it (strong parallax), and a box as high that moves against the
    /// camera's translation, along the epipolar lines, in stops and starts.
    fn table_with_parallax(frames: usize) -> (Tracks, std::ops::Range<usize>, std::ops::Range<usize>) {
        let (w, h, f) = (400.0f32, 300.0f32, 400.0f32);
        let n_len = (0.1f32 * 0.1 + 0.8 * 0.8 + 0.6 * 0.6).sqrt();
        let normal = [0.1 / n_len, -0.8 / n_len, 0.6 / n_len];
        let mut base = Vec::new();
        for i in 0..20 * 15 {
            let ray = [((i % 20) as f32 - 9.5) * 0.045, ((i / 20) as f32 - 7.0) * 0.045, 1.0];
            let s = 2.0 / (normal[0] * ray[0] + normal[1] * ray[1] + normal[2] * ray[2]);
            base.push(ray.map(|v| v * s));
        }
        let on_box = |p: &[f32; 3]| p[0].abs() < 0.35 && (p[1] - 0.0).abs() < 0.35;
        let table: Vec<[f32; 3]> = base.iter().filter(|p| !on_box(p)).copied().collect();
        let lifted: Vec<[f32; 3]> = base.iter().filter(|p| on_box(p)).map(|p| [p[0] - normal[0], p[1] - normal[1], p[2] - normal[2]]).collect();
        let (nt, nb) = (table.len(), lifted.len());
        let mut xy = Vec::new();
        let mut walked = 0.0f32;
        for t in 0..frames {
            let camera = 0.05 * t as f32;
            let project = |p: [f32; 3]| [f * (p[0] - camera) / p[2] + w / 2.0, f * p[1] / p[2] + h / 2.0];
            xy.extend(table.iter().map(|&p| project(p)));
            xy.extend(lifted.iter().map(|&p| project(p)));
            xy.extend(lifted.iter().map(|&p| project([p[0] + 0.6 - walked, p[1], p[2]])));
            walked += if (t / 3) % 2 == 1 { 0.12 } else { 0.0 };
        }
        let n = nt + 2 * nb;
        (Tracks::all_visible(w as usize, h as usize, frames, xy, vec![0; n]), nt..nt + nb, nt + nb..n)
    }

    #[test]
    fn a_static_object_off_the_plane_scores_low_and_one_moving_along_the_epipolar_lines_high() {
        let (tracks, static_box, walker) = table_with_parallax(15);
        let (s, _) = residual_scores(&tracks);
        let mean = |r: std::ops::Range<usize>| r.clone().map(|j| s[j]).sum::<f32>() / r.len() as f32;
        let (table, still, moving) = (mean(0..static_box.start), mean(static_box.clone()), mean(walker.clone()));
        assert!(static_box.len() >= 10, "{} box points", static_box.len());
        eprintln!("table {table}, static box {still}, moving box {moving}");
        assert!(table < 0.05 && still < 0.1, "table {table}, static box {still}");
        // Only the pairs whose implied height departs from the track's typical one vote (with
        // every pair explained by parallax it scored 0).
        assert!(moving > 0.15 && moving > 3.0 * still, "box moving along the epipolar lines: {moving}");
    }
}
