//! Launcher of `shaders/dis_var_smoothness.wgsl`: Charbonnier smoothness weights.

use super::{bits, Gpu};
use crate::error::Result;
use crate::tracks::dis::variational::{Split, VarParams};
use burn::cubecl::server::Handle;

const KERNEL: &str = concat!(include_str!("../../../../shaders/dis_split.wgsl"), include_str!("../../../../shaders/dis_var_smoothness.wgsl"));

/// Writes the [right, down] weights of W + dW into `weights` (zero-filled, split layout).
pub fn var_smoothness(gpu: &Gpu, packed: &Handle, dw: &Handle, weights: &Handle, sp: &Split, p: &VarParams) -> Result<()> {
    let params = gpu.params(&[
        sp.w as u32,
        sp.h as u32,
        sp.rw as u32,
        bits(0.5 * p.alpha),
        bits(p.epsilon * p.epsilon),
        0,
    ]);
    let buffers = vec![packed.clone(), dw.clone(), weights.clone(), params];
    gpu.run("dis_var_smoothness", KERNEL, [sp.rw - 2, 2 * sp.h], buffers)
}

#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    #[test]
    fn smoothness_weights_match_cpu() {
        super::super::checks::assert_native(super::super::checks::variational_steps);
    }
}
