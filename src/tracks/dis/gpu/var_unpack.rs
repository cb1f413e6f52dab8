//! Launcher of `shaders/dis_var_unpack.wgsl`: W + dW back to a plain flow.

use super::{Gpu, GpuFlow};
use crate::error::Result;
use crate::tracks::dis::variational::Split;
use burn::cubecl::server::Handle;

const KERNEL: &str = concat!(include_str!("../../../../shaders/dis_split.wgsl"), include_str!("../../../../shaders/dis_var_unpack.wgsl"));

pub fn var_unpack(gpu: &Gpu, packed: &Handle, dw: &Handle, sp: &Split) -> Result<GpuFlow> {
    let out = gpu.alloc("flow", 2 * sp.w * sp.h)?;
    let params = gpu.params(&[sp.w as u32, sp.h as u32, sp.rw as u32, 0]);
    gpu.run("dis_var_unpack", KERNEL, [sp.w, sp.h], vec![packed.clone(), dw.clone(), out.clone(), params])?;
    Ok(GpuFlow { w: sp.w, h: sp.h, buf: out })
}

#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    #[test]
    fn unpacked_flow_matches_cpu() {
        super::super::checks::assert_native(super::super::checks::variational_steps);
    }
}
