//! Linear layers in CPU inference through our matrix kernel ([`super::gemm`]), reading the
//! backend's buffers in place: the weight as [`super::prepack`] laid it out (`[in, out]`
//! row-major under its `[out, in]` view), the activations as they are. Anything else (a GPU,
//! autodiff, f16, a weight not prepacked, a native CPU without AVX-512, a wasm build without
//! SIMD) gives the input back for burn's ops.

use super::gemm::{self, Epilogue};
use super::is_cpu_inference;
use burn::backend::flex::FlexTensor;
use burn::backend::Flex;
use burn::tensor::{DType, Tensor, TensorData};

/// What follows the linear layer, fused into the kernel's store.
pub enum After<'a, const D: usize> {
    Nothing,
    Gelu,
    /// `residual + gamma * y`, `residual` shaped as the output.
    ScaledResidual { residual: &'a Tensor<D>, gamma: &'a Tensor<1> },
}

/// `x [..., in] weight^T + bias` (`weight [out, in]`) followed by `after`, or `Err(x)` where our
/// kernel does not apply (see the module comment).
#[allow(clippy::result_large_err)]
pub fn linear<const D: usize>(x: Tensor<D>, weight: &Tensor<2>, bias: Option<&Tensor<1>>, after: After<D>) -> Result<Tensor<D>, Tensor<D>> {
    let device = x.device();
    let f32s = |t: DType| t == DType::F32;
    let after_f32 = match &after {
        After::ScaledResidual { residual, gamma } => f32s(residual.dtype()) && f32s(gamma.dtype()),
        _ => true,
    };
    if !gemm::supported()
        || !is_cpu_inference(&device)
        || !f32s(x.dtype())
        || !f32s(weight.dtype())
        || !bias.is_none_or(|b| f32s(b.dtype()))
        || !after_f32
    {
        return Err(x);
    }
    let [n, k] = weight.dims();
    let mut out_dims = x.dims();
    if out_dims[D - 1] != k {
        return Err(x);
    }
    out_dims[D - 1] = n;
    let m = out_dims[..D - 1].iter().product::<usize>();
    let Some(w) = flex(weight) else { return Err(x) };
    // Prepacked: element (o, i) at offset + i * ldb + o.
    let strides = w.layout().strides();
    if strides[0] != 1 || (k > 1 && (strides[1] as usize) < n) {
        return Err(x);
    }
    let ldb = if k > 1 { strides[1] as usize } else { n };
    let w_values = &w.storage::<f32>()[w.layout().start_offset()..];
    let bias = match bias.map(contiguous) {
        None => None,
        Some(Some(b)) => Some(b),
        Some(None) => return Err(x),
    };
    let (residual, gamma) = match &after {
        After::ScaledResidual { residual, gamma } if residual.dims() == out_dims => match (contiguous(residual), contiguous(gamma)) {
            (Some(r), Some(g)) => (Some(r), Some(g)),
            _ => return Err(x),
        },
        After::ScaledResidual { .. } => return Err(x),
        _ => (None, None),
    };
    let Some(a) = contiguous(&x.reshape([m, k])) else { unreachable!("a CPU inference tensor is a Flex tensor") };
    let epilogue = match (&after, &residual, &gamma) {
        (After::Gelu, _, _) => Epilogue::Gelu,
        (After::ScaledResidual { .. }, Some(r), Some(g)) => Epilogue::ScaledResidual { residual: values(r, m * n), gamma: values(g, n) },
        _ => Epilogue::Plain,
    };
    let y = gemm::linear(values(&a, m * k), m, k, w_values, ldb, n, bias.as_ref().map(|b| values(b, n)), epilogue);
    Ok(Tensor::from_data(TensorData::new(y, out_dims), &device))
}

fn flex<const D: usize>(t: &Tensor<D>) -> Option<FlexTensor> {
    t.clone().try_into_primitive::<Flex>().ok()
}

/// The tensor's buffer as a contiguous Flex tensor (copied only where it is a strided view).
fn contiguous<const D: usize>(t: &Tensor<D>) -> Option<FlexTensor> {
    flex(t).map(|f| if f.is_contiguous() { f } else { f.to_contiguous() })
}

/// The first `len` values of a contiguous f32 tensor.
fn values(t: &FlexTensor, len: usize) -> &[f32] {
    &t.storage::<f32>()[t.layout().start_offset()..][..len]
}
