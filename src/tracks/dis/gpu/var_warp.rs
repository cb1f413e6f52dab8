//! Launcher of `shaders/dis_var_warp.wgsl`: first pass of the variational linearisation.

use super::{Gpu, GpuFlow, GpuLevel};
use crate::error::Result;
use burn::cubecl::server::Handle;

const KERNEL: &str = concat!(include_str!("../../../../shaders/dis_sampling.wgsl"), include_str!("../../../../shaders/dis_var_warp.wgsl"));

/// (average of a and warped b, warped b - a) per pixel.
pub fn var_warp(gpu: &Gpu, a: &GpuLevel, b: &GpuLevel, flow: &GpuFlow) -> Result<Handle> {
    let out = gpu.alloc("variational scratch", 2 * a.w * a.h)?;
    let params = gpu.params(&[a.w as u32, a.h as u32]);
    let buffers = vec![a.buf.clone(), b.buf.clone(), flow.buf.clone(), out.clone(), params];
    gpu.run("dis_var_warp", KERNEL, [a.w, a.h], buffers)?;
    Ok(out)
}

#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    #[test]
    fn linearisation_matches_cpu() {
        super::super::checks::assert_native(super::super::checks::linearize);
    }
}
