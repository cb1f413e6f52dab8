//! The motion encoder (`pt_transformer` in the released code): per-point channels projected by
//! two 1x1 convs, then a transformer whose every layer attends along each track over time and
//! across tracks within each frame with the *same* attention weights, invisible points masked as
//! keys; the output is max-pooled over time into one motion token per track.
//!
//! Tensors are track-major, `[N, T, C]`. The released code keeps `[T, N, C]` and feeds torch's
//! sequence-first attention, so its first attention of a layer runs over time (batch = tracks)
//! and the permuted one over tracks (batch = frames); here the two are the same attentions with
//! the batch axis first.

use super::config::ClassifierConfig;
use super::layers::{Conv1x1, LayerNorm, Linear, MultiheadAttention};
use crate::error::Result;
use burn::module::Module;
use burn::tensor::{activation, Device, Tensor};

/// Encoder layer: time attention (`norm1`), track attention with the same weights (`norm3`),
/// feed-forward (`norm2`), each post-norm, as in the released layer.
#[derive(Module, Debug)]
pub struct EncoderLayer {
    pub self_attn: MultiheadAttention,
    pub linear1: Linear,
    pub linear2: Linear,
    pub norm1: LayerNorm,
    pub norm2: LayerNorm,
    pub norm3: LayerNorm,
}

/// Decoder layer: time attention (`norm1`), track attention (`norm4`), attention over the
/// encoder's output along time with no mask (`multihead_attn`, `norm2`: the released model
/// passes no memory padding mask), feed-forward (`norm3`).
#[derive(Module, Debug)]
pub struct DecoderLayer {
    pub self_attn: MultiheadAttention,
    pub multihead_attn: MultiheadAttention,
    pub linear1: Linear,
    pub linear2: Linear,
    pub norm1: LayerNorm,
    pub norm2: LayerNorm,
    pub norm3: LayerNorm,
    pub norm4: LayerNorm,
}

#[derive(Module, Debug)]
pub struct Encoder {
    pub layers: Vec<EncoderLayer>,
    pub norm: LayerNorm,
}

#[derive(Module, Debug)]
pub struct Decoder {
    pub layers: Vec<DecoderLayer>,
    pub norm: LayerNorm,
}

#[derive(Module, Debug)]
pub struct Transformer {
    pub encoder: Encoder,
    pub decoder: Decoder,
}

/// `joint_encoder` of the released model.
#[derive(Module, Debug)]
pub struct PtTransformer {
    pub input_fc1: Conv1x1,
    pub fc2: Conv1x1,
    pub transformer_model: Transformer,
}

/// Key masks of the two attentions: `time [N, T]` and `tracks [T, N]`, 1 = attend.
pub struct Masks {
    pub time: Tensor<2>,
    pub tracks: Tensor<2>,
}

fn ffn(linear1: &Linear, linear2: &Linear, x: Tensor<3>) -> Tensor<3> {
    linear2.forward(activation::relu(linear1.forward(x)))
}

/// Shared attention over time then over tracks; `x [N, T, C]`.
fn time_attention(attn: &MultiheadAttention, x: Tensor<3>, masks: &Masks) -> Result<Tensor<3>> {
    attn.forward(x.clone(), x, Some(masks.time.clone()))
}

fn track_attention(attn: &MultiheadAttention, x: Tensor<3>, masks: &Masks) -> Result<Tensor<3>> {
    let x_t = x.swap_dims(0, 1);
    Ok(attn.forward(x_t.clone(), x_t, Some(masks.tracks.clone()))?.swap_dims(0, 1))
}

impl EncoderLayer {
    fn new(c: &ClassifierConfig, device: &Device) -> Self {
        let d = c.motion_dim;
        Self {
            self_attn: MultiheadAttention::new(d, c.motion_heads, device),
            linear1: Linear::new(d, c.motion_ffn, device),
            linear2: Linear::new(c.motion_ffn, d, device),
            norm1: LayerNorm::new(d, device),
            norm2: LayerNorm::new(d, device),
            norm3: LayerNorm::new(d, device),
        }
    }

    fn forward(&self, x: Tensor<3>, masks: &Masks) -> Result<Tensor<3>> {
        let x = self.norm1.forward(x.clone() + time_attention(&self.self_attn, x, masks)?);
        let x = self.norm3.forward(x.clone() + track_attention(&self.self_attn, x, masks)?);
        Ok(self.norm2.forward(x.clone() + ffn(&self.linear1, &self.linear2, x)))
    }
}

impl DecoderLayer {
    fn new(c: &ClassifierConfig, device: &Device) -> Self {
        let d = c.motion_dim;
        Self {
            self_attn: MultiheadAttention::new(d, c.motion_heads, device),
            multihead_attn: MultiheadAttention::new(d, c.motion_heads, device),
            linear1: Linear::new(d, c.motion_ffn, device),
            linear2: Linear::new(c.motion_ffn, d, device),
            norm1: LayerNorm::new(d, device),
            norm2: LayerNorm::new(d, device),
            norm3: LayerNorm::new(d, device),
            norm4: LayerNorm::new(d, device),
        }
    }

    fn forward(&self, x: Tensor<3>, memory: Tensor<3>, masks: &Masks) -> Result<Tensor<3>> {
        let x = self.norm1.forward(x.clone() + time_attention(&self.self_attn, x, masks)?);
        let x = self.norm4.forward(x.clone() + track_attention(&self.self_attn, x, masks)?);
        let x = self.norm2.forward(x.clone() + self.multihead_attn.forward(x, memory, None)?);
        Ok(self.norm3.forward(x.clone() + ffn(&self.linear1, &self.linear2, x)))
    }
}

impl PtTransformer {
    pub fn new(c: &ClassifierConfig, device: &Device) -> Self {
        let d = c.motion_dim;
        Self {
            input_fc1: Conv1x1::new(c.input_dim(), 16, device),
            fc2: Conv1x1::new(16, d, device),
            transformer_model: Transformer {
                encoder: Encoder {
                    layers: (0..c.motion_layers).map(|_| EncoderLayer::new(c, device)).collect(),
                    norm: LayerNorm::new(d, device),
                },
                decoder: Decoder {
                    layers: (0..c.motion_layers).map(|_| DecoderLayer::new(c, device)).collect(),
                    norm: LayerNorm::new(d, device),
                },
            },
        }
    }

    /// `x [N, T, input_dim]` -> per-track motion token `[N, motion_dim]`.
    pub fn forward(&self, x: Tensor<3>, masks: &Masks) -> Result<Tensor<2>> {
        let x = activation::relu(self.input_fc1.forward(x));
        let x = activation::relu(self.fc2.forward(x));
        let model = &self.transformer_model;
        let mut memory = x.clone();
        for layer in &model.encoder.layers {
            memory = layer.forward(memory, masks)?;
        }
        let memory = model.encoder.norm.forward(memory);
        // The decoder starts again from the projected input (the released model passes the same
        // tensor as src and tgt).
        let mut out = x;
        for layer in &model.decoder.layers {
            out = layer.forward(out, memory.clone(), masks)?;
        }
        let out = model.decoder.norm.forward(out);
        // Max over all frames, hidden ones included, as released.
        let [n, _, d] = out.dims();
        Ok(out.max_dim(1).reshape([n, d]))
    }
}
