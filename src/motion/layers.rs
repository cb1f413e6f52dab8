//! The torch building blocks the released classifier is made of, with torch's parameter names
//! and layouts (`weight` is `[out, in]`), so checkpoints load without transposes or renames.

use crate::attention::attention;
use crate::cpu::linear::After;
use crate::error::Result;
use burn::module::{Module, Param};
use burn::tensor::{activation, Device, Tensor};

/// `torch.nn.Linear`.
#[derive(Module, Debug)]
pub struct Linear {
    pub weight: Param<Tensor<2>>,
    pub bias: Param<Tensor<1>>,
}

impl Linear {
    pub fn new(d_in: usize, d_out: usize, device: &Device) -> Self {
        Self {
            weight: Param::from_tensor(Tensor::zeros([d_out, d_in], device)),
            bias: Param::from_tensor(Tensor::zeros([d_out], device)),
        }
    }

    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        self.forward_then(x, After::Nothing).unwrap_or_else(|x| self.forward_burn(x))
    }

    /// `gelu(self.forward(x))` (exact erf), fused on the CPU.
    pub fn forward_gelu<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        self.forward_then(x, After::Gelu).unwrap_or_else(|x| crate::cpu::gelu::gelu(self.forward_burn(x)))
    }

    /// `residual + gamma * self.forward(x)` (`gamma [out]`: LayerScale), fused on the CPU.
    pub fn forward_scaled_residual<const D: usize>(&self, x: Tensor<D>, gamma: &Tensor<1>, residual: Tensor<D>) -> Tensor<D> {
        let after = After::ScaledResidual { residual: &residual, gamma };
        match self.forward_then(x, after) {
            Ok(y) => y,
            Err(x) => residual + self.forward_burn(x) * gamma.clone().unsqueeze(),
        }
    }

    /// Our CPU kernel ([`crate::cpu::linear`]) where it applies, else `Err(x)`.
    #[allow(clippy::result_large_err)]
    fn forward_then<const D: usize>(&self, x: Tensor<D>, after: After<D>) -> std::result::Result<Tensor<D>, Tensor<D>> {
        crate::cpu::linear::linear(x, &self.weight.val(), Some(&self.bias.val()), after)
    }

    fn forward_burn<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        burn::tensor::module::linear(x, self.weight.val().transpose(), Some(self.bias.val()))
    }
}

/// `torch.nn.Conv2d` with a 1x1 kernel, as the released model projects per-point channels:
/// a Linear over channels whose weight keeps the conv's `[out, in, 1, 1]` shape.
#[derive(Module, Debug)]
pub struct Conv1x1 {
    pub weight: Param<Tensor<4>>,
    pub bias: Param<Tensor<1>>,
}

impl Conv1x1 {
    pub fn new(d_in: usize, d_out: usize, device: &Device) -> Self {
        Self {
            weight: Param::from_tensor(Tensor::zeros([d_out, d_in, 1, 1], device)),
            bias: Param::from_tensor(Tensor::zeros([d_out], device)),
        }
    }

    /// Channels last: `[..., in] -> [..., out]`.
    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        let [out, inp, _, _] = self.weight.val().dims();
        let w = self.weight.val().reshape([out, inp]);
        burn::tensor::module::linear(x, w.transpose(), Some(self.bias.val()))
    }
}

/// `torch.nn.LayerNorm` over the last dimension (biased variance, as torch).
#[derive(Module, Debug)]
pub struct LayerNorm {
    pub weight: Param<Tensor<1>>,
    pub bias: Param<Tensor<1>>,
    pub eps: f64,
}

impl LayerNorm {
    /// torch's default eps, 1e-5.
    pub fn new(d: usize, device: &Device) -> Self {
        Self::with_eps(d, 1e-5, device)
    }

    pub fn with_eps(d: usize, eps: f64, device: &Device) -> Self {
        Self {
            weight: Param::from_tensor(Tensor::ones([d], device)),
            bias: Param::from_tensor(Tensor::zeros([d], device)),
            eps,
        }
    }

    /// Over the last dimension, biased variance, as torch: our vectorised rows in CPU
    /// inference ([`crate::cpu::layer_norm`]), burn's op elsewhere (GPU, autodiff).
    pub fn forward<const D: usize>(&self, x: Tensor<D>) -> Tensor<D> {
        crate::cpu::layer_norm::layer_norm(x, &self.weight.val(), &self.bias.val(), self.eps)
            .unwrap_or_else(|x| burn::tensor::module::layer_norm(x, self.weight.val(), Some(self.bias.val()), self.eps))
    }
}

/// `torch.nn.MultiheadAttention` with packed q/k/v projections (`in_proj_weight [3E, E]`).
/// Tensors here are batch-first, `[B, L, E]`; the attention itself runs through
/// [`crate::attention::attention`] (our WGSL kernel on a GPU, burn's ops on the CPU).
#[derive(Module, Debug)]
pub struct MultiheadAttention {
    pub in_proj_weight: Param<Tensor<2>>,
    pub in_proj_bias: Param<Tensor<1>>,
    pub out_proj: Linear,
    pub num_heads: usize,
}

impl MultiheadAttention {
    pub fn new(d: usize, num_heads: usize, device: &Device) -> Self {
        Self {
            in_proj_weight: Param::from_tensor(Tensor::zeros([3 * d, d], device)),
            in_proj_bias: Param::from_tensor(Tensor::zeros([3 * d], device)),
            out_proj: Linear::new(d, d, device),
            num_heads,
        }
    }

    fn project(&self, x: Tensor<3>, part: usize) -> Tensor<4> {
        let [b, l, e] = x.dims();
        let w = self.in_proj_weight.val().slice([part * e..(part + 1) * e, 0..e]);
        let bias = self.in_proj_bias.val().slice([part * e..(part + 1) * e]);
        let h = self.num_heads;
        burn::tensor::module::linear(x, w.transpose(), Some(bias))
            .reshape([b, l, h, e / h])
            .swap_dims(1, 2)
    }

    /// `query [B, Lq, E]`, `key_value [B, Lk, E]`, `key_mask [B, Lk]` (1 = attend) -> `[B, Lq, E]`.
    pub fn forward(&self, query: Tensor<3>, key_value: Tensor<3>, key_mask: Option<Tensor<2>>) -> Result<Tensor<3>> {
        let [b, lq, e] = query.dims();
        let q = self.project(query, 0);
        let k = self.project(key_value.clone(), 1);
        let v = self.project(key_value, 2);
        let out = attention(q, k, v, key_mask, None)?;
        Ok(self.out_proj.forward(out.swap_dims(1, 2).reshape([b, lq, e])))
    }
}

/// A two-layer ReLU feed-forward block as `Sequential(Linear, ReLU, Linear)`: the tuple keeps
/// torch's indices (`ffn.0`, `ffn.2`) as parameter paths.
pub type Sequential3 = (Linear, burn::nn::Relu, Linear);

pub fn sequential3(d_in: usize, d_hidden: usize, d_out: usize, device: &Device) -> Sequential3 {
    (Linear::new(d_in, d_hidden, device), burn::nn::Relu::new(), Linear::new(d_hidden, d_out, device))
}

pub fn sequential3_forward<const D: usize>(ffn: &Sequential3, x: Tensor<D>) -> Tensor<D> {
    ffn.2.forward(activation::relu(ffn.0.forward(x)))
}
