//! Launcher of `shaders/dis_search_round.wgsl`: one propagation + Gauss-Newton round.

use super::{bits, search_params, Gpu, GpuLevel};
use crate::error::Result;
use crate::tracks::dis::inverse_search::PatchGrid;
use crate::tracks::dis::DisParams;
use burn::cubecl::server::Handle;

const KERNEL: &str = concat!(
    include_str!("../../../../shaders/dis_sampling.wgsl"),
    include_str!("../../../../shaders/dis_patch_cost.wgsl"),
    include_str!("../../../../shaders/dis_search_round.wgsl")
);

/// The next patch states from `prev` (see `inverse_search::search_round`).
pub fn search_round(
    gpu: &Gpu,
    a: &GpuLevel,
    b: &GpuLevel,
    grid: &PatchGrid,
    tensors: &Handle,
    prev: &Handle,
    p: &DisParams,
) -> Result<Handle> {
    let next = gpu.alloc("patch states", 4 * grid.len())?;
    let mut words = search_params(a, grid, p);
    words.extend([bits(p.candidate_tolerance), p.warped_gradient as u32, 0]);
    let params = gpu.params(&words);
    let buffers = vec![a.buf.clone(), b.buf.clone(), tensors.clone(), prev.clone(), next.clone(), params];
    gpu.run("dis_search_round", KERNEL, [grid.nx, grid.ny], buffers)?;
    Ok(next)
}

#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    #[test]
    fn search_rounds_match_cpu() {
        super::super::checks::assert_native(super::super::checks::search);
    }
}
