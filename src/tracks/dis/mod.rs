//! Dense optical flow by DIS (Kroeger et al., "Fast Optical Flow using Dense Inverse Search",
//! ECCV 2016): coarse-to-fine patch inverse search, densification, variational refinement.
//!
//! This is both segmo's CPU flow and the reference for the WGSL kernels, so every step is a
//! data-parallel map (one thread per pixel or per patch) with a fixed floating-point operation
//! order, and the step functions are public so a GPU test can compare them one by one
//! ([`Dis::flow_traced`] returns every level's intermediates). Kernel plan:
//!
//! | step | function | thread per |
//! | --- | --- | --- |
//! | once per frame: luma x 255, binomial 2x pyramid | [`pyramid::to_plane`], [`pyramid::downsample`] | pixel |
//! | once per frame and level: Sobel/8 gradients | [`pyramid::gradients`] | pixel |
//! | per level, coarsest first: upsample the coarser flow | [`pyramid::upsample_flow`] | pixel |
//! | structure tensors of frame a's patches | [`inverse_search::patch_tensors`] | patch |
//! | patch init from the dense flow | [`inverse_search::init_patch_flow`] | patch |
//! | `propagation_rounds` x (Jacobi propagation + Gauss-Newton) | [`inverse_search::search_round`] | patch |
//! | on one level (2), after the first round: exhaustive search for fast motion | [`coarse_search::coarse_search`] | patch |
//! | densification | [`densify::densify`] | pixel |
//! | variational refinement: `linearize` (3 passes), `pack`, then `var_iters` x (`smoothness_weights`, `assemble`, `var_sor_iters` x red + black `sor_sweep`), `unpack` | [`variational::refine`] | pixel (of one colour for SOR) |
//! | finally: upsample the finest visited level to full resolution | [`pyramid::upsample_flow`] | pixel |
//! | optional (`full_res_var_iters` > 0): variational refinement at full resolution | [`variational::refine`] | pixel (of one colour for SOR) |
//!
//! Borders: every read clamps its integer coordinates (replicated border), so any frame size
//! works, down to 1x1 (fewer levels, patches hanging over the edge). CPU and GPU may differ by
//! rounding only (FMA contraction, `sqrt`/division ulps); nothing depends on thread
//! scheduling, so single- and multi-threaded CPU runs are bit-identical.
//!
//! Differences from OpenCV's implementation, all for the GPU or measured on the benchmark
//! pairs (scripts/compare_opencv.py): Jacobi propagation instead of a raster scan; float
//! frames; a binomial instead of a box pyramid (less aliasing at the coarse levels);
//! normalised gradients (OpenCV's x8 Sobel makes each Gauss-Newton step 1/8 long) with steps
//! accepted only while the patch cost falls; a mean-normalised Hessian; true derivatives in the
//! variational data term (OpenCV's x2 ones aim at half the correction) and hence stronger
//! smoothness weights.

pub mod coarse_search;
pub mod densify;
#[cfg(gpu)]
pub mod gpu;
pub mod inverse_search;
mod par;
pub mod pool;
pub mod pyramid;
pub mod variational;

#[cfg(test)]
mod tests;

use crate::tracks::{Flow, Gray};
use inverse_search::{PatchGrid, PatchState, SearchInputs};
use pool::Pool;
use pyramid::{FramePyramid, LevelPlan};
use variational::VarParams;

/// Tuning of [`flow`]. Lengths are in pixels of the level being processed, intensities in
/// 0..255.
#[derive(Clone, Debug, PartialEq)]
pub struct DisParams {
    /// Finest pyramid level visited (0 = full resolution); the result is upsampled from it.
    pub finest_level: usize,
    /// Coarsest level; `None` picks it from the frame size like OpenCV (largest side ~4 patches).
    pub coarsest_level: Option<usize>,
    /// Patch side, 1..=16.
    pub patch_size: usize,
    /// Distance between neighbouring patches, 1..=patch_size.
    pub patch_stride: usize,
    /// Jacobi propagation rounds per level; each round is followed by `grad_iters` steps.
    pub propagation_rounds: usize,
    /// Gauss-Newton steps per round.
    pub grad_iters: usize,
    /// Remove the patch mean difference before comparing (robust to brightness changes).
    pub mean_normalization: bool,
    /// Neighbour vectors within this many pixels (per axis) of an already tried candidate are
    /// skipped during propagation.
    pub candidate_tolerance: f32,
    /// Gauss-Newton on frame b's gradients sampled at the warped positions (fixed point at the
    /// patch cost's minimum, about 1.5x the search cost) instead of the template's (classic
    /// inverse compositional, slightly biased on fine texture). No better on the benchmarks.
    pub warped_gradient: bool,
    /// Hessian ridge per patch pixel, in (intensity/pixel)^2, intensities 0..255.
    pub ridge: f32,
    /// Variational refinement fixed-point iterations per level (0 disables it).
    pub var_iters: usize,
    /// Red-black SOR sweeps per fixed-point iteration.
    pub var_sor_iters: usize,
    /// Smoothness weight.
    pub var_alpha: f32,
    /// Brightness constancy weight.
    pub var_delta: f32,
    /// Gradient constancy weight.
    pub var_gamma: f32,
    /// SOR over-relaxation.
    pub var_omega: f32,
    /// Variational fixed-point iterations at full resolution after upsampling from a
    /// `finest_level` > 0 (0 = none). Off in the presets because of its cost: on the synthetic
    /// suite 1 iteration lifts TAP-Vid delta_avg from 0.79 to 0.81 and 5 to 0.84 (finest level
    /// 0 instead: 0.87), but at 854x480 one costs ~+40% of the MEDIUM time (5: ~+130%; finest
    /// level 0: ~+300%).
    pub full_res_var_iters: usize,
    /// Exhaustive search for fast motion ([`coarse_search`]): the level it runs on (clamped
    /// to the visited levels), after the first propagation round there. Level 2 with radius
    /// 40 and step 2 (measured on the synthetic suite, seed 1, and DAVIS-2016 train): TAP-Vid
    /// delta_avg 0.842 -> 0.847 (`fast` case 0.418 -> 0.468, its flow EPE 0.73 -> 0.47;
    /// triangle at 34 px/frame 34 -> 14 px, swinging ellipse 10.9 -> 5.1 px), DAVIS
    /// containment inside 0.871 -> 0.885 (mallard-fly 0.72 -> 0.85), outside unchanged.
    /// Skipping the descent where the lattice finds nothing cheaper than the own vector, or
    /// only its neighbourhood: no measurable saving, 0.881.
    /// Level 1 searches finer texture and false matches win (0.837); step 3 misses (0.844);
    /// radius 32 gives the same suite score but 0.881 on DAVIS; skipping patches whose cost is
    /// below 0.2x their variance saves time but loses 0.009 on DAVIS.
    pub coarse_search_level: usize,
    /// Its radius in full-resolution pixels (0 = off); divided by 2^level on the level.
    pub coarse_search_radius: usize,
    /// Its lattice step in pixels of that level.
    pub coarse_search_step: usize,
    /// A found vector replaces a patch's own when its cost is below this fraction of the own.
    pub coarse_search_ratio: f32,
}

impl DisParams {
    /// OpenCV's PRESET_MEDIUM: finest level 1, 8x8 patches every 3 px, 5 x 5 variational
    /// iterations. Where it differs: 3 Jacobi rounds of at most 8 full Gauss-Newton steps
    /// (OpenCV: 2 raster passes of 12 eighth-length steps); alpha 10, delta 1, gamma 10
    /// (OpenCV 20, 5, 10), with true derivatives (the data term pulls twice as far as
    /// OpenCV's). These were alpha 40, delta 5, gamma 5, picked on the benchmark pairs' EPE;
    /// for chained tracks on the synthetic suite (TAP-Vid delta_avg, seed 1 / held-out seed 2,
    /// with the chaining's re-identification and motion-boundary thresholds) alpha 10 gives
    /// 0.786 / 0.775 against 0.72 / 0.70 at 40: strong smoothing drags the flow of small
    /// objects and of pixels next to motion boundaries, and chaining accumulates that bias
    /// (alpha 5 is worse again: noise). With little smoothing the brightness term then
    /// dominates and a 10% gain change costs 0.09 px EPE; weighting gradient constancy
    /// instead (delta 1, gamma 10) brings it back to 0.06 px and gives 0.797 / 0.779.
    /// Same cost. The benchmark pairs (scripts/compare_opencv.py) were not rerun.
    pub fn medium() -> Self {
        Self {
            finest_level: 1,
            coarsest_level: None,
            patch_size: 8,
            patch_stride: 3,
            propagation_rounds: 3,
            grad_iters: 8,
            mean_normalization: true,
            candidate_tolerance: 0.1,
            warped_gradient: false,
            ridge: 0.1,
            var_iters: 5,
            var_sor_iters: 5,
            var_alpha: 10.0,
            var_delta: 1.0,
            var_gamma: 10.0,
            var_omega: 1.6,
            full_res_var_iters: 0,
            coarse_search_level: 2,
            coarse_search_radius: 40,
            coarse_search_step: 2,
            coarse_search_ratio: 0.5,
        }
    }

    /// OpenCV's PRESET_FAST: finest level 2, patch stride 4, fewer rounds.
    pub fn fast() -> Self {
        Self {
            finest_level: 2,
            patch_stride: 4,
            propagation_rounds: 2,
            grad_iters: 8,
            ..Self::medium()
        }
    }

    pub(crate) fn var(&self) -> VarParams {
        VarParams {
            iters: self.var_iters,
            sor_iters: self.var_sor_iters,
            alpha: self.var_alpha,
            delta: self.var_delta,
            gamma: self.var_gamma,
            omega: self.var_omega,
            zeta: 0.1,
            epsilon: 0.001,
        }
    }

    /// The levels a w x h frame pair is processed on.
    pub fn plan(&self, w: usize, h: usize) -> LevelPlan {
        pyramid::plan_levels(
            w,
            h,
            self.finest_level,
            self.coarsest_level,
            self.patch_size,
        )
    }
}

impl Default for DisParams {
    fn default() -> Self {
        Self::medium()
    }
}

/// A flow engine that keeps its scratch buffers between calls (like OpenCV's DIS object);
/// use one per thread when computing many flows. Results do not depend on its history.
#[derive(Debug, Default)]
pub struct Dis {
    pub params: DisParams,
    pool: Pool,
}

impl Dis {
    pub fn new(params: DisParams) -> Self {
        Self {
            params,
            pool: Pool::default(),
        }
    }

    /// Forward flow from `a` to `b` (same size, any size >= 1x1; an empty frame gives an empty
    /// flow).
    pub fn flow(&mut self, a: &Gray, b: &Gray) -> Flow {
        if a.width == 0 || a.height == 0 {
            return empty(a);
        }
        let (pa, pb) = self.pyramids(a, b, self.params.warped_gradient);
        let f = flow_from_pyramids(&mut self.pool, &pa, &pb, &self.params, None);
        pa.recycle(&mut self.pool);
        pb.recycle(&mut self.pool);
        f
    }

    /// Forward (a -> b) and backward (b -> a) flow, sharing the pyramids and gradients.
    pub fn flow_pair(&mut self, a: &Gray, b: &Gray) -> (Flow, Flow) {
        if a.width == 0 || a.height == 0 {
            return (empty(a), empty(a));
        }
        let (pa, pb) = self.pyramids(a, b, true);
        let fwd = flow_from_pyramids(&mut self.pool, &pa, &pb, &self.params, None);
        let bwd = flow_from_pyramids(&mut self.pool, &pb, &pa, &self.params, None);
        pa.recycle(&mut self.pool);
        pb.recycle(&mut self.pool);
        (fwd, bwd)
    }

    /// Same as [`Dis::flow`], also returning every level's intermediates (coarsest first).
    pub fn flow_traced(&mut self, a: &Gray, b: &Gray) -> (Flow, Vec<LevelTrace>) {
        if a.width == 0 || a.height == 0 {
            return (empty(a), Vec::new());
        }
        let (pa, pb) = self.pyramids(a, b, self.params.warped_gradient);
        let mut trace = Vec::new();
        let f = flow_from_pyramids(&mut self.pool, &pa, &pb, &self.params, Some(&mut trace));
        pa.recycle(&mut self.pool);
        pb.recycle(&mut self.pool);
        (f, trace)
    }

    /// Both frames' pyramids (with gradients on the visited levels); frames must not be empty.
    pub fn pyramids(
        &mut self,
        a: &Gray,
        b: &Gray,
        b_gradients: bool,
    ) -> (FramePyramid, FramePyramid) {
        assert_eq!(
            (a.width, a.height),
            (b.width, b.height),
            "frames differ in size"
        );
        assert_eq!(
            a.data.len(),
            a.width * a.height,
            "frame a: data length is not width*height"
        );
        assert_eq!(
            b.data.len(),
            b.width * b.height,
            "frame b: data length is not width*height"
        );
        let plan = self.params.plan(a.width, a.height);
        (
            FramePyramid::new(&mut self.pool, a, plan, true),
            FramePyramid::new(&mut self.pool, b, plan, b_gradients),
        )
    }
}

fn empty(a: &Gray) -> Flow {
    Flow {
        width: a.width,
        height: a.height,
        uv: Vec::new(),
    }
}

/// Forward flow from `a` to `b` (same size, any size >= 1x1). Allocates its scratch; see
/// [`Dis`] for repeated use.
pub fn flow(a: &Gray, b: &Gray, p: &DisParams) -> Flow {
    Dis::new(p.clone()).flow(a, b)
}

/// Forward (a -> b) and backward (b -> a) flow, sharing the pyramids and gradients.
pub fn flow_pair(a: &Gray, b: &Gray, p: &DisParams) -> (Flow, Flow) {
    Dis::new(p.clone()).flow_pair(a, b)
}

/// Everything one level produced, for step-by-step comparison with the GPU path.
#[derive(Clone, Debug)]
pub struct LevelTrace {
    pub level: usize,
    pub grid: PatchGrid,
    /// Dense flow entering the level (upsampled from the coarser one; zero at the coarsest).
    pub initial: Flow,
    pub tensors: Vec<[f32; 5]>,
    /// Patch states after init (index 0) and after each propagation round (round 1's
    /// including the coarse search where the level has one).
    pub patch_flows: Vec<PatchState>,
    /// On the coarse-search level: the states after round 1, before the search.
    pub coarse_input: Option<PatchState>,
    pub densified: Flow,
    pub refined: Flow,
}

/// Flow from frame `p0` to frame `p1` given their pyramids (built with the same plan).
pub fn flow_from_pyramids(
    pool: &mut Pool,
    p0: &FramePyramid,
    p1: &FramePyramid,
    p: &DisParams,
    mut trace: Option<&mut Vec<LevelTrace>>,
) -> Flow {
    let plan = p0.plan;
    assert_eq!(plan, p1.plan);
    assert!(p0.has_gradients(), "frame a's pyramid needs gradients");
    assert!(
        !p.warped_gradient || p1.has_gradients(),
        "warped_gradient needs frame b's gradients"
    );
    let base = &p0.levels[0];
    let var = p.var();
    let mut dense: Option<Flow> = None;
    for k in (plan.finest..=plan.coarsest).rev() {
        let (i0, i1) = (&p0.levels[k], &p1.levels[k]);
        let (w, h) = (i0.w, i0.h);
        let initial = match dense.take() {
            Some(coarser) => {
                let up = pyramid::upsample_flow(pool, &coarser, w, h, 1);
                pool.give(coarser.uv);
                up
            }
            None => pool.zero_flow(w, h),
        };
        let grid = PatchGrid::new(w, h, p.patch_size, p.patch_stride);
        let tensors = inverse_search::patch_tensors(&p0.gx[k], &p0.gy[k], &grid);
        let inputs = SearchInputs {
            i0,
            gx: &p0.gx[k],
            gy: &p0.gy[k],
            i1,
            gx1: &p1.gx[k],
            gy1: &p1.gy[k],
            grid,
            tensors: &tensors,
            iters: p.grad_iters,
            mean_normalization: p.mean_normalization,
            ridge: p.ridge,
            candidate_tolerance: p.candidate_tolerance,
            warped_gradient: p.warped_gradient,
        };
        let mut sparse = inverse_search::init_patch_flow(&initial, &grid);
        let mut rounds = Vec::new();
        let search = coarse_search::CoarseSearch::for_level(p, plan, k);
        let mut coarse_input = None;
        for round in 0..p.propagation_rounds {
            let mut next = inverse_search::search_round(&inputs, &sparse);
            if let (0, Some(cs)) = (round, &search) {
                let searched = coarse_search::coarse_search(&inputs, &next, cs);
                if trace.is_some() {
                    coarse_input = Some(next);
                }
                next = searched;
            }
            if trace.is_some() {
                rounds.push(std::mem::replace(&mut sparse, next));
            } else {
                sparse = next;
            }
        }
        let densified = densify::densify(pool, i0, i1, &grid, &sparse.uv);
        let refined = variational::refine(pool, i0, i1, &densified, &var);
        if let Some(t) = trace.as_deref_mut() {
            rounds.push(sparse);
            t.push(LevelTrace {
                level: k,
                grid,
                initial,
                tensors,
                patch_flows: rounds,
                coarse_input,
                densified,
                refined: refined.clone(),
            });
        } else {
            pool.give(initial.uv);
            pool.give(densified.uv);
        }
        dense = Some(refined);
    }
    let dense = dense.expect("plan has at least one level");
    if plan.finest == 0 {
        dense
    } else {
        let out = pyramid::upsample_flow(pool, &dense, base.w, base.h, plan.finest);
        pool.give(dense.uv);
        if p.full_res_var_iters == 0 {
            return out;
        }
        let fine = VarParams { iters: p.full_res_var_iters, ..var };
        let refined = variational::refine(pool, base, &p1.levels[0], &out, &fine);
        pool.give(out.uv);
        refined
    }
}
