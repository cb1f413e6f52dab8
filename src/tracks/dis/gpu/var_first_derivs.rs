//! Launcher of `shaders/dis_var_first_derivs.wgsl`: second pass of the linearisation.

use super::Gpu;
use crate::error::Result;
use burn::cubecl::server::Handle;

const KERNEL: &str = include_str!("../../../../shaders/dis_var_first_derivs.wgsl");

/// (ix, iy, ixz, iyz) per pixel from `var_warp`'s output.
pub fn var_first_derivs(gpu: &Gpu, warp: &Handle, w: usize, h: usize) -> Result<Handle> {
    let out = gpu.alloc("variational scratch", 4 * w * h)?;
    let params = gpu.params(&[w as u32, h as u32]);
    gpu.run("dis_var_first_derivs", KERNEL, [w, h], vec![warp.clone(), out.clone(), params])?;
    Ok(out)
}

#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    #[test]
    fn first_derivatives_match_cpu() {
        super::super::checks::assert_native(super::super::checks::linearize);
    }
}
