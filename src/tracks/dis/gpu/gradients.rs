//! Launcher of `shaders/dis_gradients.wgsl`: Sobel/8 gradients into a level's buffer.

use super::{Gpu, GpuLevel};
use crate::error::Result;

const KERNEL: &str = include_str!("../../../../shaders/dis_gradients.wgsl");

/// Fills the gx and gy parts of `level`.
pub fn gradients(gpu: &Gpu, level: &GpuLevel) -> Result<()> {
    let params = gpu.params(&[level.w as u32, level.h as u32]);
    gpu.run("dis_gradients", KERNEL, [level.w, level.h], vec![level.buf.clone(), params])
}

#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    #[test]
    fn gradients_match_cpu() {
        super::super::checks::assert_native(super::super::checks::pyramid);
    }
}
