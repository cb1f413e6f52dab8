//! Launcher of `shaders/dis_patch_init.wgsl`: patch vectors sampled from a dense flow.

use super::{grid_params, Gpu, GpuFlow, GpuLevel};
use crate::error::Result;
use crate::tracks::dis::inverse_search::PatchGrid;
use burn::cubecl::server::Handle;

const KERNEL: &str = concat!(
    include_str!("../../../../shaders/dis_sampling.wgsl"),
    include_str!("../../../../shaders/dis_grid.wgsl"),
    include_str!("../../../../shaders/dis_patch_init.wgsl")
);

/// Patch states (u, v, settled = 0, 0) from `dense` sampled at the patch centres.
pub fn patch_init(gpu: &Gpu, dense: &GpuFlow, grid: &PatchGrid) -> Result<Handle> {
    let out = gpu.alloc("patch states", 4 * grid.len())?;
    let level = GpuLevel { w: dense.w, h: dense.h, buf: dense.buf.clone() };
    let params = gpu.params(&grid_params(&level, grid));
    gpu.run("dis_patch_init", KERNEL, [grid.nx, grid.ny], vec![dense.buf.clone(), out.clone(), params])?;
    Ok(out)
}

#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    #[test]
    fn patch_init_matches_cpu() {
        super::super::checks::assert_native(super::super::checks::patches);
    }
}
