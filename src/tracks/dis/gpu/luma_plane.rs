//! Launcher of `shaders/dis_luma_plane.wgsl`: level 0 of a pyramid from luma.

use super::{Gpu, GpuLevel};
use crate::error::Result;
use burn::cubecl::server::Handle;

const KERNEL: &str = concat!(include_str!("../../../../shaders/dis_sampling.wgsl"), include_str!("../../../../shaders/dis_luma_plane.wgsl"));

/// A w x h level (gradients not yet computed) from `luma`, w*h floats in 0..1.
pub fn luma_plane(gpu: &Gpu, luma: &Handle, w: usize, h: usize) -> Result<GpuLevel> {
    let buf = gpu.alloc("pyramid level", 3 * w * h)?;
    gpu.run("dis_luma_plane", KERNEL, [w, h], vec![luma.clone(), buf.clone(), gpu.params(&[w as u32, h as u32])])?;
    Ok(GpuLevel { w, h, buf })
}

#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    #[test]
    fn pyramid_matches_cpu() {
        super::super::checks::assert_native(super::super::checks::pyramid);
    }
}
