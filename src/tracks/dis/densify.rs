//! Densification: every pixel averages the vectors of the patches that contain it.

use super::inverse_search::PatchGrid;
use super::par;
use super::pool::Pool;
use super::pyramid::{floor_i, Plane};
use crate::tracks::Flow;

/// Dense flow from patch flows. Pixel x's weight for patch i is `1 / max(1, |I1(x+u_i) - I0(x)|)`
/// (intensities in 0..255, as in the paper), so a patch that straddles a motion boundary
/// counts mostly where its vector explains the pixel. The contributing patches are those with
/// `j*stride <= x < j*stride + size` on both axes, visited row by row, left to right; the
/// flow is `sum(wt*u) / sum(wt)` accumulated in that order. I1 is sampled as in the inverse
/// search: integer base x + floor(u), fraction u - floor(u) (per patch), clamped taps.
/// Kernel: one thread per pixel (a gather, no atomics).
pub fn densify(
    pool: &mut Pool,
    i0: &Plane,
    i1: &Plane,
    grid: &PatchGrid,
    patch_uv: &[[f32; 2]],
) -> Flow {
    let (w, h) = (i0.w, i0.h);
    assert_eq!(patch_uv.len(), grid.len());
    let mut out = pool.flow(w, h);
    let (p, s) = (grid.size, grid.stride);
    // Patches containing coordinate x along one axis: j in [ceil((x+1-p)/s), floor(x/s)],
    // clipped to the grid.
    let span = |x: usize, n: usize| -> (usize, usize) {
        let lo = if x + 1 > p {
            (x + 1 - p).div_ceil(s)
        } else {
            0
        };
        let hi = (x / s).min(n - 1);
        (lo, hi)
    };
    // Per patch: integer parts and fractions of its vector (a bounded vector keeps the
    // integers small; past one image size every tap is clamped anyway).
    let split: Vec<(isize, isize, f32, f32)> = patch_uv
        .iter()
        .map(|&[u, v]| {
            let u = u.clamp(-(w as f32) - 2.0, w as f32 + 2.0);
            let v = v.clamp(-(h as f32) - 2.0, h as f32 + 2.0);
            let (iu, fu) = floor_i(u);
            let (iv, fv) = floor_i(v);
            (iu, iv, u - fu, v - fv)
        })
        .collect();
    let per_px = (p / s + 1) * (p / s + 1) * 16;
    let (wi, hi) = (w as isize, h as isize);
    par::rows(&mut out.uv, 2 * w, per_px, |y, row| {
        // The gather above, executed patch by patch: for every pixel the contributions still
        // arrive in (jy, jx) order, so the sums are the same, but the inner loop runs over the
        // contiguous pixels of one patch row, with the patch's taps and weights fixed.
        let (ylo, yhi) = span(y, grid.ny);
        let i0row = &i0.data[y * w..(y + 1) * w];
        let mut acc = vec![[0.0f32; 3]; w];
        for jy in ylo..=yhi {
            for jx in 0..grid.nx {
                let j = jy * grid.nx + jx;
                let [u, v] = patch_uv[j];
                let (iu, iv, ax, ay) = split[j];
                let xs = jx * s;
                let xe = (xs + p).min(w);
                let by = y as isize + iv;
                let (bx0, bx1) = (xs as isize + iu, xe as isize + iu);
                let fast = by >= 0 && by + 1 < hi && bx0 >= 0 && bx1 < wi;
                for x in xs..xe {
                    let bx = x as isize + iu;
                    let (a, b, c, d) = if fast {
                        let k = by as usize * w + bx as usize;
                        (
                            i1.data[k],
                            i1.data[k + 1],
                            i1.data[k + w],
                            i1.data[k + w + 1],
                        )
                    } else {
                        (
                            i1.at(bx, by),
                            i1.at(bx + 1, by),
                            i1.at(bx, by + 1),
                            i1.at(bx + 1, by + 1),
                        )
                    };
                    let warped =
                        (1.0 - ay) * ((1.0 - ax) * a + ax * b) + ay * ((1.0 - ax) * c + ax * d);
                    let d = warped - i0row[x];
                    let wt = 1.0 / d.abs().max(1.0);
                    let o = &mut acc[x];
                    o[0] += wt * u;
                    o[1] += wt * v;
                    o[2] += wt;
                }
            }
        }
        for (x, o) in acc.iter().enumerate() {
            row[2 * x] = o[0] / o[2];
            row[2 * x + 1] = o[1] / o[2];
        }
    });
    out
}
