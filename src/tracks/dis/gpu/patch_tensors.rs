//! Launcher of `shaders/dis_patch_tensors.wgsl`: per-patch structure tensors.

use super::{grid_params, Gpu, GpuLevel};
use crate::error::Result;
use crate::tracks::dis::inverse_search::PatchGrid;
use burn::cubecl::server::Handle;

const KERNEL: &str = concat!(
    include_str!("../../../../shaders/dis_sampling.wgsl"),
    include_str!("../../../../shaders/dis_grid.wgsl"),
    include_str!("../../../../shaders/dis_patch_tensors.wgsl")
);

/// [sxx, sxy, syy, sx, sy] per patch of frame a's level (gradients computed).
pub fn patch_tensors(gpu: &Gpu, a: &GpuLevel, grid: &PatchGrid) -> Result<Handle> {
    let out = gpu.alloc("patch tensors", 5 * grid.len())?;
    let params = gpu.params(&grid_params(a, grid));
    gpu.run("dis_patch_tensors", KERNEL, [grid.nx, grid.ny], vec![a.buf.clone(), out.clone(), params])?;
    Ok(out)
}

#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    #[test]
    fn patch_tensors_match_cpu() {
        super::super::checks::assert_native(super::super::checks::patches);
    }
}
