//! Launcher of `shaders/chain_reliability.wgsl`: the reliability maps of one frame pair.

use crate::error::Result;
use crate::tracks::chain::Thresholds;
use crate::tracks::dis::gpu::{bits, Gpu, GpuFlow};
use burn::cubecl::server::Handle;

const KERNEL: &str = concat!(
    include_str!("../../../../shaders/dis_sampling.wgsl"),
    include_str!("../../../../shaders/chain_sampling.wgsl"),
    include_str!("../../../../shaders/chain_reliability.wgsl")
);

/// Both maps of a pair, w*h floats each, laid out like [`crate::tracks::Reliability`]'s
/// `fw_err` and `bw_err`.
pub struct GpuReliability {
    pub w: usize,
    pub h: usize,
    pub fw_err: Handle,
    pub bw_err: Handle,
}

/// The maps of forward flow `fw` (t -> t+1) and backward flow `bw` (t+1 -> t), as
/// `chain::reliability_with` computes them.
pub fn reliability(gpu: &Gpu, fw: &GpuFlow, bw: &GpuFlow, th: &Thresholds) -> Result<GpuReliability> {
    th.validate().map_err(|e| crate::error::SegmoError::BadInput(e.to_string()))?;
    if (fw.w, fw.h) != (bw.w, bw.h) {
        return Err(crate::error::SegmoError::BadInput(format!(
            "reliability: forward flow {}x{} but backward flow {}x{}",
            fw.w, fw.h, bw.w, bw.h
        )));
    }
    let (w, h) = (fw.w, fw.h);
    let one = |a: &GpuFlow, b: &GpuFlow| -> Result<Handle> {
        let out = gpu.alloc("reliability map", w * h)?;
        let params = gpu.params(&[
            w as u32,
            h as u32,
            bits(th.fb_rel),
            bits(th.fb_abs),
            bits(th.mb_rel),
            bits(th.mb_abs),
        ]);
        gpu.run("chain_reliability", KERNEL, [w, h], vec![a.buf.clone(), b.buf.clone(), out.clone(), params])?;
        Ok(out)
    };
    Ok(GpuReliability { w, h, fw_err: one(fw, bw)?, bw_err: one(bw, fw)? })
}

#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    #[test]
    fn reliability_maps_match_cpu() {
        crate::tracks::dis::gpu::checks::assert_native(super::super::checks::reliability);
    }
}
