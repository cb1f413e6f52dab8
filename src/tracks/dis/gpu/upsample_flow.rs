//! Launcher of `shaders/dis_upsample_flow.wgsl`: a flow resampled onto a finer grid.

use super::{bits, Gpu, GpuFlow};
use crate::error::Result;

const KERNEL: &str = concat!(include_str!("../../../../shaders/dis_sampling.wgsl"), include_str!("../../../../shaders/dis_upsample_flow.wgsl"));

/// `coarse` resampled to w x h, `levels` octaves finer (vectors scaled by 2^levels).
pub fn upsample_flow(gpu: &Gpu, coarse: &GpuFlow, w: usize, h: usize, levels: usize) -> Result<GpuFlow> {
    let buf = gpu.alloc("flow", 2 * w * h)?;
    let s = (1u64 << levels) as f32;
    let params = gpu.params(&[coarse.w as u32, coarse.h as u32, w as u32, h as u32, bits(s), bits(1.0 / s)]);
    gpu.run("dis_upsample_flow", KERNEL, [w, h], vec![coarse.buf.clone(), buf.clone(), params])?;
    Ok(GpuFlow { w, h, buf })
}

#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    #[test]
    fn upsampled_flow_matches_cpu() {
        super::super::checks::assert_native(super::super::checks::upsample);
    }
}
