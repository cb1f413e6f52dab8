//! Linear weights stored the way the CPU matrix multiply reads them.
//!
//! Checkpoints hold a linear layer's weight as `[out, in]` and the forward pass multiplies by
//! its transpose. The CPU backend's gemm then packs a strided right-hand side on every call:
//! ViT-B/14's four projections took 31.6 ms per block at 257 tokens that way and 17.6 ms with
//! an `[in, out]` buffer. [`prepack`] keeps every parameter's shape, name and values and only
//! changes the memory order of 2-D `*weight` matrices (`weight`, `in_proj_weight`) under it,
//! once, after loading.

use super::is_cpu_inference;
use burn::module::{Module, ModuleMapper, Param};
use burn::tensor::Tensor;

/// `module` with each 2-D `*weight` parameter backed by a contiguous `[in, out]` buffer (seen
/// through a transposed view, so its shape stays `[out, in]`). Off the CPU backend, or under
/// autodiff, `module` comes back as it was.
pub fn prepack<M: Module>(module: M) -> M {
    module.map(&mut Prepack { path: Vec::new() })
}

struct Prepack {
    path: Vec<String>,
}

impl ModuleMapper for Prepack {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _: &str, _: &str) {
        self.path.pop();
    }
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        if D != 2 || !self.path.last().is_some_and(|n| n.ends_with("weight")) {
            return param;
        }
        let w = param.val();
        let device = w.device();
        if !is_cpu_inference(&device) {
            return param;
        }
        let id = param.id;
        let packed = Tensor::<D>::from_data(w.swap_dims(0, 1).into_data(), &device).swap_dims(0, 1);
        Param::initialized(id, packed)
    }
}
