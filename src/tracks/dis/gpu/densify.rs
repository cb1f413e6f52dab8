//! Launcher of `shaders/dis_densify.wgsl`: dense flow from patch vectors.

use super::{grid_params, Gpu, GpuFlow, GpuLevel};
use crate::error::Result;
use crate::tracks::dis::inverse_search::PatchGrid;
use burn::cubecl::server::Handle;

const KERNEL: &str = concat!(
    include_str!("../../../../shaders/dis_sampling.wgsl"),
    include_str!("../../../../shaders/dis_grid.wgsl"),
    include_str!("../../../../shaders/dis_densify.wgsl")
);

pub fn densify(gpu: &Gpu, a: &GpuLevel, b: &GpuLevel, grid: &PatchGrid, state: &Handle) -> Result<GpuFlow> {
    let out = gpu.alloc("flow", 2 * a.w * a.h)?;
    let params = gpu.params(&grid_params(a, grid));
    let buffers = vec![a.buf.clone(), b.buf.clone(), state.clone(), out.clone(), params];
    gpu.run("dis_densify", KERNEL, [a.w, a.h], buffers)?;
    Ok(GpuFlow { w: a.w, h: a.h, buf: out })
}

#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    #[test]
    fn densified_flow_matches_cpu() {
        super::super::checks::assert_native(super::super::checks::search);
    }
}
