//! DIS optical flow as WGSL kernels, on burn's wgpu device (natively and in the browser).
//!
//! The same algorithm as the CPU path in the parent module, step for step: every kernel in
//! `shaders/dis_*.wgsl` mirrors one CPU step function (named in its header) with the same
//! floating-point operation order, so the two differ by rounding only (FMA contraction,
//! `sqrt`/division ulps), and [`checks`] compares them step by step on shared inputs. Only the
//! inverse search's "accept a step while the cost falls" can turn a rounding difference into
//! a different (equally good) patch vector, for a few patches in a hundred.
//!
//! Buffers: a pyramid level is one buffer `[intensity | gx | gy]` (w*h floats each), so the
//! search kernel needs 6 storage bindings (WebGPU guarantees 8). Flows are interleaved (u, v)
//! like [`Flow`]; patch states are (u, v, settled, 0). Nothing is read back until the caller
//! asks, and the flow of a clip's consecutive pairs reuses each frame's pyramid.

pub mod checks;
pub mod coarse_search;
mod context;
pub mod densify;
pub mod downsample;
pub mod gradients;
pub mod luma_plane;
pub mod patch_init;
pub mod patch_tensors;
pub mod search_round;
pub mod upsample_flow;
pub mod var_assemble;
pub mod var_first_derivs;
pub mod var_pack;
pub mod var_smoothness;
pub mod var_sor;
pub mod var_unpack;
pub mod var_warp;

pub use context::{bits, Gpu};

use super::coarse_search::CoarseSearch;
use super::inverse_search::PatchGrid;
use super::pyramid::LevelPlan;
use super::variational::{Split, VarParams, COEF_FIELDS, WEIGHT_FIELDS};
use super::DisParams;
use crate::error::{Result, SegmoError};
use crate::tracks::{Flow, Gray};
use burn::cubecl::server::Handle;
use burn::tensor::Device;

/// One pyramid level on the GPU: `[intensity | gx | gy]`, w*h floats each, intensities 0..255.
#[derive(Clone)]
pub struct GpuLevel {
    pub w: usize,
    pub h: usize,
    pub buf: Handle,
}

/// A flow field on the GPU, (u, v) interleaved per pixel like [`Flow`].
#[derive(Clone)]
pub struct GpuFlow {
    pub w: usize,
    pub h: usize,
    pub buf: Handle,
}

/// One frame's pyramid, gradients computed on the levels DIS visits.
#[derive(Clone)]
pub struct GpuPyramid {
    pub plan: LevelPlan,
    pub levels: Vec<GpuLevel>,
}

/// The parameter words shared by the per-patch kernels.
pub(crate) fn grid_params(level: &GpuLevel, grid: &PatchGrid) -> [u32; 6] {
    [
        level.w as u32,
        level.h as u32,
        grid.size as u32,
        grid.stride as u32,
        grid.nx as u32,
        grid.ny as u32,
    ]
}

/// The leading parameter words of the patch-search kernels (search round, coarse search),
/// whose `Params` structs start with these fields (see `shaders/dis_patch_cost.wgsl`).
pub(crate) fn search_params(level: &GpuLevel, grid: &PatchGrid, p: &DisParams) -> Vec<u32> {
    let mut words = grid_params(level, grid).to_vec();
    words.extend([p.grad_iters as u32, p.mean_normalization as u32, bits(p.ridge)]);
    words
}

/// Variational refinement of `flow` between levels `a` and `b` (`variational::refine`).
pub fn refine(gpu: &Gpu, a: &GpuLevel, b: &GpuLevel, flow: &GpuFlow, p: &VarParams) -> Result<GpuFlow> {
    if p.iters == 0 {
        return Ok(flow.clone());
    }
    let (w, h) = (a.w, a.h);
    let warp = var_warp::var_warp(gpu, a, b, flow)?;
    let first = var_first_derivs::var_first_derivs(gpu, &warp, w, h)?;
    let sp = Split::new(w, h);
    let packed = var_pack::var_pack(gpu, &warp, &first, flow, &sp, p)?;
    let dw = gpu.zeros("variational increments", 2 * h * 2 * sp.rw)?;
    let weights = gpu.zeros("smoothness weights", 2 * h * WEIGHT_FIELDS * sp.rw)?;
    let coef = gpu.alloc("variational system", 2 * h * COEF_FIELDS * sp.rw)?;
    let sor = var_sor::sor_params(gpu, &sp, p.omega);
    for _ in 0..p.iters {
        var_smoothness::var_smoothness(gpu, &packed, &dw, &weights, &sp, p)?;
        var_assemble::var_assemble(gpu, &packed, &weights, &dw, &coef, &sp, p)?;
        for _ in 0..p.sor_iters {
            var_sor::var_sor(gpu, &coef, &dw, &sp, &sor[0])?;
            var_sor::var_sor(gpu, &coef, &dw, &sp, &sor[1])?;
        }
    }
    var_unpack::var_unpack(gpu, &packed, &dw, &sp)
}

/// A DIS flow engine on a wgpu device.
#[derive(Clone)]
pub struct GpuDis {
    pub params: DisParams,
    gpu: Gpu,
}

impl GpuDis {
    /// Fails unless `device` is a wgpu/WebGPU device.
    pub fn new(device: &Device, params: DisParams) -> Result<Self> {
        Ok(Self { params, gpu: Gpu::new(device)? })
    }

    pub fn gpu(&self) -> &Gpu {
        &self.gpu
    }

    /// The pyramid of one frame (checked: data length w*h, not empty), with gradients on
    /// the visited levels: every frame of a clip is frame a of one flow and frame b of another.
    pub fn pyramid(&self, g: &Gray) -> Result<GpuPyramid> {
        let (w, h) = (g.width, g.height);
        if w == 0 || h == 0 || g.data.len() != w * h {
            return Err(SegmoError::BadInput(format!(
                "optical flow: a {w}x{h} frame with {} values",
                g.data.len()
            )));
        }
        let plan = self.params.plan(w, h);
        let luma = self.gpu.upload("frame", &g.data)?;
        let mut levels = vec![luma_plane::luma_plane(&self.gpu, &luma, w, h)?];
        for _ in 0..plan.coarsest {
            let next = downsample::downsample(&self.gpu, levels.last().expect("level 0 exists"))?;
            levels.push(next);
        }
        for level in &levels[plan.finest..] {
            gradients::gradients(&self.gpu, level)?;
        }
        Ok(GpuPyramid { plan, levels })
    }

    /// A clip's frames uploaded as they are (for the trajectory builder) and the forward and
    /// backward flow of every consecutive pair, all left on the GPU (queued, not waited for);
    /// each frame's pyramid serves both pairs it belongs to. `progress(done, pairs)` after
    /// each pair is queued.
    pub fn clip_on_gpu(
        &self,
        g: &[Gray],
        mut progress: impl FnMut(usize, usize),
    ) -> Result<(Vec<Handle>, Vec<GpuFlow>, Vec<GpuFlow>)> {
        let Some(first) = g.first() else {
            return Ok((Vec::new(), Vec::new(), Vec::new()));
        };
        let pairs = g.len() - 1;
        let (mut fw, mut bw) = (Vec::with_capacity(pairs), Vec::with_capacity(pairs));
        let mut frames = Vec::with_capacity(g.len());
        let mut prev = self.pyramid(first)?;
        frames.push(self.gpu.upload("frame", &first.data)?);
        for (i, frame) in g[1..].iter().enumerate() {
            let next = self.pyramid(frame)?;
            fw.push(self.flow_between(&prev, &next)?);
            bw.push(self.flow_between(&next, &prev)?);
            frames.push(self.gpu.upload("frame", &frame.data)?);
            prev = next;
            progress(i + 1, pairs);
        }
        Ok((frames, fw, bw))
    }

    /// Flow from the frame of `pa` to the frame of `pb` (pyramids of equal size).
    pub fn flow_between(&self, pa: &GpuPyramid, pb: &GpuPyramid) -> Result<GpuFlow> {
        let (a0, b0) = (&pa.levels[0], &pb.levels[0]);
        if (a0.w, a0.h) != (b0.w, b0.h) || pa.plan != pb.plan {
            return Err(SegmoError::BadInput(format!(
                "optical flow: frames differ in size ({}x{} and {}x{})",
                a0.w, a0.h, b0.w, b0.h
            )));
        }
        let (gpu, p, plan) = (&self.gpu, &self.params, pa.plan);
        let var = p.var();
        let mut dense: Option<GpuFlow> = None;
        for k in (plan.finest..=plan.coarsest).rev() {
            let (a, b) = (&pa.levels[k], &pb.levels[k]);
            let initial = match dense.take() {
                Some(coarser) => upsample_flow::upsample_flow(gpu, &coarser, a.w, a.h, 1)?,
                None => GpuFlow { w: a.w, h: a.h, buf: gpu.zeros("flow", 2 * a.w * a.h)? },
            };
            let grid = PatchGrid::new(a.w, a.h, p.patch_size, p.patch_stride);
            let tensors = patch_tensors::patch_tensors(gpu, a, &grid)?;
            let mut state = patch_init::patch_init(gpu, &initial, &grid)?;
            let search = CoarseSearch::for_level(p, plan, k);
            for round in 0..p.propagation_rounds {
                state = search_round::search_round(gpu, a, b, &grid, &tensors, &state, p)?;
                if let (0, Some(cs)) = (round, &search) {
                    state = coarse_search::coarse_search(gpu, a, b, &grid, &tensors, &state, p, cs)?;
                }
            }
            let densified = densify::densify(gpu, a, b, &grid, &state)?;
            dense = Some(refine(gpu, a, b, &densified, &var)?);
        }
        let dense = dense.expect("plan has at least one level");
        if plan.finest == 0 {
            return Ok(dense);
        }
        let out = upsample_flow::upsample_flow(gpu, &dense, a0.w, a0.h, plan.finest)?;
        if p.full_res_var_iters == 0 {
            return Ok(out);
        }
        let fine = VarParams { iters: p.full_res_var_iters, ..var };
        refine(gpu, a0, b0, &out, &fine)
    }

    /// Queues the forward and backward flow of a frame pair.
    pub fn queue_pair(&self, a: &Gray, b: &Gray) -> Result<(GpuFlow, GpuFlow)> {
        if (a.width, a.height) != (b.width, b.height) {
            return Err(SegmoError::BadInput(format!(
                "optical flow: frames differ in size ({}x{} and {}x{})",
                a.width, a.height, b.width, b.height
            )));
        }
        let (pa, pb) = (self.pyramid(a)?, self.pyramid(b)?);
        Ok((self.flow_between(&pa, &pb)?, self.flow_between(&pb, &pa)?))
    }

    /// A flow read back to the host.
    pub async fn read(&self, f: &GpuFlow) -> Result<Flow> {
        let uv = self.gpu.read(&f.buf, 2 * f.w * f.h).await?;
        Ok(Flow { width: f.w, height: f.h, uv })
    }

    /// Forward and backward flow of a pair, read back.
    pub async fn flow_pair(&self, a: &Gray, b: &Gray) -> Result<(Flow, Flow)> {
        let (f, bw) = crate::gpu::guarded(|| self.queue_pair(a, b))?;
        Ok((self.read(&f).await?, self.read(&bw).await?))
    }

    /// [`GpuDis::read`], blocking (natively).
    #[cfg(not(target_family = "wasm"))]
    pub fn read_blocking(&self, f: &GpuFlow) -> Result<Flow> {
        let uv = self.gpu.read_blocking(&f.buf, 2 * f.w * f.h)?;
        Ok(Flow { width: f.w, height: f.h, uv })
    }

    /// [`GpuDis::flow_pair`], blocking (natively).
    #[cfg(not(target_family = "wasm"))]
    pub fn flow_pair_blocking(&self, a: &Gray, b: &Gray) -> Result<(Flow, Flow)> {
        crate::gpu::guarded(|| {
            let (f, bw) = self.queue_pair(a, b)?;
            Ok((self.read_blocking(&f)?, self.read_blocking(&bw)?))
        })
    }
}

#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    #[test]
    fn whole_flows_match_the_cpu_path() {
        super::checks::assert_native(super::checks::whole_flow);
    }
}
