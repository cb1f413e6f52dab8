//! The DINOv2 family as the official hub builds it (facebookresearch/dinov2,
//! `hub/backbones.py`): ViT-S/B/L/g with patch 14, positional embeddings for a 518x518 input
//! (37x37 patches), LayerNorm eps 1e-6, LayerScale, an MLP (SwiGLU for g/14), optionally 4
//! register tokens.

use crate::error::{Result, SegmoError};

/// The feed-forward block of each transformer layer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ffn {
    /// `fc1 -> GELU -> fc2`, hidden `mlp_ratio * dim`.
    Mlp,
    /// Fused SwiGLU (`w12 -> silu(x1) * x2 -> w3`), hidden two thirds of `mlp_ratio * dim`
    /// rounded up to a multiple of 8, as the official `SwiGLUFFNFused`.
    SwiGlu,
}

/// How the 37x37 positional grid is resized to the input's patch grid (torch bicubic,
/// `align_corners=False`). The official models without registers pass a scale factor of
/// `(grid + 0.1) / 37` (the 0.1 avoids a floating-point floor below `grid`) and no
/// antialiasing; the register models and transformers' `Dinov2WithRegistersModel` pass the
/// target size with antialiasing; transformers' `Dinov2Model` passes the size without it.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PosInterp {
    /// Added to the target grid size to form the scale factor; 0 means "pass the size".
    pub offset: f64,
    pub antialias: bool,
}

impl PosInterp {
    pub const OFFICIAL: PosInterp = PosInterp { offset: 0.1, antialias: false };
    pub const OFFICIAL_REGISTERS: PosInterp = PosInterp { offset: 0.0, antialias: true };
    pub const TRANSFORMERS: PosInterp = PosInterp { offset: 0.0, antialias: false };
}

#[derive(Clone, Debug, PartialEq)]
pub struct DinoConfig {
    /// "vits14", "vitb14", ... (`_reg` with registers); names the model in errors and bundles.
    pub name: String,
    pub embed_dim: usize,
    pub depth: usize,
    pub num_heads: usize,
    pub mlp_ratio: f64,
    pub ffn: Ffn,
    pub num_register_tokens: usize,
    pub patch_size: usize,
    /// Stride of the patch convolution: the patch size normally, 7 in SegAnyMo's feature mode
    /// (overlapping patches, 4x the tokens).
    pub patch_stride: usize,
    /// Side of the square positional-embedding grid the weights hold (518 / 14 = 37).
    pub pos_grid: usize,
    pub pos_interp: PosInterp,
    pub layer_norm_eps: f64,
}

impl DinoConfig {
    fn official(name: &str, embed_dim: usize, depth: usize, num_heads: usize, ffn: Ffn) -> Self {
        DinoConfig {
            name: name.into(),
            embed_dim,
            depth,
            num_heads,
            mlp_ratio: 4.0,
            ffn,
            num_register_tokens: 0,
            patch_size: 14,
            patch_stride: 14,
            pos_grid: 37,
            pos_interp: PosInterp::OFFICIAL,
            layer_norm_eps: 1e-6,
        }
    }

    pub fn vits14() -> Self {
        Self::official("vits14", 384, 12, 6, Ffn::Mlp)
    }
    /// The one SegAnyMo uses.
    pub fn vitb14() -> Self {
        Self::official("vitb14", 768, 12, 12, Ffn::Mlp)
    }
    pub fn vitl14() -> Self {
        Self::official("vitl14", 1024, 24, 16, Ffn::Mlp)
    }
    pub fn vitg14() -> Self {
        Self::official("vitg14", 1536, 40, 24, Ffn::SwiGlu)
    }

    /// The `_reg` variant: 4 register tokens, and the register models' interpolation.
    pub fn with_registers(mut self) -> Self {
        self.num_register_tokens = 4;
        self.pos_interp = PosInterp::OFFICIAL_REGISTERS;
        self.name.push_str("_reg");
        self
    }

    /// Overlapping patches at this stride (SegAnyMo: 7).
    pub fn with_stride(mut self, stride: usize) -> Self {
        self.patch_stride = stride;
        self
    }

    /// By name: `vits14`, `vitb14`, `vitl14`, `vitg14`, each optionally with `_reg`
    /// (`dinov2_` prefixes accepted, as the hub names them).
    pub fn from_name(name: &str) -> Result<Self> {
        let n = name.trim().to_ascii_lowercase();
        let n = n.strip_prefix("dinov2_").unwrap_or(&n);
        let (base, reg) = match n.strip_suffix("_reg") {
            Some(b) => (b, true),
            None => (n, false),
        };
        let c = match base {
            "vits14" => Self::vits14(),
            "vitb14" => Self::vitb14(),
            "vitl14" => Self::vitl14(),
            "vitg14" => Self::vitg14(),
            _ => {
                return Err(SegmoError::BadInput(format!(
                    "unknown DINOv2 model {name:?}; expected vits14, vitb14, vitl14 or vitg14, optionally with _reg"
                )))
            }
        };
        Ok(if reg { c.with_registers() } else { c })
    }

    pub fn head_dim(&self) -> usize {
        self.embed_dim / self.num_heads
    }

    /// Hidden width of the feed-forward block.
    pub fn ffn_hidden(&self) -> usize {
        let hidden = (self.embed_dim as f64 * self.mlp_ratio) as usize;
        match self.ffn {
            Ffn::Mlp => hidden,
            Ffn::SwiGlu => (hidden * 2 / 3 + 7) / 8 * 8,
        }
    }

    /// Patch grid (rows, columns) for an input of `height x width` pixels.
    pub fn grid(&self, height: usize, width: usize) -> Result<(usize, usize)> {
        if height < self.patch_size || width < self.patch_size {
            return Err(SegmoError::Shape(format!(
                "DINOv2 input {height}x{width} is smaller than one {0}x{0} patch",
                self.patch_size
            )));
        }
        let g = |n: usize| (n - self.patch_size) / self.patch_stride + 1;
        Ok((g(height), g(width)))
    }

    pub fn validate(&self) -> Result<()> {
        let bad = |m: String| Err(SegmoError::BadInput(format!("DINOv2 config {}: {m}", self.name)));
        if self.embed_dim == 0 || self.num_heads == 0 || self.embed_dim % self.num_heads != 0 {
            return bad(format!("embed_dim {} is not a multiple of num_heads {}", self.embed_dim, self.num_heads));
        }
        if self.patch_size == 0 || self.patch_stride == 0 || self.patch_stride > self.patch_size {
            return bad(format!("patch stride {} must be in 1..={}", self.patch_stride, self.patch_size));
        }
        if self.pos_grid == 0 || self.depth == 0 {
            return bad("empty positional grid or no blocks".into());
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_shapes() {
        // Parameter counts of the official hub models (from their published sizes).
        for (name, hidden) in [("vits14", 1536), ("vitb14", 3072), ("vitl14", 4096), ("vitg14", 4096)] {
            let c = DinoConfig::from_name(name).unwrap();
            assert_eq!(c.ffn_hidden(), hidden, "{name}");
            c.validate().unwrap();
        }
        let reg = DinoConfig::from_name("dinov2_vitb14_reg").unwrap();
        assert_eq!((reg.num_register_tokens, reg.pos_interp), (4, PosInterp::OFFICIAL_REGISTERS));
        assert!(DinoConfig::from_name("vitx14").is_err());
    }

    #[test]
    fn grids() {
        let c = DinoConfig::vitb14();
        assert_eq!(c.grid(224, 224).unwrap(), (16, 16));
        assert_eq!(c.grid(230, 250).unwrap(), (16, 17));
        // SegAnyMo's stride 7 on an 854x480 frame: ~8,000 tokens.
        assert_eq!(c.with_stride(7).grid(480, 854).unwrap(), (67, 121));
        assert!(DinoConfig::vitb14().grid(10, 224).is_err());
    }
}
