//! The motion-semantic decoupled decoder (`TransformerPointNet` in the released code): motion
//! tokens are embedded to the decoder width and attend over all tracks; the semantic vector of
//! each track joins only the encoder blocks' feed-forward input, so appearance informs the
//! decision without steering which tracks attend to which.

use super::config::ClassifierConfig;
use super::layers::{sequential3, sequential3_forward, LayerNorm, Linear, MultiheadAttention, Sequential3};
use crate::error::Result;
use burn::module::Module;
use burn::tensor::{Device, Tensor};

#[derive(Module, Debug)]
pub struct PointEmbedding {
    pub embedding: Linear,
}

/// Attention over tracks on the motion part, then FFN on `[motion, semantic]`.
#[derive(Module, Debug)]
pub struct EncoderBlock {
    pub attention: MultiheadAttention,
    pub ffn: Sequential3,
    pub norm1: LayerNorm,
    pub norm2: LayerNorm,
}

#[derive(Module, Debug)]
pub struct DecoderBlock {
    pub self_attention: MultiheadAttention,
    pub cross_attention: MultiheadAttention,
    pub ffn: Sequential3,
    pub norm1: LayerNorm,
    pub norm2: LayerNorm,
    pub norm3: LayerNorm,
}

/// `decoder` of the released model.
#[derive(Module, Debug)]
pub struct TransformerPointNet {
    pub embedding: PointEmbedding,
    pub encoders: Vec<EncoderBlock>,
    pub decoders: Vec<DecoderBlock>,
    pub output_layer: Linear,
}

impl TransformerPointNet {
    pub fn new(c: &ClassifierConfig, device: &Device) -> Self {
        let (d, h) = (c.decoder_dim, c.decoder_heads);
        Self {
            embedding: PointEmbedding { embedding: Linear::new(c.motion_dim, d, device) },
            encoders: (0..c.decoder_blocks)
                .map(|_| EncoderBlock {
                    attention: MultiheadAttention::new(d, h, device),
                    ffn: sequential3(d + c.semantic_dim, c.decoder_ffn, d, device),
                    norm1: LayerNorm::new(d, device),
                    norm2: LayerNorm::new(d, device),
                })
                .collect(),
            decoders: (0..c.decoder_blocks)
                .map(|_| DecoderBlock {
                    self_attention: MultiheadAttention::new(d, h, device),
                    cross_attention: MultiheadAttention::new(d, h, device),
                    ffn: sequential3(d, c.decoder_ffn, d, device),
                    norm1: LayerNorm::new(d, device),
                    norm2: LayerNorm::new(d, device),
                    norm3: LayerNorm::new(d, device),
                })
                .collect(),
            output_layer: Linear::new(d, 1, device),
        }
    }

    /// `motion [N, motion_dim]`, `semantic [N, semantic_dim]` (None when 0-wide) -> logits `[N]`.
    pub fn forward(&self, motion: Tensor<2>, semantic: Option<Tensor<2>>) -> Result<Tensor<1>> {
        let n = motion.dims()[0];
        // One batch of N tracks: attention runs across all tracks of the clip.
        let x = self.embedding.embedding.forward(motion).unsqueeze::<3>();
        let semantic = semantic.map(|s| s.unsqueeze::<3>());
        let mut memory = x.clone();
        for block in &self.encoders {
            let a = block.attention.forward(memory.clone(), memory.clone(), None)?;
            memory = block.norm1.forward(memory + a);
            let joined = match &semantic {
                Some(s) => Tensor::cat(vec![memory.clone(), s.clone()], 2),
                None => memory.clone(),
            };
            memory = block.norm2.forward(memory + sequential3_forward(&block.ffn, joined));
        }
        let mut out = x;
        for block in &self.decoders {
            let a = block.self_attention.forward(out.clone(), out.clone(), None)?;
            out = block.norm1.forward(out + a);
            let a = block.cross_attention.forward(out.clone(), memory.clone(), None)?;
            out = block.norm2.forward(out + a);
            out = block.norm3.forward(out.clone() + sequential3_forward(&block.ffn, out));
        }
        Ok(self.output_layer.forward(out).reshape([n]))
    }
}
