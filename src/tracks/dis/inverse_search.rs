//! Patch grid, per-patch structure tensors and the inverse search with parallel propagation.
//!
//! A patch is the `size`x`size` square of frame a whose top-left pixel is (jx*stride, jy*stride).
//! The grid has `1 + ceil((n - size) / stride)` patches along a side of n pixels (1 when
//! n <= size), so the last patch may hang over the right/bottom edge: its pixels outside the
//! image read the replicated border, like every other read. That keeps the grid uniform (the
//! densification can find a pixel's patches by division) and covers every pixel.
//!
//! Propagation is Jacobi-style, unlike OpenCV's raster-order scan: in round r every patch
//! reads only round r-1's results (itself and its 4 grid neighbours), so a round is one
//! kernel launch with one thread per patch, and the result does not depend on scheduling.
//! Information crosses one patch per round, which is enough because each level starts from
//! the coarser level's flow; the rounds mostly repair outliers. A patch whose descent has
//! converged and whose neighbours offer nothing new is skipped (see [`PatchState`]), so extra
//! rounds cost little.
//!
//! Why the descent is "accept a step only if the cost falls": with normalised gradients a full
//! Gauss-Newton step is the right length, and on fine texture a rejected step is the sign of
//! having reached the noise floor. (OpenCV gets robustness from 1/8-length steps instead.)

// Explicit index loops below mirror the per-thread GPU code.
#![allow(clippy::needless_range_loop)]

use super::par;
use super::pyramid::{floor_i, Plane, Taps};
use crate::tracks::Flow;

/// `f::<P>(args)` for the patch side `p` (1..=MAX_PATCH; larger values take MAX_PATCH): the
/// per-patch functions keep their patch in fixed-size arrays.
macro_rules! by_patch_size {
    ($p:expr, $f:ident($($arg:expr),*)) => {
        match $p {
            1 => $f::<1>($($arg),*),
            2 => $f::<2>($($arg),*),
            3 => $f::<3>($($arg),*),
            4 => $f::<4>($($arg),*),
            5 => $f::<5>($($arg),*),
            6 => $f::<6>($($arg),*),
            7 => $f::<7>($($arg),*),
            8 => $f::<8>($($arg),*),
            9 => $f::<9>($($arg),*),
            10 => $f::<10>($($arg),*),
            11 => $f::<11>($($arg),*),
            12 => $f::<12>($($arg),*),
            13 => $f::<13>($($arg),*),
            14 => $f::<14>($($arg),*),
            15 => $f::<15>($($arg),*),
            _ => $f::<16>($($arg),*),
        }
    };
}
pub(super) use by_patch_size;

/// Largest supported patch side; patch buffers live on the stack (a GPU thread's registers /
/// private memory), so it has to be bounded.
pub const MAX_PATCH: usize = 16;

/// The sparse grid of patches on one pyramid level.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PatchGrid {
    pub size: usize,
    pub stride: usize,
    pub nx: usize,
    pub ny: usize,
}

impl PatchGrid {
    /// `size` is clamped to 1..=MAX_PATCH and `stride` to 1..=size so that every pixel lies in
    /// at least one patch.
    pub fn new(w: usize, h: usize, size: usize, stride: usize) -> Self {
        let size = size.clamp(1, MAX_PATCH);
        let stride = stride.clamp(1, size);
        let count = |n: usize| {
            if n <= size {
                1
            } else {
                1 + (n - size).div_ceil(stride)
            }
        };
        Self {
            size,
            stride,
            nx: count(w),
            ny: count(h),
        }
    }

    pub fn len(&self) -> usize {
        self.nx * self.ny
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Top-left pixel of patch (jx, jy).
    #[inline]
    pub fn origin(&self, jx: usize, jy: usize) -> (isize, isize) {
        ((jx * self.stride) as isize, (jy * self.stride) as isize)
    }
}

/// Per-patch sums over the patch of `[gx*gx, gx*gy, gy*gy, gx, gy]` (the structure tensor and
/// the gradient sums that mean normalisation needs), accumulated row-major. They depend on
/// frame a only, so they are computed once per level. Kernel: one thread per patch.
pub fn patch_tensors(gx: &Plane, gy: &Plane, grid: &PatchGrid) -> Vec<[f32; 5]> {
    let mut out = vec![[0.0f32; 5]; grid.len()];
    let p = grid.size;
    par::rows(&mut out, grid.nx, 5 * p * p, |jy, row| {
        for (jx, o) in row.iter_mut().enumerate() {
            let (x0, y0) = grid.origin(jx, jy);
            let mut s = [0.0f32; 5];
            let inside = x0 as usize + p <= gx.w && y0 as usize + p <= gx.h;
            for r in 0..p as isize {
                for c in 0..p as isize {
                    let (a, b) = if inside {
                        let k = (y0 + r) as usize * gx.w + (x0 + c) as usize;
                        (gx.data[k], gy.data[k])
                    } else {
                        (gx.at(x0 + c, y0 + r), gy.at(x0 + c, y0 + r))
                    };
                    s[0] += a * a;
                    s[1] += a * b;
                    s[2] += b * b;
                    s[3] += a;
                    s[4] += b;
                }
            }
            *o = s;
        }
    });
    out
}

/// Each patch's starting vector: the dense flow sampled bilinearly at the patch centre
/// (x0 + (size-1)/2, y0 + (size-1)/2). Kernel: one thread per patch.
pub fn init_patch_flow(dense: &Flow, grid: &PatchGrid) -> PatchState {
    let mut out = vec![[0.0f32; 2]; grid.len()];
    let half = (grid.size as f32 - 1.0) * 0.5;
    par::rows(&mut out, grid.nx, 10, |jy, row| {
        for (jx, o) in row.iter_mut().enumerate() {
            let (x0, y0) = grid.origin(jx, jy);
            let (cx, cy) = (x0 as f32 + half, y0 as f32 + half);
            let t = Taps::new(dense.width, dense.height, cx, cy);
            *o = [t.lerp(&dense.uv, 2, 0), t.lerp(&dense.uv, 2, 1)];
        }
    });
    PatchState {
        settled: vec![false; out.len()],
        uv: out,
    }
}

/// Patch vectors between propagation rounds. `settled[i]` says that patch i's last descent
/// ended at a point where its next step was rejected (or it was sent back to its start), so
/// another round from the same single candidate would return the same vector: the round
/// skips such a patch unless a neighbour offers a new candidate. (On a GPU: a u32 per patch.)
#[derive(Clone, Debug, PartialEq)]
pub struct PatchState {
    pub uv: Vec<[f32; 2]>,
    pub settled: Vec<bool>,
}

/// What one inverse-search round reads besides the previous patch flows.
#[derive(Clone, Copy)]
pub struct SearchInputs<'a> {
    pub i0: &'a Plane,
    pub gx: &'a Plane,
    pub gy: &'a Plane,
    pub i1: &'a Plane,
    /// Frame b's gradients (used when `warped_gradient` is on).
    pub gx1: &'a Plane,
    pub gy1: &'a Plane,
    pub grid: PatchGrid,
    pub tensors: &'a [[f32; 5]],
    /// Gauss-Newton steps per round (each accepted only if it lowers the patch cost).
    pub iters: usize,
    pub mean_normalization: bool,
    /// Added to the Hessian diagonal, per patch pixel: damps the step along directions with
    /// almost no texture (aperture problem, flat areas) instead of letting it explode.
    pub ridge: f32,
    /// A neighbour's vector within this distance (pixels, per axis) of the own one or of an
    /// earlier candidate is not tried: the descent would find it anyway.
    pub candidate_tolerance: f32,
    /// Gauss-Newton with frame b's warped gradients (fixed point = SSD minimum) instead of the
    /// template's (cheaper, biased on fine texture).
    pub warped_gradient: bool,
}

/// One propagation + gradient-descent round. Per patch (skipped, keeping its vector, when it
/// is settled and has no new candidate):
/// 1. candidates: the patch's own vector from `prev`, then its left, right, upper and lower
///    neighbours' (those that exist and differ by more than `candidate_tolerance` from the
///    earlier ones); the one with the lowest
///    (mean-normalised) SSD wins, the first on ties;
/// 2. inverse-compositional Gauss-Newton from it: `u -= H^-1 * sum((I1(x+u) - I0(x)) * grad I0)`
///    with H the patch's (mean-normalised, ridge-regularised) structure tensor; a step is kept
///    only if it lowers the cost, otherwise the descent stops;
/// 3. a result farther than one patch side from the winning candidate is rejected (it almost
///    always is a false match) in favour of the candidate.
///
/// Kernel: one thread per patch, reading `prev`, writing the returned buffer.
pub fn search_round(inp: &SearchInputs, prev: &PatchState) -> PatchState {
    assert_eq!(prev.uv.len(), inp.grid.len());
    let n = inp.grid.len();
    let mut out = PatchState {
        uv: vec![[0.0f32; 2]; n],
        settled: vec![false; n],
    };
    let p = inp.grid.size;
    let work = 8 * p * p * (inp.iters + 3);
    par::rows2(
        &mut out.uv,
        inp.grid.nx,
        &mut out.settled,
        inp.grid.nx,
        work,
        |jy, row, srow| {
            for (jx, (o, so)) in row.iter_mut().zip(srow.iter_mut()).enumerate() {
                (*o, *so) = by_patch_size!(p, search_patch(inp, prev, jx, jy));
            }
        },
    );
    out
}

/// Frame a's patch, gathered once per patch (clamped reads).
pub(super) struct Template<const P: usize> {
    pub(super) i0: [[f32; P]; P],
    pub(super) gx: [[f32; P]; P],
    pub(super) gy: [[f32; P]; P],
}

impl<const P: usize> Template<P> {
    /// The patch whose top-left pixel is (x0, y0).
    pub(super) fn gather(inp: &SearchInputs, x0: isize, y0: isize) -> Self {
        let mut t = Template::<P> {
            i0: [[0.0; P]; P],
            gx: [[0.0; P]; P],
            gy: [[0.0; P]; P],
        };
        let w = inp.i0.w;
        if x0 >= 0 && y0 >= 0 && x0 as usize + P <= w && y0 as usize + P <= inp.i0.h {
            for r in 0..P {
                let o = (y0 as usize + r) * w + x0 as usize;
                t.i0[r].copy_from_slice(&inp.i0.data[o..o + P]);
                t.gx[r].copy_from_slice(&inp.gx.data[o..o + P]);
                t.gy[r].copy_from_slice(&inp.gy.data[o..o + P]);
            }
        } else {
            for r in 0..P {
                for c in 0..P {
                    let (x, y) = (x0 + c as isize, y0 + r as isize);
                    t.i0[r][c] = inp.i0.at(x, y);
                    t.gx[r][c] = inp.gx.at(x, y);
                    t.gy[r][c] = inp.gy.at(x, y);
                }
            }
        }
        t
    }
}

/// The constants of one patch's Gauss-Newton descent: the inverse of its mean-normalised,
/// ridge-regularised structure tensor (constant during the descent: the point of the
/// inverse-compositional formulation) and the mean-normalisation terms.
pub(super) struct Descent {
    i11: f32,
    i12: f32,
    i22: f32,
    pub(super) mn: f32,
    pub(super) sx: f32,
    pub(super) sy: f32,
}

impl Descent {
    pub(super) fn new<const P: usize>(inp: &SearchInputs, jx: usize, jy: usize) -> Self {
        let n = (P * P) as f32;
        let mn = if inp.mean_normalization { 1.0 / n } else { 0.0 };
        let [sxx, sxy, syy, sx, sy] = inp.tensors[jy * inp.grid.nx + jx];
        let ridge = inp.ridge * n;
        let hxx = sxx - sx * sx * mn + ridge;
        let hxy = sxy - sx * sy * mn;
        let hyy = syy - sy * sy * mn + ridge;
        let det = (hxx * hyy - hxy * hxy).max(1e-6);
        Descent { i11: hyy / det, i12: -hxy / det, i22: hxx / det, mn, sx, sy }
    }

    /// Up to `inp.iters` Gauss-Newton steps from `start`, each kept only if it lowers the
    /// cost: (end point, settled, its SSD). Settled means the next step was rejected (or
    /// there were no steps to take), so descending again from the end point returns it.
    pub(super) fn descend<const P: usize>(
        &self,
        inp: &SearchInputs,
        x0: isize,
        y0: isize,
        t: &Template<P>,
        start: [f32; 2],
    ) -> ([f32; 2], bool, f32) {
        let full = |uv: [f32; 2]| {
            if inp.warped_gradient {
                evaluate::<P, WARPED_GRAD>(inp, x0, y0, uv, t, self.mn, self.sx, self.sy)
            } else {
                evaluate::<P, TEMPLATE_GRAD>(inp, x0, y0, uv, t, self.mn, self.sx, self.sy)
            }
        };
        let mut cur = start;
        // With no steps to take the vector is trivially a fixed point.
        let mut settled = inp.iters == 0;
        let mut cost = f32::NAN;
        if inp.iters > 0 {
            let mut cur_eval = full(start);
            for _ in 0..inp.iters {
                let dx = self.i11 * cur_eval.bx + self.i12 * cur_eval.by;
                let dy = self.i12 * cur_eval.bx + self.i22 * cur_eval.by;
                let next = [cur[0] - dx, cur[1] - dy];
                if !(next[0].is_finite() && next[1].is_finite()) {
                    settled = true;
                    break;
                }
                let e = full(next);
                // (also stops on NaN)
                if e.ssd.partial_cmp(&cur_eval.ssd) != Some(std::cmp::Ordering::Less) {
                    settled = true;
                    break;
                }
                cur = next;
                cur_eval = e;
            }
            cost = cur_eval.ssd;
        }
        (cur, settled, cost)
    }
}

/// Cost of one candidate vector: (SSD, dSSD/du-ish vector b). With mean normalisation the
/// patch difference has its mean removed: SSD = sum(d^2) - (sum d)^2/n and
/// b = sum(d*g) - (sum d)(sum g)/n.
pub(super) struct Eval {
    pub(super) ssd: f32,
    bx: f32,
    by: f32,
}

fn search_patch<const P: usize>(
    inp: &SearchInputs,
    prev: &PatchState,
    jx: usize,
    jy: usize,
) -> ([f32; 2], bool) {
    let grid = inp.grid;
    let idx = jy * grid.nx + jx;
    let own = prev.uv[idx];

    // Candidates in fixed order: own, left, right, up, down; a neighbour's vector within the
    // tolerance of an already listed one is left out. In smooth regions this leaves only the
    // own vector after the first round.
    let tol = inp.candidate_tolerance;
    let mut cands = [own; 5];
    let mut ncand = 1;
    let neighbours = [
        (jx > 0).then(|| idx - 1),
        (jx + 1 < grid.nx).then(|| idx + 1),
        (jy > 0).then(|| idx - grid.nx),
        (jy + 1 < grid.ny).then(|| idx + grid.nx),
    ];
    for ni in neighbours.into_iter().flatten() {
        let c = prev.uv[ni];
        if !cands[..ncand]
            .iter()
            .any(|o| (o[0] - c[0]).abs() <= tol && (o[1] - c[1]).abs() <= tol)
        {
            cands[ncand] = c;
            ncand += 1;
        }
    }
    if ncand == 1 && prev.settled[idx] {
        return (own, true);
    }

    let (x0, y0) = grid.origin(jx, jy);
    let t = Template::<P>::gather(inp, x0, y0);
    let d = Descent::new::<P>(inp, jx, jy);

    let mut best = own;
    if ncand > 1 {
        let mut best_ssd = f32::INFINITY;
        for &c in &cands[..ncand] {
            let e = evaluate::<P, SSD_ONLY>(inp, x0, y0, c, &t, d.mn, d.sx, d.sy);
            if e.ssd < best_ssd {
                best = c;
                best_ssd = e.ssd;
            }
        }
    }

    let start = best;
    let (cur, settled, _) = d.descend(inp, x0, y0, &t, best);
    let (du, dv) = (cur[0] - start[0], cur[1] - start[1]);
    if du * du + dv * dv > (P * P) as f32 {
        // Sent back to its start, which repeats identically next round.
        (start, true)
    } else {
        (cur, settled)
    }
}

/// What `evaluate` computes besides the SSD.
pub(super) const SSD_ONLY: u8 = 0;
/// b from frame a's (template) gradients: the classic inverse-compositional update.
const TEMPLATE_GRAD: u8 = 1;
/// b from frame b's gradients sampled at the warped positions: the true SSD gradient.
const WARPED_GRAD: u8 = 2;

/// Horizontally interpolated rows `h = (1-fx)*p[c] + fx*p[c+1]` of the (P+1)x(P+1) window of
/// `plane` whose top-left pixel is (bx, by), clamped reads.
#[inline(always)]
fn window_rows<const P: usize>(
    plane: &Plane,
    bx: isize,
    by: isize,
    ax: f32,
    inside: bool,
    out: &mut [[f32; P]; MAX_PATCH + 1],
) {
    for (r, hr) in out.iter_mut().enumerate().take(P + 1) {
        if inside {
            let start = (by as usize + r) * plane.w + bx as usize;
            let src = &plane.data[start..start + P + 1];
            for c in 0..P {
                hr[c] = (1.0 - ax) * src[c] + ax * src[c + 1];
            }
        } else {
            let y = by.saturating_add(r as isize);
            for c in 0..P {
                let x = bx.saturating_add(c as isize);
                hr[c] = (1.0 - ax) * plane.at(x, y) + ax * plane.at(x.saturating_add(1), y);
            }
        }
    }
}

/// Bilinear warp of frame b under the patch, difference d to the template, and the sums the
/// update needs. Sampling is split as integer base floor(u) plus fraction u - floor(u) of the
/// (patch-constant) vector: each row of the (P+1)x(P+1) window of b is first interpolated
/// horizontally, then `I1 = (1-fy)*h[r] + fy*h[r+1]`, the same arithmetic as
/// `pyramid::bilinear`. Sums are accumulated per patch column over rows (top to bottom), then
/// the P column sums are added left to right: a fixed order that a GPU thread reproduces and
/// that lets the CPU vectorise across columns.
///
/// `MODE` picks the gradient g in b = sum(d*g) (mean-normalised: minus (sum d)(sum g)/n):
/// with `WARPED_GRAD`, frame b's gradient planes are interpolated like b itself, so the
/// descent's fixed point is the SSD minimum; the template gradient (`TEMPLATE_GRAD`) is
/// cheaper but its fixed point is biased wherever b's interpolation differs from a (fine
/// texture), by a few hundredths of a pixel, all in the same direction.
#[allow(clippy::too_many_arguments)]
#[inline(always)]
pub(super) fn evaluate<const P: usize, const MODE: u8>(
    inp: &SearchInputs,
    x0: isize,
    y0: isize,
    uv: [f32; 2],
    t: &Template<P>,
    mn: f32,
    sx: f32,
    sy: f32,
) -> Eval {
    let i1 = inp.i1;
    // Beyond one window past the border every tap is clamped anyway; bounding the vector keeps
    // the integer part small on 32-bit targets.
    let (lx, ly) = ((i1.w + P + 2) as f32, (i1.h + P + 2) as f32);
    let uv = [uv[0].clamp(-lx, lx), uv[1].clamp(-ly, ly)];
    let (iu, fu) = floor_i(uv[0]);
    let (iv, fv) = floor_i(uv[1]);
    let (ax, ay) = (uv[0] - fu, uv[1] - fv);
    let bx = x0.saturating_add(iu);
    let by = y0.saturating_add(iv);
    let (w, h) = (i1.w as isize, i1.h as isize);
    let inside = bx >= 0 && by >= 0 && bx + (P as isize) < w && by + (P as isize) < h;

    let mut hrow = [[0.0f32; P]; MAX_PATCH + 1];
    window_rows::<P>(i1, bx, by, ax, inside, &mut hrow);
    let mut hgx = [[0.0f32; P]; MAX_PATCH + 1];
    let mut hgy = [[0.0f32; P]; MAX_PATCH + 1];
    if MODE == WARPED_GRAD {
        window_rows::<P>(inp.gx1, bx, by, ax, inside, &mut hgx);
        window_rows::<P>(inp.gy1, bx, by, ax, inside, &mut hgy);
    }

    let mut ad = [0.0f32; P];
    let mut ad2 = [0.0f32; P];
    let mut agx = [0.0f32; P];
    let mut agy = [0.0f32; P];
    let mut a1x = [0.0f32; P];
    let mut a1y = [0.0f32; P];
    for r in 0..P {
        let (top, bot) = (&hrow[r], &hrow[r + 1]);
        let ti = &t.i0[r];
        for c in 0..P {
            let d = ((1.0 - ay) * top[c] + ay * bot[c]) - ti[c];
            ad[c] += d;
            ad2[c] += d * d;
            if MODE == TEMPLATE_GRAD {
                agx[c] += d * t.gx[r][c];
                agy[c] += d * t.gy[r][c];
            } else if MODE == WARPED_GRAD {
                let gx = (1.0 - ay) * hgx[r][c] + ay * hgx[r + 1][c];
                let gy = (1.0 - ay) * hgy[r][c] + ay * hgy[r + 1][c];
                agx[c] += d * gx;
                agy[c] += d * gy;
                a1x[c] += gx;
                a1y[c] += gy;
            }
        }
    }
    let (mut sd, mut sd2, mut sgx, mut sgy, mut s1x, mut s1y) =
        (0.0f32, 0.0f32, 0.0f32, 0.0f32, 0.0f32, 0.0f32);
    for c in 0..P {
        sd += ad[c];
        sd2 += ad2[c];
        sgx += agx[c];
        sgy += agy[c];
        s1x += a1x[c];
        s1y += a1y[c];
    }
    let (gsx, gsy) = if MODE == WARPED_GRAD {
        (s1x, s1y)
    } else {
        (sx, sy)
    };
    Eval {
        ssd: sd2 - sd * sd * mn,
        bx: sgx - sd * gsx * mn,
        by: sgy - sd * gsy * mn,
    }
}
