//! Which inputs the classifier sees and how wide it is: the released model (DINO + depth) or
//! our lite model (no depth, a small appearance descriptor in the semantic path).

/// Shape of a [`super::TrajOaDepth`]. The widths of the released model are fixed by its
/// checkpoint; only the input channels differ between tiers.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct ClassifierConfig {
    /// Depth and its frame-to-frame change as two extra per-point channels (released: true).
    pub depth: bool,
    /// Visibility and confidence values as two per-point channels (`extra_info`, released: true).
    pub extra_info: bool,
    /// Camera-compensated motion ([`super::ego_residual`]) as extra per-point channels (lite
    /// tier; released: false). Older files without the field read as false.
    #[serde(default)]
    pub residual: bool,
    /// Epipolar residual channels after the planar ones ([`super::ego_residual`], lite tier;
    /// only with `residual`). Older files without the field read as false.
    #[serde(default)]
    pub epipolar: bool,
    /// Width of the per-track semantic vector that joins the decoder's feed-forward path
    /// (released: 768, DINOv2 ViT-B/14 keys; 0 = motion only).
    pub semantic_dim: usize,
    /// NeRF frequency bands for xy and dxy (released: 10).
    pub freqs: usize,
    /// Width of the per-point motion tokens (released: 16), its heads (4) and FFN width (64).
    pub motion_dim: usize,
    pub motion_heads: usize,
    pub motion_ffn: usize,
    /// Encoder and decoder layers of the track transformer (released: 2 and 2).
    pub motion_layers: usize,
    /// Width of the decoder over tracks (released: 128), its heads (8), FFN width (512), and
    /// number of encoder (= decoder) blocks (released: `depth // 2` = 4).
    pub decoder_dim: usize,
    pub decoder_heads: usize,
    pub decoder_ffn: usize,
    pub decoder_blocks: usize,
}

impl ClassifierConfig {
    /// The released SegAnyMo classifier (`moseg.pth`): 88 input channels, DINO 768-d.
    pub fn full() -> Self {
        Self {
            depth: true,
            extra_info: true,
            residual: false,
            epipolar: false,
            semantic_dim: 768,
            freqs: 10,
            motion_dim: 16,
            motion_heads: 4,
            motion_ffn: 64,
            motion_layers: 2,
            decoder_dim: 128,
            decoder_heads: 8,
            decoder_ffn: 512,
            decoder_blocks: 4,
        }
    }

    /// Our lite classifier: the same architecture without depth, with the lite appearance
    /// descriptor (`semantic_dim` channels) where the released model has DINO.
    pub fn lite(semantic_dim: usize) -> Self {
        Self { depth: false, semantic_dim, ..Self::full() }
    }

    /// [`Self::lite`] that also reads the camera-compensated motion channels.
    pub fn lite_residual(semantic_dim: usize) -> Self {
        Self { residual: true, ..Self::lite(semantic_dim) }
    }

    /// [`Self::lite_residual`] that also reads the epipolar channels (the shipped lite model).
    pub fn lite_epipolar(semantic_dim: usize) -> Self {
        Self { epipolar: true, ..Self::lite_residual(semantic_dim) }
    }

    /// Camera-compensated motion channels per point (0 without `residual`).
    pub fn residual_channels(&self) -> usize {
        if self.residual {
            super::ego_residual::channel_count(self.epipolar)
        } else {
            0
        }
    }

    /// Channels of the NeRF encoding of one 2-vector: the vector itself plus sin and cos per band.
    pub fn encoded_dim(&self) -> usize {
        2 + 2 * 2 * self.freqs
    }

    /// Per-point input channels of the motion encoder (released: 42 + 42 + 2 + 2 = 88).
    pub fn input_dim(&self) -> usize {
        2 * self.encoded_dim()
            + 2 * self.depth as usize
            + 2 * self.extra_info as usize
            + self.residual_channels()
    }

    /// A one-line identity stored in weight files, so a file for another configuration is
    /// refused by name before any tensor is compared.
    pub fn signature(&self) -> String {
        // Files written before the residual channels existed keep their signature.
        let residual = match (self.residual, self.epipolar) {
            (false, _) => "",
            (true, false) => " residual",
            (true, true) => " residual epipolar",
        };
        format!(
            "traj_oa_depth depth={} extra_info={}{residual} semantic={} freqs={} motion={}x{}h ffn{} layers{} decoder={}x{}h ffn{} blocks{}",
            self.depth,
            self.extra_info,
            self.semantic_dim,
            self.freqs,
            self.motion_dim,
            self.motion_heads,
            self.motion_ffn,
            self.motion_layers,
            self.decoder_dim,
            self.decoder_heads,
            self.decoder_ffn,
            self.decoder_blocks
        )
    }

    pub(crate) fn check(&self) -> crate::Result<()> {
        let bad = |m: String| Err(crate::SegmoError::BadInput(format!("classifier config: {m}")));
        if self.motion_dim == 0 || self.motion_heads == 0 || self.motion_dim % self.motion_heads != 0 {
            return bad(format!("motion_dim {} must be a positive multiple of motion_heads {}", self.motion_dim, self.motion_heads));
        }
        if self.decoder_dim == 0 || self.decoder_heads == 0 || self.decoder_dim % self.decoder_heads != 0 {
            return bad(format!("decoder_dim {} must be a positive multiple of decoder_heads {}", self.decoder_dim, self.decoder_heads));
        }
        if self.motion_layers == 0 || self.decoder_blocks == 0 || self.motion_ffn == 0 || self.decoder_ffn == 0 {
            return bad("layer counts and FFN widths must be positive".into());
        }
        if self.epipolar && !self.residual {
            return bad("epipolar channels come with the residual ones".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn released_model_has_88_input_channels() {
        assert_eq!(ClassifierConfig::full().input_dim(), 88);
        assert_eq!(ClassifierConfig::lite(32).input_dim(), 86);
        assert_eq!(ClassifierConfig::lite_residual(32).input_dim(), 88);
        assert!(!ClassifierConfig::lite(16).signature().contains("residual"));
        assert_ne!(ClassifierConfig::lite(16).signature(), ClassifierConfig::lite_residual(16).signature());
        assert_eq!(ClassifierConfig::lite_epipolar(16).input_dim(), 90);
        assert!(ClassifierConfig::lite_epipolar(16).signature().ends_with("residual epipolar semantic=16 freqs=10 motion=16x4h ffn64 layers2 decoder=128x8h ffn512 blocks4"));
    }
}
