//! Launcher of `shaders/dis_var_sor.wgsl`: one red or black SOR sweep.

use super::{bits, Gpu};
use crate::error::Result;
use crate::tracks::dis::variational::Split;
use burn::cubecl::server::Handle;

const KERNEL: &str = concat!(include_str!("../../../../shaders/dis_split.wgsl"), include_str!("../../../../shaders/dis_var_sor.wgsl"));

/// Parameter blocks of the red and the black sweep, made once per refinement.
pub fn sor_params(gpu: &Gpu, sp: &Split, omega: f32) -> [Handle; 2] {
    [0u32, 1].map(|c| gpu.params(&[sp.w as u32, sp.h as u32, sp.rw as u32, c, bits(omega), 0]))
}

/// Updates the pixels of one colour of `dw` in place; `params` from [`sor_params`].
pub fn var_sor(gpu: &Gpu, coef: &Handle, dw: &Handle, sp: &Split, params: &Handle) -> Result<()> {
    gpu.run("dis_var_sor", KERNEL, [sp.rw - 2, sp.h], vec![coef.clone(), dw.clone(), params.clone()])
}

#[cfg(all(test, not(target_family = "wasm")))]
mod tests {
    #[test]
    fn sor_sweeps_match_cpu() {
        super::super::checks::assert_native(super::super::checks::variational_steps);
    }
}
