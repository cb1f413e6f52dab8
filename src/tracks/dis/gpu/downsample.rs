//! Launcher of `shaders/dis_downsample.wgsl`: the next (half-size) pyramid level.

use super::{Gpu, GpuLevel};
use crate::error::Result;

const KERNEL: &str = include_str!("../../../../shaders/dis_downsample.wgsl");

/// Level k+1 from level k (needs w, h >= 2); its gradients are not computed. Checked with
/// the whole pyramid in `luma_plane`'s test.
pub fn downsample(gpu: &Gpu, fine: &GpuLevel) -> Result<GpuLevel> {
    let (w, h) = (fine.w / 2, fine.h / 2);
    let buf = gpu.alloc("pyramid level", 3 * w * h)?;
    let params = gpu.params(&[fine.w as u32, fine.h as u32, w as u32, h as u32]);
    gpu.run("dis_downsample", KERNEL, [w, h], vec![fine.buf.clone(), buf.clone(), params])?;
    Ok(GpuLevel { w, h, buf })
}

#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    #[test]
    fn downsampled_levels_match_cpu() {
        super::super::checks::assert_native(super::super::checks::pyramid);
    }
}
