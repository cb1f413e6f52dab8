//! A motion prior for the densifier: how much each pixel changes once the camera's motion is
//! taken out, and how typical that change is of the objects' seeds versus the background's.
//! Tracks thin out exactly where an object moves fastest (a running dog's legs, a bird's
//! wings: blur and deformation end them), so the seeds there are few and geodesic spreading
//! hands those pixels to the dense background seeds around them; the pixels still differ from
//! their camera-compensated neighbours, which this prior turns into evidence.
//!
//! Per frame t, the dominant planar motion to each neighbour frame (RANSAC over the tracks
//! visible in both) warps that neighbour onto t; a pixel's change is the smaller of its two
//! differences (mean absolute RGB), so the background an object uncovers or covers, which
//! differs on one side only, does not count. P(object | change) comes from the seeds, like the
//! colour prior: histograms of the change at object and background seeds of nearby frames,
//! each class normalised by its own count, smoothed so unseen levels stay neutral. A static
//! object with parallax also changes, but it only matters where an object's seeds reach.

use super::densify::Seed;
use super::seed_histogram::SeedHistograms;
use crate::baseline::homography::Homography;

/// Levels of the change histogram: about 2.5 per doubling, up to a change of ~64.
pub const LEVELS: usize = 16;
const SMOOTHING: f32 = 0.5;

fn level(change: f32) -> u8 {
    (((1.0 + change.max(0.0)).log2() * 2.5) as usize).min(LEVELS - 1) as u8
}

/// Bilinear RGB of an RGBA8 frame at (x, y); None outside it.
fn sample(rgba: &[u8], w: usize, h: usize, x: f64, y: f64) -> Option<[f32; 3]> {
    if !(x >= 0.0 && y >= 0.0 && x <= (w - 1) as f64 && y <= (h - 1) as f64) {
        return None;
    }
    let (x0, y0) = (x.floor() as usize, y.floor() as usize);
    let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(h - 1));
    let (fx, fy) = ((x - x0 as f64) as f32, (y - y0 as f64) as f32);
    let px = |xx: usize, yy: usize, c: usize| rgba[(yy * w + xx) * 4 + c] as f32;
    Some(std::array::from_fn(|c| {
        let top = px(x0, y0, c) * (1.0 - fx) + px(x1, y0, c) * fx;
        let bottom = px(x0, y1, c) * (1.0 - fx) + px(x1, y1, c) * fx;
        top * (1.0 - fy) + bottom * fy
    }))
}

/// Change level of every pixel of frame `t` (`w x h`, levels 0..[`LEVELS`]): the smaller of
/// its camera-compensated differences from frames t-1 and t+1 (where they exist and the pixel
/// maps inside them), with `camera` from [`crate::motion::ego_residual::camera_motions`].
pub(crate) fn change_levels(frames: &[Vec<u8>], camera: &[Homography], w: usize, h: usize, t: usize) -> Vec<u8> {
    let back = t.checked_sub(1).map(|u| (u, camera[u].inverse().unwrap_or(Homography::IDENTITY)));
    let forward = (t + 1 < frames.len()).then(|| (t + 1, camera[t]));
    let neighbours: Vec<(usize, Homography)> = back.into_iter().chain(forward).collect();
    let cur = &frames[t];
    let mut out = vec![0u8; w * h];
    for y in 0..h {
        for x in 0..w {
            let i = y * w + x;
            let mut best = f32::INFINITY;
            for (u, hm) in &neighbours {
                if let Some(c) = hm.apply(x as f64, y as f64).and_then(|(sx, sy)| sample(&frames[*u], w, h, sx, sy)) {
                    let d = (0..3).map(|k| (cur[i * 4 + k] as f32 - c[k]).abs()).sum::<f32>() / 3.0;
                    best = best.min(d);
                }
            }
            out[i] = if best.is_finite() { level(best) } else { 0 };
        }
    }
    out
}

/// P(object | change) for each pixel of `target` (its change levels), from the change levels
/// at the seeds of `frames` (each frame's levels with its seeds; object seeds have labels >
/// 0). None when either class has no seed.
pub fn object_probability(target: &[u8], frames: &[(&[u8], &[Seed])], w: usize, h: usize) -> Option<Vec<f32>> {
    let mut hist = SeedHistograms::new(LEVELS);
    for (levels, seeds) in frames {
        for s in seeds.iter() {
            let (x, y) = (s.x.round(), s.y.round());
            if x >= 0.0 && y >= 0.0 && (x as usize) < w && (y as usize) < h {
                hist.add(levels[y as usize * w + x as usize] as usize, s.label > 0);
            }
        }
    }
    let per_level = hist.object_probability(SMOOTHING)?;
    Some(target.iter().map(|&l| per_level[l as usize]).collect())
}

/// Two independent pieces of evidence about the same pixel: their log-odds add, the second
/// scaled by `weight`.
pub fn combine(p: &mut [f32], q: &[f32], weight: f32) {
    let logit = |v: f32| {
        let v = v.clamp(1e-4, 1.0 - 1e-4);
        (v / (1.0 - v)).ln()
    };
    for (a, &b) in p.iter_mut().zip(q) {
        *a = 1.0 / (1.0 + (-(logit(*a) + weight * logit(b))).exp());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tracks::Tracks;

    fn texture(x: f32, y: f32) -> u8 {
        (128.0 + 60.0 * (0.45 * x).sin() * (0.37 * y).cos() + 40.0 * (0.13 * x + 0.29 * y).sin()) as u8
    }

    /// A textured background panning 2 px/frame right, and a 16 px square with its own texture
    /// moving 3 px left and 1 down per frame; tracks on a background grid and on the square.
    fn scene(frames: usize) -> (Vec<Vec<u8>>, Tracks, impl Fn(usize, usize, usize) -> bool) {
        let (w, h) = (96, 64);
        let square = |t: usize| (50.0 - 3.0 * t as f32, 20.0 + t as f32);
        let inside = move |t: usize, x: usize, y: usize| {
            let (sx, sy) = square(t);
            (x as f32) >= sx && (x as f32) < sx + 16.0 && (y as f32) >= sy && (y as f32) < sy + 16.0
        };
        let imgs = (0..frames)
            .map(|t| {
                (0..w * h)
                    .flat_map(|i| {
                        let (x, y) = ((i % w) as f32, (i / w) as f32);
                        let v = if inside(t, i % w, i / w) {
                            let (sx, sy) = square(t);
                            255 - texture(3.0 * (x - sx), 3.0 * (y - sy))
                        } else {
                            texture(x - 2.0 * t as f32, y)
                        };
                        [v, v / 2 + 40, 255 - v, 255]
                    })
                    .collect()
            })
            .collect();
        let bg: Vec<[f32; 2]> = (0..10).flat_map(|i| (0..6).map(move |j| [8.0 + 8.0 * i as f32, 6.0 + 10.0 * j as f32])).collect();
        let sq: Vec<[f32; 2]> = (0..4).flat_map(|i| (0..4).map(move |j| [2.0 + 4.0 * i as f32, 2.0 + 4.0 * j as f32])).collect();
        let mut xy = Vec::new();
        for t in 0..frames {
            xy.extend(bg.iter().map(|p| [p[0] + 2.0 * t as f32, p[1]]));
            let (sx, sy) = square(t);
            xy.extend(sq.iter().map(|p| [sx + p[0], sy + p[1]]));
        }
        let n = bg.len() + sq.len();
        (imgs, Tracks::all_visible(w, h, frames, xy, vec![0; n]), inside)
    }

    #[test]
    fn the_mover_changes_and_the_panning_background_does_not() {
        let (frames, tracks, inside) = scene(3);
        let (w, h) = (tracks.width, tracks.height);
        let camera = crate::motion::ego_residual::camera_motions(&tracks);
        let levels = change_levels(&frames, &camera, w, h, 1);
        let (mut on, mut off) = ((0usize, 0usize), (0usize, 0usize));
        for y in 0..h {
            for x in 2..w - 2 {
                let high = levels[y * w + x] >= 8;
                if inside(1, x, y) {
                    on = (on.0 + high as usize, on.1 + 1);
                } else if !inside(0, x, y) && !inside(2, x, y) {
                    off = (off.0 + high as usize, off.1 + 1);
                }
            }
        }
        // A change of about 10 levels of 255 (level 8) or more: most of the square (its texture
        // matches the warped background by chance here and there), almost none of the background
        // (which a static-camera difference would light up everywhere).
        assert!(on.0 * 3 > on.1 * 2, "square: {} of {} pixels changed", on.0, on.1);
        assert!(off.0 * 100 < off.1 * 2, "background: {} of {} pixels changed", off.0, off.1);
        // The first and last frames have one neighbour each and still find the square.
        for t in [0, 2] {
            let l = change_levels(&frames, &camera, w, h, t);
            let changed = (0..w * h).filter(|&i| inside(t, i % w, i / w) && l[i] >= 8).count();
            assert!(changed * 3 > 16 * 16 * 2, "frame {t}: {changed} square pixels changed");
        }
    }

    #[test]
    fn seeds_teach_which_changes_are_the_objects() {
        let (w, h) = (8, 2);
        // Left half changed a lot (level 12), right half hardly (level 1).
        let levels: Vec<u8> = (0..w * h).map(|i| if i % w < 4 { 12 } else { 1 }).collect();
        // Every pixel a seed, ten times over: object seeds on the left, background on the right.
        let seeds: Vec<Seed> = (0..10 * w * h).map(|i| Seed { x: (i % w) as f32, y: ((i / w) % h) as f32, label: (i % w < 4) as u8 }).collect();
        let p = object_probability(&levels, &[(&levels, &seeds)], w, h).unwrap();
        assert!(p[0] > 0.9 && p[7] < 0.1, "{p:?}");
        // A level no seed showed stays neutral.
        let unseen = vec![5u8; w * h];
        assert!((object_probability(&unseen, &[(&levels, &seeds)], w, h).unwrap()[0] - 0.5).abs() < 0.1);
        // Without background seeds there is nothing to compare with.
        assert!(object_probability(&levels, &[(&levels, &seeds[..4])], w, h).is_none());
    }

    #[test]
    fn evidence_adds_in_log_odds() {
        let mut p = vec![0.5, 0.8, 0.8, 0.2];
        combine(&mut p, &[0.8, 0.5, 0.8, 0.8], 1.0);
        assert!((p[0] - 0.8).abs() < 1e-5 && (p[1] - 0.8).abs() < 1e-5);
        assert!((p[2] - 16.0 / 17.0).abs() < 1e-5, "two 4:1 odds make 16:1: {}", p[2]);
        assert!((p[3] - 0.5).abs() < 1e-5);
        let mut q = vec![0.5];
        combine(&mut q, &[0.8], 2.0);
        assert!((q[0] - 16.0 / 17.0).abs() < 1e-5);
    }
}
