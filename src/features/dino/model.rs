//! DINOv2's vision transformer in burn, module by module as the official
//! `DinoVisionTransformer` (facebookresearch/dinov2, `models/vision_transformer.py`), so the
//! official checkpoint's parameter names (`blocks.3.attn.qkv.weight`, `ls1.gamma`, ...) are
//! our parameter paths.

use super::config::{DinoConfig, Ffn};
use super::pos_embed;
use crate::attention::self_attention_packed;
use crate::device::in_dtype;
use crate::error::{Result, SegmoError};
use crate::motion::layers::{LayerNorm, Linear};
use burn::module::{Module, Param};
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use burn::tensor::{activation, DType, Device, Tensor};

/// `nn.Conv2d(3, dim, kernel=patch, stride)`: one token per (possibly overlapping) patch.
#[derive(Module, Debug)]
pub struct PatchProj {
    pub weight: Param<Tensor<4>>,
    pub bias: Param<Tensor<1>>,
    pub stride: usize,
}

#[derive(Module, Debug)]
pub struct PatchEmbed {
    pub proj: PatchProj,
}

impl PatchEmbed {
    /// `[B, 3, H, W]` -> tokens `[B, rows*cols, dim]`, row-major over the patch grid.
    fn forward(&self, x: Tensor<4>) -> Tensor<3> {
        let s = self.proj.stride;
        let y = conv2d(x, self.proj.weight.val(), Some(self.proj.bias.val()), ConvOptions::new([s, s], [0, 0], [1, 1], 1));
        let [b, d, gh, gw] = y.dims();
        y.reshape([b, d, gh * gw]).swap_dims(1, 2)
    }
}

/// Multi-head self-attention with packed q/k/v (`qkv [3D, D]`) and an output projection.
#[derive(Module, Debug)]
pub struct Attention {
    pub qkv: Linear,
    pub proj: Linear,
    pub num_heads: usize,
}

impl Attention {
    /// `[B, N, D]` -> (heads' outputs side by side `[B, N, D]`, before `proj`; keys `[B, N, D]`
    /// heads side by side when asked).
    fn forward(&self, x: Tensor<3>, want_keys: bool) -> Result<(Tensor<3>, Option<Tensor<3>>)> {
        let [b, n, d] = x.dims();
        // [B, N, 3 * D]: q, k, v side by side, heads side by side in each (the official
        // reshape to [B, N, 3, H, dh]).
        let qkv = self.qkv.forward(x);
        let keys = want_keys.then(|| qkv.clone().slice([0..b, 0..n, d..2 * d]));
        Ok((self_attention_packed(qkv, self.num_heads, None)?, keys))
    }
}

/// `LayerScale`: a learned per-channel gain on each residual branch (applied with the branch's
/// last projection, [`Linear::forward_scaled_residual`]).
#[derive(Module, Debug)]
pub struct LayerScale {
    pub gamma: Param<Tensor<1>>,
}


/// The feed-forward block: `fc1`/`fc2` (GELU MLP) or `w12`/`w3` (fused SwiGLU); the other
/// pair is absent, so the parameter paths are the official ones for either.
#[derive(Module, Debug)]
pub struct Mlp {
    pub fc1: Option<Linear>,
    pub fc2: Option<Linear>,
    pub w12: Option<Linear>,
    pub w3: Option<Linear>,
}

impl Mlp {
    fn new(ffn: Ffn, dim: usize, hidden: usize, device: &Device) -> Self {
        match ffn {
            Ffn::Mlp => Mlp { fc1: Some(Linear::new(dim, hidden, device)), fc2: Some(Linear::new(hidden, dim, device)), w12: None, w3: None },
            Ffn::SwiGlu => Mlp { fc1: None, fc2: None, w12: Some(Linear::new(dim, 2 * hidden, device)), w3: Some(Linear::new(hidden, dim, device)) },
        }
    }

    /// `residual + gamma * mlp(x)`: the block's second branch, LayerScale and residual fused
    /// into the last projection (on the CPU).
    fn forward_into(&self, x: Tensor<3>, gamma: &Tensor<1>, residual: Tensor<3>) -> Tensor<3> {
        match (&self.fc1, &self.fc2, &self.w12, &self.w3) {
            (Some(fc1), Some(fc2), _, _) => fc2.forward_scaled_residual(fc1.forward_gelu(x), gamma, residual),
            (_, _, Some(w12), Some(w3)) => {
                let x12 = w12.forward(x);
                let [b, n, two_h] = x12.dims();
                let x1 = x12.clone().slice([0..b, 0..n, 0..two_h / 2]);
                let x2 = x12.slice([0..b, 0..n, two_h / 2..two_h]);
                w3.forward_scaled_residual(activation::silu(x1) * x2, gamma, residual)
            }
            _ => unreachable!("Mlp is built with one complete pair"),
        }
    }
}

/// One pre-norm transformer block: `x + ls1(attn(norm1(x)))`, then `x + ls2(mlp(norm2(x)))`.
#[derive(Module, Debug)]
pub struct Block {
    pub norm1: LayerNorm,
    pub attn: Attention,
    pub ls1: LayerScale,
    pub norm2: LayerNorm,
    pub mlp: Mlp,
    pub ls2: LayerScale,
}

impl Block {
    fn forward(&self, x: Tensor<3>, want_keys: bool) -> Result<(Tensor<3>, Option<Tensor<3>>)> {
        let (a, keys) = self.attn.forward(norm_in_f32(&self.norm1, x.clone()), want_keys)?;
        let x = self.attn.proj.forward_scaled_residual(a, &self.ls1.gamma.val(), x);
        let x = self.mlp.forward_into(norm_in_f32(&self.norm2, x.clone()), &self.ls2.gamma.val(), x);
        Ok((x, keys))
    }
}

/// LayerNorm of `x` computed in f32 and returned in `x`'s precision: an f16 model's mean and
/// variance over 768+ channels lose too much in half precision (and squares of DINOv2's large
/// activations overflow it), so its norms keep f32 parameters.
fn norm_in_f32(norm: &LayerNorm, x: Tensor<3>) -> Tensor<3> {
    match x.dtype() {
        DType::F32 => norm.forward(x),
        dtype => in_dtype(norm.forward(in_dtype(x, DType::F32)), dtype),
    }
}

/// Stores the parameters that the blocks multiply by (linear, patch projection, LayerScale) in
/// `dtype`; norms, tokens and positions stay f32 (they are tiny, and the norms compute in f32).
struct CastStorage {
    dtype: DType,
    path: Vec<String>,
}

impl burn::module::ModuleMapper for CastStorage {
    fn enter_module(&mut self, name: &str, _: &str) {
        self.path.push(name.to_string());
    }
    fn exit_module(&mut self, _: &str, _: &str) {
        self.path.pop();
    }
    fn map_float<const D: usize>(&mut self, param: Param<Tensor<D>>) -> Param<Tensor<D>> {
        let keep = self.path.iter().any(|p| p.starts_with("norm"))
            || !self.path.iter().any(|p| p == "blocks" || p == "patch_embed");
        if keep {
            return param;
        }
        let id = param.id;
        Param::initialized(id, param.val().cast(self.dtype))
    }
}

/// The parameters, named as the official checkpoint names them.
#[derive(Module, Debug)]
pub struct DinoVisionTransformer {
    pub patch_embed: PatchEmbed,
    pub cls_token: Param<Tensor<3>>,
    pub pos_embed: Param<Tensor<3>>,
    pub register_tokens: Option<Param<Tensor<3>>>,
    /// Used by DINOv2's masked-image training only; kept so checkpoints load whole.
    pub mask_token: Param<Tensor<2>>,
    pub blocks: Vec<Block>,
    pub norm: LayerNorm,
}

/// What one forward pass gives: the normalised tokens, the patch grid, and optionally the
/// attention keys of one block (SegAnyMo's features).
#[derive(Debug, Clone)]
pub struct DinoOutput {
    /// After the final LayerNorm: `[B, 1 + registers + rows*cols, D]` (CLS, registers, patches);
    /// transformers' `last_hidden_state`.
    pub tokens: Tensor<3>,
    pub rows: usize,
    pub cols: usize,
    pub registers: usize,
    /// Keys of the requested block, `[B, 1 + registers + rows*cols, D]` (heads side by side).
    pub keys: Option<Tensor<3>>,
}

impl DinoOutput {
    /// `[B, D]`: the CLS token (transformers' `pooler_output`).
    pub fn cls(&self) -> Tensor<2> {
        let [b, _, d] = self.tokens.dims();
        self.tokens.clone().slice([0..b, 0..1, 0..d]).reshape([b, d])
    }

    /// `[B, D, rows, cols]`: the patch tokens as a feature map.
    pub fn patch_map(&self) -> Tensor<4> {
        Self::map(&self.tokens, self.registers, self.rows, self.cols)
    }

    /// `[B, D, rows, cols]`: the keys of the requested block as a feature map.
    pub fn key_map(&self) -> Option<Tensor<4>> {
        self.keys.as_ref().map(|k| Self::map(k, self.registers, self.rows, self.cols))
    }

    /// `[B, D, rows, cols]`: the requested block's keys as SegAnyMo's extractor lays them out
    /// (`dino_feat.py`: `[B, h, t, d]` permuted to `[B, t, d, h]` and flattened), channel
    /// `c = j * heads + head` for element `j` of a head: the order the released classifier's
    /// semantic input was trained on.
    pub fn seganymo_key_map(&self, num_heads: usize) -> Option<Tensor<4>> {
        let k = self.keys.as_ref()?;
        let [b, n, d] = k.dims();
        let interleaved = k.clone().reshape([b, n, num_heads, d / num_heads]).swap_dims(2, 3).reshape([b, n, d]);
        Some(Self::map(&interleaved, self.registers, self.rows, self.cols))
    }

    fn map(t: &Tensor<3>, registers: usize, rows: usize, cols: usize) -> Tensor<4> {
        let [b, n, d] = t.dims();
        t.clone().slice([0..b, 1 + registers..n, 0..d]).swap_dims(1, 2).reshape([b, d, rows, cols])
    }
}

/// A DINOv2 model: its configuration and its parameters.
#[derive(Debug)]
pub struct Dino {
    pub config: DinoConfig,
    pub model: DinoVisionTransformer,
}

impl Dino {
    /// Zero-filled parameters of `config`'s shapes (to be loaded or initialised).
    pub fn new(config: DinoConfig, device: &Device) -> Result<Self> {
        config.validate()?;
        let d = config.embed_dim;
        let p = config.patch_size;
        let blocks = (0..config.depth)
            .map(|_| Block {
                norm1: LayerNorm::with_eps(d, config.layer_norm_eps, device),
                attn: Attention { qkv: Linear::new(d, 3 * d, device), proj: Linear::new(d, d, device), num_heads: config.num_heads },
                ls1: LayerScale { gamma: Param::from_tensor(Tensor::ones([d], device)) },
                norm2: LayerNorm::with_eps(d, config.layer_norm_eps, device),
                mlp: Mlp::new(config.ffn, d, config.ffn_hidden(), device),
                ls2: LayerScale { gamma: Param::from_tensor(Tensor::ones([d], device)) },
            })
            .collect();
        let model = DinoVisionTransformer {
            patch_embed: PatchEmbed {
                proj: PatchProj {
                    weight: Param::from_tensor(Tensor::zeros([d, 3, p, p], device)),
                    bias: Param::from_tensor(Tensor::zeros([d], device)),
                    stride: config.patch_stride,
                },
            },
            cls_token: Param::from_tensor(Tensor::zeros([1, 1, d], device)),
            pos_embed: Param::from_tensor(Tensor::zeros([1, config.pos_grid * config.pos_grid + 1, d], device)),
            register_tokens: (config.num_register_tokens > 0)
                .then(|| Param::from_tensor(Tensor::zeros([1, config.num_register_tokens, d], device))),
            mask_token: Param::from_tensor(Tensor::zeros([1, d], device)),
            blocks,
            norm: LayerNorm::with_eps(d, config.layer_norm_eps, device),
        };
        Ok(Dino { config, model })
    }

    /// The same model with its weights laid out for the device's fastest path (on the CPU
    /// backend, linear weights as the matrix multiply reads them: [`crate::cpu::prepack`]).
    /// Values, names and shapes are unchanged; call once after loading or initialising.
    pub fn prepared(self) -> Self {
        Dino { config: self.config, model: crate::cpu::prepack::prepack(self.model) }
    }

    /// The same model with its weights, and the activations between its layers, stored in
    /// half precision on a GPU whose adapter has `shader-f16`: half the memory and bandwidth
    /// (ViT-B/14 173 MB of weights instead of 346). Norms, softmax and attention accumulate in
    /// f32; outputs come back f32. Elsewhere (the CPU, WebGPU without shader-f16) a
    /// [`SegmoError::BadInput`] says why.
    pub fn with_f16_storage(self, device: &crate::ComputeDevice) -> Result<Self> {
        if !device.info.shader_f16 {
            return Err(SegmoError::BadInput(format!("f16 storage needs a GPU adapter with shader-f16; {} has none", device.info)));
        }
        let model = self.model.map(&mut CastStorage { dtype: DType::F16, path: Vec::new() });
        Ok(Dino { config: self.config, model })
    }

    /// The precision the blocks store their weights and activations in (F32, or F16 after
    /// [`Self::with_f16_storage`]).
    pub fn storage_dtype(&self) -> DType {
        self.model.patch_embed.proj.weight.val().dtype()
    }

    /// `pixels [B, 3, H, W]` (normalised with the ImageNet mean and std, as DINOv2 expects) ->
    /// tokens; `keys_of`: a block index whose attention keys to return as well.
    pub fn forward(&self, pixels: Tensor<4>, keys_of: Option<usize>) -> Result<DinoOutput> {
        let c = &self.config;
        let [b, ch, h, w] = pixels.dims();
        if ch != 3 {
            return Err(SegmoError::Shape(format!("DINOv2 takes RGB [B, 3, H, W], got {:?}", pixels.dims())));
        }
        if let Some(k) = keys_of {
            if k >= c.depth {
                return Err(SegmoError::BadInput(format!("DINOv2 {} has blocks 0..{}, no block {k}", c.name, c.depth)));
            }
        }
        let (rows, cols) = c.grid(h, w)?;
        let m = &self.model;
        let d = c.embed_dim;
        let dtype = self.storage_dtype();
        let pixels = in_dtype(pixels, dtype);
        let patches = m.patch_embed.forward(pixels);
        let pos = m.pos_embed.val().reshape([c.pos_grid * c.pos_grid + 1, d]);
        let cls_pos = pos.clone().slice([0..1, 0..d]);
        let grid_pos = pos_embed::resize(pos.slice([1..c.pos_grid * c.pos_grid + 1, 0..d]), c.pos_grid, rows, cols, c.pos_interp);
        let cls = (m.cls_token.val().reshape([1, d]) + cls_pos).reshape([1, 1, d]).expand([b, 1, d]);
        let in_storage = |t: Tensor<3>| in_dtype(t, dtype);
        let patches = patches + in_storage(grid_pos.unsqueeze::<3>());
        let mut parts = vec![in_storage(cls)];
        if let Some(r) = &m.register_tokens {
            parts.push(in_storage(r.val().expand([b, c.num_register_tokens, d])));
        }
        parts.push(patches);
        let mut x = Tensor::cat(parts, 1);
        let mut keys = None;
        for (i, block) in m.blocks.iter().enumerate() {
            let (y, k) = block.forward(x, keys_of == Some(i))?;
            x = y;
            if k.is_some() {
                keys = k;
            }
        }
        let f32_out = |t: Tensor<3>| in_dtype(t, DType::F32);
        Ok(DinoOutput { tokens: m.norm.forward(f32_out(x)), rows, cols, registers: c.num_register_tokens, keys: keys.map(f32_out) })
    }
}
