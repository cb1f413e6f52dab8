//! Which flow vectors can be trusted: per frame pair, one map per direction.
//!
//! GPU: one invocation per pixel and direction (two dispatches per pair, or one with a
//! direction axis); each reads its 3x3 cross of the flow and four texels of the opposite flow
//! and writes one f32. No reductions, no atomics.

use super::sample::{bilinear, consistent};
use super::{par, Thresholds, TrackError};
use crate::tracks::Flow;

/// Marks an unreliable pixel in [`Reliability`] maps. Negative so that it can never collide
/// with an error (a squared length) and a single `>= 0` test reads the mask on any GPU.
pub const UNRELIABLE: f32 = -1.0;

/// Reliability of one frame pair (t, t+1). `fw_err[y*w+x]` belongs to pixel (x, y) of frame t
/// and the forward flow, `bw_err` to pixel (x, y) of frame t+1 and the backward flow. A value
/// `>= 0` means reliable and is the squared forward-backward discrepancy `|w + ŵ(x+w)|²` in
/// px² (the confidence input); [`UNRELIABLE`] means the flow there fails the consistency or
/// motion-boundary test or is not finite. Leaving the image is not part of the map (tracks
/// test their own positions). Mask and error share one
/// f32 to halve the memory of the clip's maps (8 bytes per pixel and pair).
#[derive(Clone, Debug, PartialEq)]
pub struct Reliability {
    pub width: usize,
    pub height: usize,
    pub fw_err: Vec<f32>,
    pub bw_err: Vec<f32>,
}

impl Reliability {
    pub fn fw_ok(&self, x: usize, y: usize) -> bool {
        self.fw_err[y * self.width + x] >= 0.0
    }

    pub fn bw_ok(&self, x: usize, y: usize) -> bool {
        self.bw_err[y * self.width + x] >= 0.0
    }
}

/// Both maps of one pair with the paper's thresholds. `fw`: t -> t+1, `bw`: t+1 -> t.
pub fn reliability(fw: &Flow, bw: &Flow) -> Result<Reliability, TrackError> {
    reliability_with(fw, bw, &Thresholds::default())
}

pub fn reliability_with(fw: &Flow, bw: &Flow, th: &Thresholds) -> Result<Reliability, TrackError> {
    th.validate()?;
    super::validate::flow(fw, "forward flow", None)?;
    super::validate::flow(bw, "backward flow", Some((fw.width, fw.height)))?;
    Ok(Reliability {
        width: fw.width,
        height: fw.height,
        fw_err: direction(fw, bw, th),
        bw_err: direction(bw, fw, th),
    })
}

/// The map of `a` checked against its opposite flow `b`.
fn direction(a: &Flow, b: &Flow, th: &Thresholds) -> Vec<f32> {
    let w = a.width;
    let mut out = vec![UNRELIABLE; w * a.height];
    par::rows(&mut out, w, |y, row| {
        for (x, o) in row.iter_mut().enumerate() {
            *o = pixel(a, b, x, y, th);
        }
    });
    out
}

/// One pixel's error or [`UNRELIABLE`] (the per-invocation body of the GPU kernel).
#[inline]
pub(crate) fn pixel(a: &Flow, b: &Flow, x: usize, y: usize, th: &Thresholds) -> f32 {
    let (w, h) = (a.width, a.height);
    let at = |xx: usize, yy: usize| [a.uv[2 * (yy * w + xx)], a.uv[2 * (yy * w + xx) + 1]];
    let f = at(x, y);
    // Central differences, one-sided (still halved) at the border as with clamp-to-edge.
    let (xl, xr) = (x.saturating_sub(1), (x + 1).min(w - 1));
    let (yu, yd) = (y.saturating_sub(1), (y + 1).min(h - 1));
    let (l, r, u, d) = (at(xl, y), at(xr, y), at(x, yu), at(x, yd));
    let dux = (r[0] - l[0]) * 0.5;
    let dvx = (r[1] - l[1]) * 0.5;
    let duy = (d[0] - u[0]) * 0.5;
    let dvy = (d[1] - u[1]) * 0.5;
    let grad = (dux * dux + dvx * dvx) + (duy * duy + dvy * dvy);
    let speed = f[0] * f[0] + f[1] * f[1];
    // Written as "not below or equal" on purpose: a NaN gradient (a non-finite neighbour) must
    // count as a boundary, and a plain `>` would let it pass.
    #[allow(clippy::neg_cmp_op_on_partial_ord)]
    let boundary = !(grad <= th.mb_rel * speed + th.mb_abs);
    if boundary {
        return UNRELIABLE;
    }
    // A target outside the image is not unreliable by itself: `bilinear` evaluates ŵ at the
    // nearest point of the image band, and whether a track leaves is decided from its own
    // sub-pixel position. Marking such pixels here (as the authors' code does) stops points
    // in the outer half pixel one frame early whenever their nearest pixel's target is out
    // but their own is not.
    let (tx, ty) = (x as f32 + f[0], y as f32 + f[1]);
    match consistent(f, bilinear(b, tx, ty), th.fb_rel, th.fb_abs) {
        Some(e) => e,
        None => UNRELIABLE,
    }
}
