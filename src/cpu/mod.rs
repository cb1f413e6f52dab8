//! Inference on burn's CPU backend (flex), where a few layouts and kernels of our own beat the
//! backend's generic paths: weights laid out once for the matrix multiply ([`prepack`]), our
//! linear layers on them ([`linear`], [`gemm`]: AVX-512 natively, SIMD in wasm), a vectorised
//! GELU ([`gelu`]), a fused LayerNorm ([`layer_norm`]), a register-blocked attention kernel ([`attention`]) and one for narrow
//! heads ([`attention_narrow`]). Elsewhere (GPU, autodiff) the same calls fall through to
//! burn's ops unchanged.

pub mod attention;
pub mod attention_narrow;
pub mod gemm;
pub mod linear;
pub mod gelu;
pub mod layer_norm;
pub mod prepack;
pub mod vexp;

use burn::backend::DispatchDevice;
use burn::tensor::Device;

/// Inference on the CPU backend: not a GPU device, not recording gradients.
pub fn is_cpu_inference(device: &Device) -> bool {
    matches!(device.as_dispatch(), DispatchDevice::Flex(_)) && !device.is_autodiff()
}
