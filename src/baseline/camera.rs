//! Camera (dominant, background) motion between two frames as a homography.

use super::homography::{self, Homography, Point};
use super::sparse_flow::{good_features, track, Pyramid};

/// Maximum forward-backward disagreement (working pixels) for a track to be trusted: tracks
/// that don't return home slid along an edge or fell onto an occluder.
const FB_MAX: f32 = 0.7;

/// Homography mapping frame `a` coordinates onto frame `b`. Falls back to the identity (a
/// static camera) when the frames are too flat to track or no model has enough support;
/// that only costs false positives when the camera really moved, never a panic or NaN.
pub(crate) fn estimate_camera_motion(a: &Pyramid, b: &Pyramid, ransac_iterations: usize, seed: u64) -> Homography {
    let base = a.base();
    // ~20 x 12 cells at 320 px: a few hundred points, plenty for RANSAC and cheap for LK.
    let cells_x = (base.w / 16).clamp(2, 24);
    let cells_y = (base.h / 16).clamp(2, 16);
    let mut src: Vec<Point> = Vec::new();
    let mut dst: Vec<Point> = Vec::new();
    for p in good_features(a, cells_x, cells_y) {
        let Some(q) = track(a, b, p) else { continue };
        let Some(back) = track(b, a, q) else { continue };
        if (back.0 - p.0).hypot(back.1 - p.1) > FB_MAX {
            continue;
        }
        src.push((p.0 as f64, p.1 as f64));
        dst.push((q.0 as f64, q.1 as f64));
    }
    // The inlier threshold scales with the working width: ~1 px at 320 px.
    let thresh = (base.w.max(base.h) as f64 / 320.0).clamp(0.5, 1.5);
    homography::estimate(&src, &dst, (base.w, base.h), ransac_iterations, thresh, seed).unwrap_or(Homography::IDENTITY)
}

#[cfg(test)]
mod tests {
    use super::super::raster::Gray;
    use super::super::testutil::texture;
    use super::*;

    fn render(w: usize, h: usize, map: impl Fn(f64, f64) -> (f64, f64)) -> Gray {
        let mut g = Gray::new(w, h);
        for y in 0..h {
            for x in 0..w {
                let (u, v) = map(x as f64, y as f64);
                g.data[y * w + x] = texture(u, v, 11);
            }
        }
        g
    }

    #[test]
    fn recovers_synthetic_warp_to_half_a_pixel() {
        let (w, h) = (240, 160);
        // Frame b shows the scene through `truth`: b(x) = a(truth^-1 x), i.e. truth maps a -> b.
        let (c, s) = (0.02f64.cos(), 0.02f64.sin());
        let truth = Homography([1.03 * c, -s, 4.2, s, 1.03 * c, -2.7, 6e-5, -4e-5, 1.0]);
        let inv = truth.inverse().unwrap();
        let a = render(w, h, |x, y| (x, y));
        let b = render(w, h, |x, y| inv.apply(x, y).unwrap());
        let (pa, pb) = (Pyramid::new(&a, 4), Pyramid::new(&b, 4));
        let est = estimate_camera_motion(&pa, &pb, 300, 5);
        let mut worst = 0.0f64;
        for y in (0..h).step_by(8) {
            for x in (0..w).step_by(8) {
                let (p, q) = (est.apply(x as f64, y as f64).unwrap(), truth.apply(x as f64, y as f64).unwrap());
                worst = worst.max((p.0 - q.0).hypot(p.1 - q.1));
            }
        }
        assert!(worst < 0.5, "worst reprojection error {worst} px, est {est:?}");
    }

    #[test]
    fn flat_frames_fall_back_to_identity() {
        let a = Gray::from_vec(64, 48, vec![0.4; 64 * 48]);
        let p = Pyramid::new(&a, 4);
        assert_eq!(estimate_camera_motion(&p, &p, 100, 0), Homography::IDENTITY);
    }
}
