//! Launcher of `shaders/dis_var_assemble.wgsl`: every pixel's 2x2 system.

use super::{bits, Gpu};
use crate::error::Result;
use crate::tracks::dis::variational::{Split, VarParams};
use burn::cubecl::server::Handle;

const KERNEL: &str = concat!(include_str!("../../../../shaders/dis_split.wgsl"), include_str!("../../../../shaders/dis_var_assemble.wgsl"));

/// Writes the system coefficients (`variational::COEF_FIELDS` per pixel, split layout) into
/// `coef`.
pub fn var_assemble(
    gpu: &Gpu,
    packed: &Handle,
    weights: &Handle,
    dw: &Handle,
    coef: &Handle,
    sp: &Split,
    p: &VarParams,
) -> Result<()> {
    let params = gpu.params(&[
        sp.w as u32,
        sp.h as u32,
        sp.rw as u32,
        bits(p.zeta * p.zeta),
        bits(p.epsilon * p.epsilon),
        bits(0.5 * p.delta),
        bits(0.5 * p.gamma),
        0,
    ]);
    let buffers = vec![packed.clone(), weights.clone(), dw.clone(), coef.clone(), params];
    gpu.run("dis_var_assemble", KERNEL, [sp.rw - 2, 2 * sp.h], buffers)
}

#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    #[test]
    fn assembled_systems_match_cpu() {
        super::super::checks::assert_native(super::super::checks::variational_steps);
    }
}
