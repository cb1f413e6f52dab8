//! Motion-compensated frame difference, normalised so that textured static areas stay quiet.

use super::homography::Homography;
use super::raster::Gray;

/// Contrast floor of the normaliser (luma units): below it a difference is judged absolutely,
/// so flat regions behave like plain frame differencing.
const EPS: f32 = 0.04;
const GRAD_WEIGHT: f32 = 0.5;

/// A frame as the residual sees it: lightly blurred luma and its gradient magnitude.
pub(crate) struct Prepared {
    blur: Gray,
    grad: Gray,
}

impl Prepared {
    pub(crate) fn new(work: &Gray) -> Self {
        let blur = work.blur();
        let (gx, gy) = blur.gradients();
        let grad = Gray::from_vec(
            blur.w,
            blur.h,
            gx.data.iter().zip(&gy.data).map(|(a, b)| a.hypot(*b)).collect(),
        );
        Self { blur, grad }
    }
}

/// Residual of frame `t` against frame `s`; `t_to_s` maps `t` pixels into `s`. Pixels that
/// map outside `s` are `None`: nothing is known about them from this neighbour.
///
/// A registration error of `d` px on an edge of gradient `g` yields a difference of about
/// `g * d`, so dividing by `EPS + g` turns the residual into "pixels of misregistration" on
/// edges (small for a good camera fit) while an object that really moved leaves differences
/// far larger than the local gradient explains.
pub(crate) fn residual(t: &Prepared, s: &Prepared, t_to_s: &Homography) -> Vec<Option<f32>> {
    let (w, h) = (t.blur.w, t.blur.h);
    let mut out = vec![None; w * h];
    for y in 0..h {
        for x in 0..w {
            let Some((u, v)) = t_to_s.apply(x as f64, y as f64) else { continue };
            let (u, v) = (u as f32, v as f32);
            let Some(other) = s.blur.sample(u, v) else { continue };
            let i = y * w + x;
            let g = t.grad.data[i].max(s.grad.sample_clamped(u, v));
            out[i] = Some((t.blur.data[i] - other).abs() / (EPS + GRAD_WEIGHT * g));
        }
    }
    out
}

/// Fuses the residuals against two neighbours with a per-pixel minimum. Plain differencing
/// fires twice for a moving object: where it is now and where it was (or will be) in the
/// other frame, the "ghost". The object's current footprint differs from BOTH neighbours,
/// while a ghost differs from only the one frame the object occupied it in, so the minimum
/// keeps the object and drops the ghosts. A pixel only one neighbour sees keeps that value.
pub(crate) fn combine(a: &[Option<f32>], b: Option<&[Option<f32>]>) -> Vec<Option<f32>> {
    match b {
        None => a.to_vec(),
        Some(b) => a
            .iter()
            .zip(b)
            .map(|(x, y)| match (x, y) {
                (Some(x), Some(y)) => Some(x.min(*y)),
                (v, None) | (None, v) => *v,
            })
            .collect(),
    }
}

/// Median by selection; NaN-free inputs are guaranteed by `EPS > 0`.
pub(crate) fn median(values: &[f32]) -> f32 {
    if values.is_empty() {
        return 0.0;
    }
    let mut v = values.to_vec();
    let mid = v.len() / 2;
    *v.select_nth_unstable_by(mid, |a, b| a.total_cmp(b)).1
}

/// Resamples a per-pixel map of a neighbouring frame into frame `t` (bilinear, 0 outside), so
/// temporal smoothing compares the same scene point rather than the same pixel.
pub(crate) fn warp_into(map: &Gray, t_to_s: &Homography) -> Gray {
    let mut out = Gray::new(map.w, map.h);
    for y in 0..map.h {
        for x in 0..map.w {
            if let Some((u, v)) = t_to_s.apply(x as f64, y as f64) {
                out.data[y * map.w + x] = map.sample(u as f32, v as f32).unwrap_or(0.0);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn combine_keeps_pixels_that_differ_from_both_neighbours() {
        let a = [Some(5.0), Some(5.0), None, None];
        let b = [Some(6.0), Some(0.1), Some(2.0), None];
        assert_eq!(combine(&a, Some(&b)), vec![Some(5.0), Some(0.1), Some(2.0), None]);
    }

    #[test]
    fn median_of_odd_and_even() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[]), 0.0);
    }
}
