//! Launcher of `shaders/dis_coarse_search.wgsl`: the exhaustive search for fast motion.

use super::{bits, search_params, Gpu, GpuLevel};
use crate::error::Result;
use crate::tracks::dis::coarse_search::CoarseSearch;
use crate::tracks::dis::inverse_search::PatchGrid;
use crate::tracks::dis::DisParams;
use burn::cubecl::server::Handle;

const KERNEL: &str = concat!(
    include_str!("../../../../shaders/dis_sampling.wgsl"),
    include_str!("../../../../shaders/dis_patch_cost.wgsl"),
    include_str!("../../../../shaders/dis_coarse_search.wgsl")
);

/// The patch states after the search (see `coarse_search::coarse_search`).
#[allow(clippy::too_many_arguments)]
pub fn coarse_search(
    gpu: &Gpu,
    a: &GpuLevel,
    b: &GpuLevel,
    grid: &PatchGrid,
    tensors: &Handle,
    prev: &Handle,
    p: &DisParams,
    cs: &CoarseSearch,
) -> Result<Handle> {
    let next = gpu.alloc("patch states", 4 * grid.len())?;
    // The CPU's bounds (see `coarse_search::patch`).
    let radius = cs.radius.min(a.w.max(a.h) + grid.size) as u32;
    let mut words = search_params(a, grid, p);
    words.extend([radius, cs.step.clamp(1, 1 << 20) as u32, bits(cs.ratio), p.warped_gradient as u32, 0, 0, 0]);
    let params = gpu.params(&words);
    let buffers = vec![a.buf.clone(), b.buf.clone(), tensors.clone(), prev.clone(), next.clone(), params];
    gpu.run("dis_coarse_search", KERNEL, [grid.nx, grid.ny], buffers)?;
    Ok(next)
}

#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    #[test]
    fn coarse_search_matches_cpu() {
        super::super::checks::assert_native(super::super::checks::coarse);
    }
}
