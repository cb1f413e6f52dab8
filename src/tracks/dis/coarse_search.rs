//! Exhaustive patch search on one coarse level, for motion faster than the coarse-to-fine
//! descent can reach.
//!
//! DIS finds a displacement only if the coarser levels bring it within the Gauss-Newton basin
//! (about a patch side) of the truth. A small object moving fast against a different
//! background is lost at the coarse levels (it covers a pixel or two there, and the coarse
//! flow is the background's), so by the level where it is big enough its displacement is far
//! outside the basin: on the synthetic suite's `fast` case a 60 px triangle at 34 px/frame had
//! a flow error of 34 px, i.e. DIS never moved it.
//!
//! Here every patch also tries every integer displacement within `radius` (level pixels) of
//! zero on a `step` lattice, polishes the best one on the 1 px lattice around it, descends from
//! it like [`search_round`](super::inverse_search::search_round) does, and takes the result
//! only if its cost is below `ratio` times the cost of the vector the patch already has: on
//! repetitive texture the lattice minimum is often a wrong period, and a vector that merely
//! ties with the coarse-to-fine one must not replace it. Adopted vectors are marked unsettled
//! so the following propagation rounds spread them to neighbours.
//!
//! Kernel: one thread per patch (its template in registers, `(2r/step+1)^2 + 8` cost
//! evaluations plus a descent).

#![allow(clippy::needless_range_loop)]

use super::inverse_search::{by_patch_size, evaluate, Descent, PatchState, SearchInputs, Template, SSD_ONLY};
use super::pyramid::{LevelPlan, Plane};
use super::DisParams;
use super::par;

/// Tuning of [`coarse_search`], in pixels of the level it runs on.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CoarseSearch {
    pub radius: usize,
    pub step: usize,
    pub ratio: f32,
}

impl CoarseSearch {
    /// The search DIS runs on level `k` of `plan` with `p`, if any: on
    /// `p.coarse_search_level` clamped to the visited levels, with the radius scaled down
    /// from full-resolution pixels.
    pub fn for_level(p: &DisParams, plan: LevelPlan, k: usize) -> Option<Self> {
        (p.coarse_search_radius > 0 && k == p.coarse_search_level.clamp(plan.finest, plan.coarsest)).then(|| {
            CoarseSearch {
                radius: p.coarse_search_radius.div_ceil(1 << k),
                step: p.coarse_search_step,
                ratio: p.coarse_search_ratio,
            }
        })
    }
}

/// Relative rounding allowance of the early-out bound in [`Template::ssd_at`].
const PRUNE_MARGIN: f32 = 1e-4;

/// Patches with a standard deviation below 1 grey level (of 255) are not searched: any
/// vector fits them.
const FLAT: f32 = 1.0;

/// Every patch's vector after the exhaustive search (see the module docs).
pub fn coarse_search(inp: &SearchInputs, prev: &PatchState, cs: &CoarseSearch) -> PatchState {
    assert_eq!(prev.uv.len(), inp.grid.len());
    let n = inp.grid.len();
    let mut out = PatchState { uv: vec![[0.0f32; 2]; n], settled: vec![false; n] };
    let p = inp.grid.size;
    let lattice = 2 * cs.radius / cs.step.max(1) + 1;
    let work = 3 * p * p * (lattice * lattice + 8 + inp.iters);
    par::rows2(&mut out.uv, inp.grid.nx, &mut out.settled, inp.grid.nx, work, |jy, row, srow| {
        for (jx, (o, so)) in row.iter_mut().zip(srow.iter_mut()).enumerate() {
            (*o, *so) = by_patch_size!(p, patch(inp, prev, cs, jx, jy));
        }
    });
    out
}

fn patch<const P: usize>(
    inp: &SearchInputs,
    prev: &PatchState,
    cs: &CoarseSearch,
    jx: usize,
    jy: usize,
) -> ([f32; 2], bool) {
    let idx = jy * inp.grid.nx + jx;
    let own = (prev.uv[idx], prev.settled[idx]);
    let (x0, y0) = inp.grid.origin(jx, jy);
    let t = Template::<P>::gather(inp, x0, y0);
    let d = Descent::new::<P>(inp, jx, jy);
    let current = evaluate::<P, SSD_ONLY>(inp, x0, y0, own.0, &t, d.mn, d.sx, d.sy).ssd;
    if t.variance() < FLAT * FLAT * (P * P) as f32 {
        return own;
    }

    // Beyond the level's size plus a patch every window is clamped to the same border
    // pixels; the bounds keep the GPU's integers small (it applies the same ones).
    let r = cs.radius.min(inp.i1.w.max(inp.i1.h) + P) as isize;
    let step = cs.step.clamp(1, 1 << 20) as isize;
    let (best, best_ssd) = lattice_min(&t, inp.i1, x0, y0, d.mn, r, step, own.0, true);
    let start = [best[0] as f32, best[1] as f32];
    let (mut v, _, mut c) = d.descend(inp, x0, y0, &t, start);
    let (du, dv) = (v[0] - start[0], v[1] - start[1]);
    if !(c.is_finite()) || du * du + dv * dv > (P * P) as f32 {
        (v, c) = (start, best_ssd);
    }
    if c < cs.ratio * current {
        (v, false)
    } else {
        own
    }
}

/// The cheapest integer vector among every `step`-th one within `r` of zero (per axis) and,
/// for `step` > 1, the 8 around the best of those; its cost. The lattice vector nearest `own`
/// is tried first: it is usually the cheapest, and with `prune` a low bound early lets
/// [`Template::ssd_at`] give up on most others after two rows. Ties go to the first tried.
#[allow(clippy::too_many_arguments)]
fn lattice_min<const P: usize>(
    t: &Template<P>,
    i1: &Plane,
    x0: isize,
    y0: isize,
    mn: f32,
    r: isize,
    step: isize,
    own: [f32; 2],
    prune: bool,
) -> ([isize; 2], f32) {
    let mut best = [0isize; 2];
    let mut best_ssd = f32::INFINITY;
    let mut try_at = |v: [isize; 2], best: &mut [isize; 2]| {
        let bound = if prune { best_ssd } else { f32::INFINITY };
        let c = t.ssd_at(i1, x0 + v[0], y0 + v[1], mn, bound);
        if c < best_ssd {
            best_ssd = c;
            *best = v;
        }
    };
    let last = ((2 * r) / step) as f32;
    let near = |u: f32| -r + step * ((u + r as f32) / step as f32 + 0.5).floor().clamp(0.0, last) as isize;
    let seed = [near(own[0]), near(own[1])];
    try_at(seed, &mut best);
    let mut dy = -r;
    while dy <= r {
        let mut dx = -r;
        while dx <= r {
            if [dx, dy] != seed {
                try_at([dx, dy], &mut best);
            }
            dx += step;
        }
        dy += step;
    }
    if step > 1 {
        let c = best;
        for oy in -1..=1isize {
            for ox in -1..=1isize {
                if ox != 0 || oy != 0 {
                    try_at([c[0] + ox, c[1] + oy], &mut best);
                }
            }
        }
    }
    (best, best_ssd)
}

impl<const P: usize> Template<P> {
    /// Sum of squared deviations from the patch mean.
    fn variance(&self) -> f32 {
        let (mut s, mut s2) = (0.0f32, 0.0f32);
        for r in 0..P {
            for c in 0..P {
                let v = self.i0[r][c];
                s += v;
                s2 += v * v;
            }
        }
        (s2 - s * s / (P * P) as f32).max(0.0)
    }

    /// Mean-normalised SSD against the window of `i1` whose top-left pixel is (bx, by)
    /// (clamped reads): `evaluate`'s cost at an integer vector, with the same accumulation
    /// order (so the same bits), without the interpolation.
    ///
    /// Gives up early, returning a lower bound of the cost above `bound`, once the rows seen
    /// so far already cost clearly more than `bound`: the SSD about their own mean (which
    /// minimises it) cannot exceed their share of the whole patch's cost. Most lattice
    /// vectors are far off, so this skips most of the work without changing which vector
    /// wins: the margin covers the rounding of the bound, so a vector is dropped only if
    /// its full cost would not have beaten `bound` either.
    #[inline(always)]
    fn ssd_at(&self, i1: &Plane, bx: isize, by: isize, mn: f32, bound: f32) -> f32 {
        let (w, h) = (i1.w as isize, i1.h as isize);
        let inside = bx >= 0 && by >= 0 && bx + (P as isize) <= w && by + (P as isize) <= h;
        let mut ad = [0.0f32; P];
        let mut ad2 = [0.0f32; P];
        for r in 0..P {
            let ti = &self.i0[r];
            if inside {
                let o = (by as usize + r) * i1.w + bx as usize;
                let src = &i1.data[o..o + P];
                for c in 0..P {
                    let d = src[c] - ti[c];
                    ad[c] += d;
                    ad2[c] += d * d;
                }
            } else {
                for c in 0..P {
                    let d = i1.at(bx + c as isize, by + r as isize) - ti[c];
                    ad[c] += d;
                    ad2[c] += d * d;
                }
            }
            if r == 1 && P > 2 {
                let (mut sd, mut sd2) = (0.0f32, 0.0f32);
                for c in 0..P {
                    sd += ad[c];
                    sd2 += ad2[c];
                }
                // mn is 1/(P*P) or 0; the two rows hold 2P pixels.
                let lb = sd2 - sd * sd * mn * (P as f32 / 2.0);
                if lb - bound > PRUNE_MARGIN * sd2 {
                    return lb;
                }
            }
        }
        let (mut sd, mut sd2) = (0.0f32, 0.0f32);
        for c in 0..P {
            sd += ad[c];
            sd2 += ad2[c];
        }
        sd2 - sd * sd * mn
    }
}

#[cfg(test)]
mod tests {
    use super::super::inverse_search::{init_patch_flow, patch_tensors, search_round, PatchGrid};
    use super::super::pool::Pool;
    use super::super::pyramid::gradients;
    use super::*;
    use crate::tracks::Flow;

    /// Smooth random texture: bilinear interpolation of a hashed 4 px lattice.
    fn texture(x: f32, y: f32) -> f32 {
        let hash = |i: i64, j: i64| {
            let mut h = (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (j as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F);
            h ^= h >> 29;
            h = h.wrapping_mul(0xBF58_476D_1CE4_E5B9);
            (h >> 40) as f32 / (1u64 << 24) as f32
        };
        let (gx, gy) = (x / 4.0, y / 4.0);
        let (i, j) = (gx.floor(), gy.floor());
        let (fx, fy) = (gx - i, gy - j);
        let (i, j) = (i as i64, j as i64);
        let top = (1.0 - fx) * hash(i, j) + fx * hash(i + 1, j);
        let bot = (1.0 - fx) * hash(i, j + 1) + fx * hash(i + 1, j + 1);
        40.0 + 180.0 * ((1.0 - fy) * top + fy * bot)
    }

    fn plane(w: usize, h: usize, f: impl Fn(f32, f32) -> f32) -> Plane {
        Plane { w, h, data: (0..w * h).map(|i| f((i % w) as f32, (i / w) as f32)).collect() }
    }

    struct Pair {
        a: Plane,
        b: Plane,
        grads: [Plane; 4],
        grid: PatchGrid,
        tensors: Vec<[f32; 5]>,
    }

    impl Pair {
        fn new(a: Plane, b: Plane) -> Self {
            let mut pool = Pool::default();
            let (gx, gy) = gradients(&mut pool, &a);
            let (gx1, gy1) = gradients(&mut pool, &b);
            let grid = PatchGrid::new(a.w, a.h, 8, 4);
            let tensors = patch_tensors(&gx, &gy, &grid);
            Pair { a, b, grads: [gx, gy, gx1, gy1], grid, tensors }
        }

        fn inputs(&self) -> SearchInputs<'_> {
            SearchInputs {
                i0: &self.a,
                gx: &self.grads[0],
                gy: &self.grads[1],
                i1: &self.b,
                gx1: &self.grads[2],
                gy1: &self.grads[3],
                grid: self.grid,
                tensors: &self.tensors,
                iters: 8,
                mean_normalization: true,
                ridge: 0.1,
                candidate_tolerance: 0.1,
                warped_gradient: false,
            }
        }

        fn zero_state(&self) -> PatchState {
            let zero = Flow { width: self.a.w, height: self.a.h, uv: vec![0.0; 2 * self.a.w * self.a.h] };
            init_patch_flow(&zero, &self.grid)
        }
    }

    /// Fraction of interior patches within 0.25 px of `truth`.
    fn hits(s: &PatchState, grid: &PatchGrid, truth: [f32; 2]) -> f64 {
        let (mut ok, mut n) = (0, 0);
        for jy in 3..grid.ny - 3 {
            for jx in 3..grid.nx - 3 {
                let [u, v] = s.uv[jy * grid.nx + jx];
                ok += (((u - truth[0]).powi(2) + (v - truth[1]).powi(2)).sqrt() < 0.25) as usize;
                n += 1;
            }
        }
        ok as f64 / n as f64
    }

    #[test]
    fn finds_motion_beyond_the_descent_basin() {
        let truth = [11.4f32, -6.7];
        let p = Pair::new(
            plane(72, 64, texture),
            plane(72, 64, |x, y| texture(x - truth[0], y - truth[1])),
        );
        let inp = p.inputs();
        let mut descent = p.zero_state();
        for _ in 0..3 {
            descent = search_round(&inp, &descent);
        }
        let before = hits(&descent, &p.grid, truth);
        let cs = CoarseSearch { radius: 14, step: 2, ratio: 0.5 };
        let found = coarse_search(&inp, &p.zero_state(), &cs);
        let after = hits(&found, &p.grid, truth);
        eprintln!("patches on the true vector: descent alone {before:.2}, with the search {after:.2}");
        assert!(before < 0.2, "the descent alone should not reach 13 px: {before}");
        assert!(after > 0.9, "{after}");
        // Adopted vectors are left for the next propagation round to spread.
        assert!(found.settled.iter().filter(|s| !**s).count() * 10 > p.grid.len() * 9);
    }

    #[test]
    fn keeps_a_vector_that_is_only_matched_by_another_period() {
        // A 6 px periodic texture moved by 1 px: the lattice's first minimum is a wrong
        // period (-5 px) with the same cost as the truth, which the patches already have.
        let per = |x: f32, y: f32| {
            let t = std::f32::consts::TAU / 6.0;
            128.0 + 60.0 * (x * t).sin() * (y * t).cos() + 30.0 * (x * t + 1.0).cos()
        };
        // (Frame b gets a little independent per-pixel noise so that no cost is exactly zero;
        // texture() at lattice points is its hash.)
        let p = Pair::new(
            plane(64, 64, per),
            plane(64, 64, |x, y| per(x - 1.0, y) + (texture(4.0 * x, 4.0 * y) - 130.0) / 90.0),
        );
        let inp = p.inputs();
        let n = p.grid.len();
        let own = PatchState { uv: vec![[1.0, 0.0]; n], settled: vec![true; n] };
        let kept = coarse_search(&inp, &own, &CoarseSearch { radius: 8, step: 1, ratio: 0.5 });
        // (Patches hanging over the right edge see the replicated border, which the true
        // vector does not explain.)
        let g = p.grid;
        for jy in 0..g.ny {
            for jx in 0..g.nx - 1 {
                let i = jy * g.nx + jx;
                assert_eq!((kept.uv[i], kept.settled[i]), (own.uv[i], true), "patch {jx},{jy}: {:?}", kept.uv[i]);
            }
        }
        // Without the margin the periods compete on noise: the ratio is what protects it.
        let lost = coarse_search(&inp, &own, &CoarseSearch { radius: 8, step: 1, ratio: 2.0 });
        let moved = lost.uv.iter().filter(|v| (v[0] - 1.0).abs() > 2.0).count();
        assert!(moved * 4 > n, "{moved}/{n}");
    }

    #[test]
    fn integer_cost_is_the_descent_cost_bit_for_bit() {
        let p = Pair::new(plane(37, 29, texture), plane(37, 29, |x, y| texture(x + 2.0, y - 3.0)));
        let inp = p.inputs();
        let mn = 1.0 / 64.0;
        for jy in 0..p.grid.ny {
            for jx in 0..p.grid.nx {
                let (x0, y0) = p.grid.origin(jx, jy);
                let t = Template::<8>::gather(&inp, x0, y0);
                let [_, _, _, sx, sy] = p.tensors[jy * p.grid.nx + jx];
                // Interior, border-straddling and far-outside windows.
                for (dx, dy) in [(0, 0), (-2, 3), (5, -7), (-40, 0), (3, 33)] {
                    let e = evaluate::<8, SSD_ONLY>(&inp, x0, y0, [dx as f32, dy as f32], &t, mn, sx, sy);
                    let c = t.ssd_at(&p.b, x0 + dx, y0 + dy, mn, f32::INFINITY);
                    assert_eq!(c.to_bits(), e.ssd.to_bits(), "patch {jx},{jy} vector {dx},{dy}");
                }
            }
        }
    }

    #[test]
    fn giving_up_early_never_changes_the_winner() {
        // Textured, flat-ish (low contrast, where bounds are tight) and noisy pairs, with and
        // without mean normalisation, from several own vectors.
        let low = |x: f32, y: f32| 120.0 + (texture(x, y) - 130.0) / 40.0;
        let pairs = [
            Pair::new(plane(45, 38, texture), plane(45, 38, |x, y| texture(x - 7.3, y + 4.6))),
            Pair::new(plane(45, 38, low), plane(45, 38, |x, y| low(x + 2.0, y) + (texture(9.0 * x, 7.0 * y) - 130.0) / 200.0)),
        ];
        let (mut pruned, mut all) = (0usize, 0usize);
        for p in &pairs {
            let inp = p.inputs();
            for mn in [0.0, 1.0 / 64.0] {
                for jy in 0..p.grid.ny {
                    for jx in 0..p.grid.nx {
                        let (x0, y0) = p.grid.origin(jx, jy);
                        let t = Template::<8>::gather(&inp, x0, y0);
                        for own in [[0.0, 0.0], [7.0, -5.0], [-30.0, 2.4]] {
                            let (v, c) = lattice_min(&t, &p.b, x0, y0, mn, 10, 2, own, false);
                            let (vp, cp) = lattice_min(&t, &p.b, x0, y0, mn, 10, 2, own, true);
                            assert_eq!((v, c.to_bits()), (vp, cp.to_bits()), "patch {jx},{jy} own {own:?} mn {mn}");
                            // How many lattice vectors the bound discards.
                            for (dx, dy) in [(-10, -10), (6, 4), (10, -2)] {
                                let full = t.ssd_at(&p.b, x0 + dx, y0 + dy, mn, f32::INFINITY);
                                pruned += (t.ssd_at(&p.b, x0 + dx, y0 + dy, mn, c).to_bits() != full.to_bits()) as usize;
                                all += 1;
                            }
                        }
                    }
                }
            }
        }
        eprintln!("{pruned}/{all} far lattice vectors given up after two rows");
        assert!(pruned * 2 > all, "{pruned}/{all}");
    }
}
