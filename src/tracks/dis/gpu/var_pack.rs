//! Launcher of `shaders/dis_var_pack.wgsl`: second derivatives and the packed split layout.

use super::{bits, Gpu, GpuFlow};
use crate::error::Result;
use crate::tracks::dis::variational::{Split, VarParams, PACK_FIELDS};
use burn::cubecl::server::Handle;

const KERNEL: &str = concat!(include_str!("../../../../shaders/dis_split.wgsl"), include_str!("../../../../shaders/dis_var_pack.wgsl"));

/// The packed linearisation (`variational::pack`) from the two earlier passes and W. Pads
/// are zero (a zero-filled buffer, entries 1..=len written).
pub fn var_pack(gpu: &Gpu, warp: &Handle, first: &Handle, flow: &GpuFlow, sp: &Split, p: &VarParams) -> Result<Handle> {
    let out = gpu.zeros("variational system", 2 * sp.h * PACK_FIELDS * sp.rw)?;
    let params = gpu.params(&[sp.w as u32, sp.h as u32, sp.rw as u32, bits(p.zeta * p.zeta)]);
    let buffers = vec![warp.clone(), first.clone(), flow.buf.clone(), out.clone(), params];
    gpu.run("dis_var_pack", KERNEL, [sp.rw - 2, 2 * sp.h], buffers)?;
    Ok(out)
}

#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    #[test]
    fn packed_linearisation_matches_cpu() {
        super::super::checks::assert_native(super::super::checks::linearize);
    }
}
